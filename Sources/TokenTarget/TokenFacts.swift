import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// What the token checks may be told beyond `--token`: the module to use, the token to look at, and
/// where the host's facts live (directories that tests point elsewhere).
public struct TokenOptions: Sendable {
    /// `--pkcs11-module`: the PKCS#11 module configured for the token; else the vendor's module is searched
    /// for in the token database's paths.
    public var pkcs11Module: String?
    /// `--token-label`: the PKCS#11 token to examine when a module shows several.
    public var tokenLabel: String?
    /// The user PIN, only to see private keys that the token hides until login; never shown anywhere.
    public var pin: Secret?
    public var tokenDatabase: URL?
    public var driversDirectory: String
    public var sysfsRoot: String
    public var firefoxPolicyFile: URL
    /// How pcscd is started by the fix; nil chooses systemd's units or a plain `pcscd`.
    public var pcscdStartCommand: [String]?
    public var pcscdPath: String
    /// The longest one PC/SC call may take before the service counts as hung.
    public var pcscTimeout: TimeInterval

    public init(
        pkcs11Module: String? = nil, tokenLabel: String? = nil, pin: Secret? = nil, tokenDatabase: URL? = nil,
        driversDirectory: String = IFDDriverScan.defaultDirectory, sysfsRoot: String = "/",
        firefoxPolicyFile: URL = URL(fileURLWithPath: "/etc/firefox/policies/policies.json"),
        pcscdStartCommand: [String]? = nil, pcscdPath: String = "/usr/sbin/pcscd", pcscTimeout: TimeInterval = 5
    ) {
        self.pkcs11Module = pkcs11Module
        self.tokenLabel = tokenLabel
        self.pin = pin
        self.tokenDatabase = tokenDatabase
        self.driversDirectory = driversDirectory
        self.sysfsRoot = sysfsRoot
        self.firefoxPolicyFile = firefoxPolicyFile
        self.pcscdStartCommand = pcscdStartCommand
        self.pcscdPath = pcscdPath
        self.pcscTimeout = pcscTimeout
    }
}

extension TokenOptions {
    /// The environment variable that may carry the token's user PIN.
    public static let pinVariable = SecretVariables.tokenPIN

    /// The options as the command line gives them (`--pkcs11-module`, `--token-label`, `--token-pin-file`).
    /// The PIN is optional and read from the file or `CERTDOCTOR_TOKEN_PIN`, never from an argument and
    /// never asked for: without it the checks see the key pair through its public half.
    public static func fromCommandLine(
        pkcs11Module: String?, tokenLabel: String?, pinFile: String?,
        environment: [String: String] = SecretVariables.processEnvironment
    ) throws -> TokenOptions {
        var pin: Secret?
        if pinFile != nil || environment[pinVariable] != nil {
            pin = try SecretReader.read(
                SecretReader.Name.tokenPIN, file: pinFile, option: "--token-pin-file", variable: pinVariable, prompt: "", environment: environment)
        }
        return TokenOptions(pkcs11Module: pkcs11Module, tokenLabel: tokenLabel, pin: pin)
    }
}

enum TokenOptionsKey: EnvironmentKey {
    static let defaultValue = TokenOptions()
}

extension Environment {
    public var tokenOptions: TokenOptions {
        get { self[TokenOptionsKey.self] }
        set { self[TokenOptionsKey.self] = newValue }
    }
}

/// The host's token facts, each read once per run and shared by the token checks.
public enum TokenFacts {
    public static func database(_ context: CheckContext) throws -> TokenDatabase {
        try context.loads.value(of: TokenDatabase.self) {
            let options = context.environment.tokenOptions
            let url = try options.tokenDatabase ?? DataDirectory.locate().profiles
                .appendingPathComponent(context.environment.attachedProfile().tokenDatabaseFile)
            return try TokenDatabase.load(contentsOf: url)
        }
    }

    public static func readers(_ context: CheckContext) throws -> ReaderInventory {
        try context.loads.value(of: ReaderInventory.self) {
            let timeout = callTimeout(context)
            return try waitFor { () async throws -> ReaderInventory in try await ReaderInventory.read(timeout: timeout) }
        }
    }

    public static func tokens(_ context: CheckContext) throws -> TokenInventory {
        TokenInventory(readers: try readers(context), database: try database(context))
    }

    public static func usb(_ context: CheckContext) -> USBDeviceInventory {
        USBDeviceInventory.scan(root: context.environment.tokenOptions.sysfsRoot)
    }

    /// One PC/SC call may use the configured limit, but never more than what is left of the check's time.
    public static func callTimeout(_ context: CheckContext) -> Duration {
        let left = context.deadline.timeIntervalSinceNow - 0.5
        let seconds = max(0.5, min(context.environment.tokenOptions.pcscTimeout, left))
        return .milliseconds(Int(seconds * 1000))
    }

    /// Checks run on threads of their own; the SmartCard calls run on theirs under a deadline, so waiting here
    /// holds no thread of Swift's cooperative pool.
    public static func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }

    public static func readerEvidence(_ readers: [ReaderState]) -> [Evidence] {
        readers.map { reader in
            Evidence("reader", reader.name + ": " + (reader.cardPresent ? (reader.atr?.hex ?? "card, no ATR") : "empty"))
        }
    }

    /// A PC/SC failure other than "no service" means the service could not be evaluated.
    public static func unevaluated(_ error: PCSCError) -> Finding {
        Finding(.error, Localized(zh: error.chineseDescription, en: error.errorDescription ?? "\(error)"))
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    public func set(_ value: Result<T, any Error>) {
        lock.withLock { result = value }
    }

    public func get() throws -> T {
        try lock.withLock { result! }.get()
    }
}

extension PCSCError: LocalizedMessage {
    public var localizedMessage: Localized { Localized(zh: chineseDescription, en: errorDescription ?? "") }
}

extension PKCS11Error: LocalizedMessage {
    public var localizedMessage: Localized { Localized(zh: chineseDescription, en: errorDescription ?? "") }
}

extension TokenDatabaseError: LocalizedMessage {
    public var localizedMessage: Localized { Localized(zh: chineseDescription, en: errorDescription ?? "") }
}
