import SSCCProfile
import CertDoctorCore
import Foundation
import PKI
import WindowsRegistry

/// The Current User "MY" (Personal) store as Wine keeps it in the registry (R10, R12): one subkey per
/// certificate, named by its upper-case SHA-1, whose `Blob` is a serialized certificate context.
public struct PersonalStore: Sendable {
    public struct Entry: Sendable {
        public var thumbprint: String
        public var certificate: X509Certificate
        public var keyContainer: String?
        public var keyProvider: String?
        /// The key container exists (Wine's rsaenh keeps it under `Software\Wine\Crypto\RSA`); nil when it
        /// cannot be known (an export from Windows, whose keys live in files).
        public var keyPresent: Bool?
        public var location: String
    }

    public var entries: [Entry]
    /// Subkeys whose Blob could not be read, with the reason (Wine drops such certificates too).
    public var unreadable: [String]

    public static let storePath = "Software\\Microsoft\\SystemCertificates\\MY\\Certificates"

    public static func read(_ side: WindowsSide) -> PersonalStore {
        var store = PersonalStore(entries: [], unreadable: [])
        // Wine's Current User MY is a collection of the HKCU store and the HKLM one (crypt32 store.c).
        for (label, root) in [("HKCU", side.user), ("HKLM", side.machine)] {
            guard let certificates = root.key(at: storePath) else { continue }
            for subkey in certificates.subkeys {
                let location = "\(label)\\\(storePath)\\\(subkey.name)"
                guard let blob = subkey.value(named: "Blob")?.data, let parsed = SerializedCertificate(blob) else {
                    store.unreadable.append(location)
                    continue
                }
                guard let certificate = try? X509Certificate(derEncoded: parsed.der) else {
                    store.unreadable.append(location)
                    continue
                }
                var entry = Entry(
                    thumbprint: subkey.name, certificate: certificate, keyContainer: parsed.container,
                    keyProvider: parsed.provider, keyPresent: nil, location: location)
                if side.isWine, let container = parsed.container {
                    let keys = root.key(at: "Software\\Wine\\Crypto\\RSA\\\(container)")
                    entry.keyPresent = keys?.value(named: "KeyExchangeKeyPair") != nil || keys?.value(named: "SignatureKeyPair") != nil
                } else if side.isWine {
                    entry.keyPresent = false
                }
                store.entries.append(entry)
            }
        }
        return store
    }
}

/// A serialized certificate context (`CertSerializeCertificateStoreElement`): records of
/// `propId, 1, length, data`; property 32 is the DER certificate, property 2 the key provider info.
public struct SerializedCertificate {
    public var der: [UInt8]
    public var container: String?
    public var provider: String?

    public init?(_ bytes: [UInt8]) {
        func dword(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 4 <= bytes.count else { return nil }
            return Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
        var offset = 0
        var der: [UInt8]?
        while let property = dword(offset), let marker = dword(offset + 4), let length = dword(offset + 8), property != 0, marker == 1 {
            let start = offset + 12
            guard start + length <= bytes.count else { return nil }
            let data = Array(bytes[start..<(start + length)])
            if property == 32 { der = data }
            if property == 2 {
                container = Self.string(in: data, at: Self.dword(data, 0))
                provider = Self.string(in: data, at: Self.dword(data, 4))
            }
            offset = start + length
        }
        guard let der else { return nil }
        self.der = der
    }

    public static func dword(_ data: [UInt8], _ offset: Int) -> Int {
        guard offset + 4 <= data.count else { return 0 }
        return Int(UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24)
    }

    /// A NUL-terminated UTF-16LE string at an offset from the start of the key provider info (0 = none).
    public static func string(in data: [UInt8], at offset: Int) -> String? {
        guard offset > 0, offset < data.count else { return nil }
        var units: [UInt16] = []
        var index = offset
        while index + 1 < data.count {
            let unit = UInt16(data[index]) | UInt16(data[index + 1]) << 8
            if unit == 0 { break }
            units.append(unit)
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }
}

/// The Win32 importer (`Tools/win32/certstore.c`) that certdoctor runs under Wine. The CLI sets where it is:
/// the package's prebuilt copy (`CertStoreHelper.installed`), else a cache file that `CertStoreHelper.build`
/// makes with mingw-w64 from a checkout.
enum CertStoreHelperKey: EnvironmentKey {
    static let defaultValue: URL? = nil
}

extension Environment {
    public var certStoreHelper: URL? {
        get { self[CertStoreHelperKey.self] }
        set { self[CertStoreHelperKey.self] = newValue }
    }
}

public enum CertStoreHelper {
    /// Where an installation keeps the helper it was built with, beside the executable's prefix
    /// (`/usr/bin/certdoctor` → `/usr/lib/certdoctor/certstore.exe`): a host without mingw-w64 cannot build one.
    public static func installedLocation(executable: URL) -> URL {
        executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("lib/certdoctor/certstore.exe").standardizedFileURL
    }

    /// The prebuilt helper of an installation, when there is one.
    public static func installed(executable: URL = CurrentExecutable.url) -> URL? {
        let location = installedLocation(executable: executable)
        return FileManager.default.isReadableFile(atPath: location.path) ? location : nil
    }

    /// Builds `certstore.exe` from the repository's C source with `Tools/win32/build.sh`, into `output`'s
    /// directory under `output`'s name.
    public static func build(dataRoot: URL, into output: URL) throws {
        let script = dataRoot.appendingPathComponent("Tools/win32/build.sh")
        // An installation has no sources: say where the helper was looked for instead of failing in sh.
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw StoreImportError.helperMissing(searched: [installedLocation(executable: CurrentExecutable.url).path, output.path, script.path])
        }
        let directory = output.deletingLastPathComponent()
        // A fresh account has no ~/.cache/certdoctor yet; the compiler does not make it.
        try AtomicFile.createDirectories(directory, mode: 0o700)
        let result = try ChildProcess.run(
            "/bin/sh", arguments: [script.path, "certstore", directory.path],
            environment: SecretVariables.removed(from: ProcessInfo.processInfo.environment),
            deadline: Date().addingTimeInterval(120))
        guard result.reason == .exited(0) else { throw StoreImportError.helperBuildFailed(result.errorText) }
        let built = directory.appendingPathComponent("certstore.exe")
        if built.standardizedFileURL != output.standardizedFileURL {
            try? FileManager.default.removeItem(at: output)
            try FileManager.default.moveItem(at: built, to: output)
        }
    }

    public static func wineEnvironment(prefix: URL) -> [String: String] {
        var environment = SecretVariables.removed(from: ProcessInfo.processInfo.environment)
        environment["WINEPREFIX"] = prefix.path
        environment["WINEDEBUG"] = "-all"
        environment.removeValue(forKey: "DISPLAY")
        return environment
    }

    /// Runs the helper under Wine, then waits for the wineserver to exit so that the hives on disk hold what
    /// it did (a wineserver saves on exit; while it runs the files are stale).
    public static func run(_ helper: URL, _ arguments: [String], prefix: URL, input: [UInt8] = []) throws -> ChildProcess.Termination {
        let environment = wineEnvironment(prefix: prefix)
        let deadline = Date().addingTimeInterval(120)
        let result = try ChildProcess.run("/usr/bin/wine", arguments: [helper.path] + arguments, environment: environment, input: input, deadline: deadline)
        _ = try ChildProcess.run("/usr/bin/wineserver", arguments: ["-w"], environment: environment, deadline: deadline)
        return result
    }

    /// A Linux path as Wine's Z: drive names it.
    public static func winePath(_ url: URL) -> String {
        "Z:" + url.path.replacingOccurrences(of: "/", with: "\\")
    }
}

public enum StoreImportError: Error, LocalizedMessage, LocalizedError, Sendable {
    case helperMissing(searched: [String])
    case helperBuildFailed(String)
    case importFailed(status: String, message: String)
    case notInStore(thumbprint: String)

    public var localizedMessage: Localized {
        switch self {
        case .helperMissing(let searched):
            Localized(zh: "未找到证书导入程序 certstore.exe（查找过：\(searched.joined(separator: ", "))；请重新安装 certdoctor 软件包，或在源码目录中运行 Tools/win32/build.sh，需要 gcc-mingw-w64-i686-win32）",
                      en: "the certificate importer certstore.exe is missing (looked in: \(searched.joined(separator: ", ")); reinstall the certdoctor package, or run Tools/win32/build.sh in a checkout; needs gcc-mingw-w64-i686-win32)")
        case .helperBuildFailed(let text):
            Localized(zh: "无法编译 certstore.exe：\(text)", en: "cannot build certstore.exe: \(text)")
        case .importFailed(let status, let message):
            Localized(zh: "导入失败（\(status)）：\(message)", en: "the import failed (\(status)): \(message)")
        case .notInStore(let thumbprint):
            Localized(zh: "导入后在“个人”存储中读不到证书 \(thumbprint) 及其私钥", en: "after the import, certificate \(thumbprint) with its private key cannot be read back from the Personal store")
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }
}
