import CertDoctorCore

/// The token checks, for registration next to `BuiltInChecks.all`.
public enum TokenChecks {
    public static let all: [any Check] = [
        PCSCServiceCheck(),
        TokenDriverCheck(),
        TokenPresentCheck(),
        TokenSingleCheck(),
        TokenCertificateCheck(),
    ]
}

/// Token examples name scenarios (`token/one-token`) that the token tests bring up for real: pcscd with
/// virtual cards, driver bundles, SoftHSM2 tokens. They are not files under `Tests/Fixtures/`.
enum TokenScenario {
    static func path(_ name: String) -> String {
        "token/\(name)"
    }
}
