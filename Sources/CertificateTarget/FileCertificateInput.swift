import CertDoctorCore
import Foundation

/// The file certificate a run examines (`--pfx`) and its password.
enum PFXFileKey: EnvironmentKey {
    static let defaultValue: URL? = nil
    static let pluginVariableNames = ["CERTDOCTOR_PFX"]
    static func pluginVariables(for value: URL?) -> [String: String] {
        value.map { ["CERTDOCTOR_PFX": $0.path] } ?? [:]
    }
}

/// The file certificate's password; never told to a plugin.
enum PFXPasswordKey: EnvironmentKey {
    static let defaultValue: Secret? = nil
}

extension Environment {
    public var pfxFile: URL? {
        get { self[PFXFileKey.self] }
        set { self[PFXFileKey.self] = newValue }
    }

    public var pfxPassword: Secret? {
        get { self[PFXPasswordKey.self] }
        set { self[PFXPasswordKey.self] = newValue }
    }
}

extension Facet {
    /// A file certificate (`--pfx`) and its password.
    public static let fileCertificate = Facet(
        id: "pfx", missingReason: Localized(zh: "未指定文件证书（--pfx）", en: "no file certificate given (--pfx)")
    ) { $0.pfxFile != nil }
}
