import CertDoctorCore

/// Whether the run examines the hardware certificate on a token (`--token`).
enum TokenRequestedKey: EnvironmentKey {
    static let defaultValue = false
    static let pluginVariableNames = ["CERTDOCTOR_TOKEN"]
    static func pluginVariables(for value: Bool) -> [String: String] {
        value ? ["CERTDOCTOR_TOKEN": "1"] : [:]
    }
}

extension Environment {
    public var tokenRequested: Bool {
        get { self[TokenRequestedKey.self] }
        set { self[TokenRequestedKey.self] = newValue }
    }
}

extension Facet {
    /// A hardware certificate on a token (`--token`).
    public static let token = Facet(
        id: "token", missingReason: Localized(zh: "未检查硬件证书（--token）", en: "hardware certificate not requested (--token)")
    ) { $0.tokenRequested }
}
