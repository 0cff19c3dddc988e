import CertDoctorCore

/// The gateway number the run is about (`--gateway`), when the user named it rather than leaving it to the
/// certificate's CN.
enum GatewayKey: EnvironmentKey {
    static let defaultValue: String? = nil
    static let pluginVariableNames = ["CERTDOCTOR_GATEWAY"]
    static func pluginVariables(for value: String?) -> [String: String] {
        value.map { ["CERTDOCTOR_GATEWAY": $0] } ?? [:]
    }
}

extension Environment {
    public var gateway: String? {
        get { self[GatewayKey.self] }
        set { self[GatewayKey.self] = newValue }
    }
}
