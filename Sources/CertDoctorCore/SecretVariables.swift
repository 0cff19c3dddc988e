import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The environment variables that may carry a secret into certdoctor. Nothing certdoctor starts (plugins,
/// pcscd, a package manager) inherits them.
public enum SecretVariables {
    public static let pfxPassword = "CERTDOCTOR_PFX_PASSWORD"
    public static let tokenPIN = "CERTDOCTOR_TOKEN_PIN"
    public static let newKeyPassword = "CERTDOCTOR_NEW_KEY_PASSWORD"
    public static let authorizationCode = "CERTDOCTOR_AUTH_CODE"
    public static let referenceCode = "CERTDOCTOR_REFERENCE_CODE"

    public static let all: Set<String> = [pfxPassword, tokenPIN, newKeyPassword, authorizationCode, referenceCode]

    /// Whether a variable looks secret by its name, so that one added later is withheld before anyone
    /// remembers to list it.
    public static func isSecret(_ name: String) -> Bool {
        all.contains(name) || (name.hasPrefix("CERTDOCTOR_")
            && ["PASSWORD", "PIN", "CODE", "SECRET", "PASSPHRASE"].contains { name.hasSuffix($0) })
    }

    public static func removed(from environment: [String: String]) -> [String: String] {
        environment.filter { !isSecret($0.key) }
    }
}

extension SecretVariables {
    private static let taken = TakenSecrets()

    /// Takes every secret variable out of the process environment, first thing in `main`: the value is kept
    /// in memory only, its bytes in the environment block are overwritten (the kernel shows that block as
    /// `/proc/PID/environ`, and `unsetenv` alone leaves it there), and the variable is unset, so that no child
    /// and no reader of `/proc` finds it.
    public static func takeFromProcessEnvironment() {
        var found: [(String, String)] = []
        var entry = environ
        while let pointer = entry.pointee {
            if let equals = strchr(pointer, Int32(UInt8(ascii: "="))) {
                let nameLength = pointer.distance(to: equals)
                let name = String(decoding: UnsafeRawBufferPointer(start: pointer, count: nameLength), as: UTF8.self)
                if isSecret(name) {
                    let value = equals + 1
                    found.append((name, String(cString: value)))
                    // Overwrite the value where it lies; the name stays, which says nothing.
                    memset(value, 0, strlen(value))
                }
            }
            entry += 1
        }
        for (name, value) in found {
            taken.store(name, value)
            unsetenv(name)
        }
    }

    /// The process environment as certdoctor was started with it: what `ProcessInfo` shows, plus the secrets
    /// `takeFromProcessEnvironment` took out. Only the readers of secrets use it; children get `removed(from:)`.
    public static var processEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(taken.all) { _, secret in secret }
    }
}

/// The secret variables taken from the environment, behind a lock (checks run on threads of their own).
private final class TakenSecrets: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]

    func store(_ name: String, _ value: String) { lock.withLock { values[name] = value } }
    var all: [String: String] { lock.withLock { values } }
}
