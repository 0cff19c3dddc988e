import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// What the user asked to examine, as the command line gave it, before anything is read.
public struct TargetRequest: Sendable {
    public var pfx: String?
    public var passwordFile: String?
    public var gateway: String?
    public var winePrefix: String?
    public var registryFiles: [String]
    public var registryHive: String?
    public var token: Bool
    public var pkcs11Module: String?
    public var tokenLabel: String?
    public var tokenPinFile: String?
    public var browsers: [String]
    public var language: Language
    public var timeout: TimeInterval
    /// Whether to look for targets when none is named (`--no-discover` turns it off).
    public var discover: Bool
    /// `--warn-days`: the renewal window, instead of the profile's.
    public var warnDays: Int?
    /// What discovery found, for the person to read before the results.
    public private(set) var discoveryNotes: [Localized] = []

    public init(
        pfx: String? = nil, passwordFile: String? = nil, gateway: String? = nil, winePrefix: String? = nil,
        registryFiles: [String] = [], registryHive: String? = nil, token: Bool = false, pkcs11Module: String? = nil,
        tokenLabel: String? = nil, tokenPinFile: String? = nil, browsers: [String] = [], language: Language,
        timeout: TimeInterval = 10, discover: Bool = false, warnDays: Int? = nil
    ) {
        self.discover = discover
        self.warnDays = warnDays
        self.pkcs11Module = pkcs11Module
        self.tokenLabel = tokenLabel
        self.tokenPinFile = tokenPinFile
        self.pfx = pfx
        self.passwordFile = passwordFile
        self.gateway = gateway
        self.winePrefix = winePrefix
        self.registryFiles = registryFiles
        self.registryHive = registryHive
        self.token = token
        self.browsers = browsers
        self.language = language
        self.timeout = timeout
    }

    /// The environment variable that may carry the file certificate's password.
    public static let passwordVariable = SecretVariables.pfxPassword

    /// Failures of the request itself: a missing input file, a password that breaks the profile's rule.
    public enum Failure: Error, LocalizedMessage, CommandEndingProviding, Sendable {
        case inputNotFound(String)
        case passwordRule(Localized)

        public var localizedMessage: Localized {
            switch self {
            case .inputNotFound(let path):
                Localized(zh: "找不到输入文件：\(path)", en: "input file not found: \(path)")
            case .passwordRule(let rule):
                Localized(zh: "密码不符合规则：", en: "the password breaks the rule: ") + rule
            }
        }

        public var ending: CommandEnding {
            switch self {
            case .inputNotFound: .noInput
            case .passwordRule: .usage
            }
        }
    }

    /// Reads what the request names (the password, from a file, the environment or the terminal) and
    /// checks it against the profile's rules.
    public var namesNoTarget: Bool {
        pfx == nil && !token && winePrefix == nil && registryFiles.isEmpty
    }

    /// With no target named and discovery on, fills in what discovery finds and notes it.
    public mutating func applyDiscovery(profile: SSCCProfile, processEnvironment: [String: String] = ProcessInfo.processInfo.environment) {
        guard discover, namesNoTarget else { return }
        let found = TargetDiscovery(
            directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), processEnvironment: processEnvironment
        ).discover(profile: profile)
        var notes: [Localized] = []
        if let file = found.pfx {
            pfx = file.path
            discoveredPFX = true
            notes.append(Localized(zh: "找到文件证书：\(file.path)", en: "found the file certificate \(file.path)"))
        } else if !found.pfxCandidates.isEmpty {
            let list = found.pfxCandidates.map(\.lastPathComponent).joined(separator: ", ")
            notes.append(Localized(
                zh: "找到多个文件证书（\(list)），请用 --pfx 指定一个", en: "found several file certificates (\(list)); name one with --pfx"))
        }
        if let prefix = found.winePrefix {
            winePrefix = prefix.path
            notes.append(Localized(zh: "找到 Wine 前缀：\(prefix.path)", en: "found the Wine prefix \(prefix.path)"))
        }
        if found.tokenPresent {
            token = true
            notes.append(Localized(zh: "PC/SC 服务有应答，读卡器中有 USB Key", en: "a PC/SC service answers and a reader holds a token"))
        }
        if notes.isEmpty {
            notes.append(Localized(
                zh: "当前目录没有找到网关证书，也没有 Wine 前缀或 USB Key（可用 --pfx、--wine-prefix、--registry、--token 指定）",
                en: "found no gateway certificate in this directory, no Wine prefix and no token (name them with --pfx, --wine-prefix, --registry, --token)"))
        }
        discoveryNotes = notes
    }

    /// A certificate that discovery found is opened only with a password the user gave; no prompt is shown.
    var discoveredPFX = false

    public func environment(profile: SSCCProfile, processEnvironment: [String: String] = SecretVariables.processEnvironment) throws -> Environment {
        var environment = Environment(language: language, pluginTimeout: timeout)
        // Every target is set, present or not, so that a plugin hears of each from certdoctor alone.
        environment.gateway = gateway
        environment.pfxFile = nil
        environment.winePrefix = nil
        environment.registryFiles = []
        environment.registryHive = registryHive
        environment.tokenRequested = token
        environment.browsers = browsers
        environment.warnDays = warnDays
        if let pfx {
            guard FileManager.default.isReadableFile(atPath: pfx) else { throw Failure.inputNotFound(pfx) }
            environment.pfxFile = URL(fileURLWithPath: pfx)
            if !discoveredPFX || passwordFile != nil || processEnvironment[Self.passwordVariable] != nil {
                let prompt = Localized(zh: "证书密码（6 位数字）：", en: "Certificate password (6 digits): ").text(language)
                let password = try SecretReader.read(
                    SecretReader.Name.certificatePassword, file: passwordFile, option: "--password-file", variable: Self.passwordVariable, prompt: prompt,
                    environment: processEnvironment)
                // R14: the rule is stated, the password itself never is.
                guard profile.fileCertificate.passwordIsValid(password.reveal()) else {
                    throw Failure.passwordRule(profile.fileCertificate.passwordRule)
                }
                environment.pfxPassword = password
            }
        }
        if token {
            environment.tokenOptions = try TokenOptions.fromCommandLine(
                pkcs11Module: pkcs11Module, tokenLabel: tokenLabel, pinFile: tokenPinFile, environment: processEnvironment)
        }
        for file in registryFiles {
            guard FileManager.default.isReadableFile(atPath: file) else { throw Failure.inputNotFound(file) }
            environment.registryFiles.append(URL(fileURLWithPath: file))
        }
        if let prefix = winePrefix ?? processEnvironment["WINEPREFIX"] {
            guard FileManager.default.fileExists(atPath: prefix) else { throw Failure.inputNotFound(prefix) }
            environment.winePrefix = URL(fileURLWithPath: prefix)
        } else if registryFiles.isEmpty, let prefix = try? WinePrefix.locate(environment: processEnvironment) {
            // Wine's own default prefix, as DESIGN.md says, unless exported files name another Windows side.
            environment.winePrefix = prefix.directory
        }
        if let installed = CertStoreHelper.installed() {
            // The package's prebuilt Win32 helper that imports a PFX into the prefix's store.
            environment.certStoreHelper = installed
        } else if environment.winePrefix != nil {
            // A checkout: where the helper is built when a fix first needs it.
            let cache = processEnvironment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: processEnvironment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache")
            environment.certStoreHelper = cache.appendingPathComponent("certdoctor/certstore.exe")
        }
        return environment
    }
}

extension ProfileLoader.Failure: CommandEndingProviding {}
