import CertDoctorCore
import SSCCProfile

/// Every check written in Swift, in the order reports list them: the one list. Adding a check is its own file
/// and one line here; `AllChecksTests` fails when a `Check` type of this module is missing from it. The
/// declarative checks of `Checks/manifests/` and the plugins join them in the doctor's registry. The ActiveX
/// checks are one per control the profile names, so the list is the profile's.
public enum AllChecks {
    public static func builtIn(_ profile: SSCCProfile) -> [any Check] {
        independentOfProfile + ActiveXControlCheck.all(in: profile)
    }

    /// The checks whose number does not depend on the profile.
    static let independentOfProfile: [any Check] = [
        // The file certificate.
        PFXReadableCheck(),
        PFXNameCheck(),
        ValidityCheck(),
        KeyPairCheck(),
        PFXCompatibilityCheck(),
        // The token and the host's PC/SC stack.
        PCSCServiceCheck(),
        TokenDriverCheck(),
        TokenPresentCheck(),
        TokenSingleCheck(),
        TokenCertificateCheck(),
        TokenRoomCheck(),
        // The Windows side (a Wine prefix or a customer's exported registry).
        TrustedSiteCheck(),
        PersonalCertificateCheck(),
        DownloadsCheck(),
        IEModeCheck(),
        TokenCSPCheck(),
        // The host itself.
        FreeSpaceCheck(),
    ]

    /// The file certificate's checks.
    public static var certificate: [any Check] { independentOfProfile.filter { $0.description.category == "certificate" } }
    /// The token's checks (`--token`).
    public static var token: [any Check] { independentOfProfile.filter { $0.description.category == "token" } }
    /// The host's own checks (free space).
    public static var host: [any Check] { independentOfProfile.filter { $0.description.category == "host" } }
    /// The checks of the Windows side and of the browsers the portal runs in.
    public static func windowsSide(_ profile: SSCCProfile) -> [any Check] {
        builtIn(profile).filter { !["certificate", "token", "host"].contains($0.description.category) }
    }
}
