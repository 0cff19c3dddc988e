import CertDoctorCore

/// Every check that ships with certdoctor, in the order reports list them. Adding a check is one line here.
public enum BuiltInChecks {
    public static let all: [any Check] = [
        PFXReadableCheck(),
        PFXNameCheck(),
        ValidityCheck(),
        KeyPairCheck(),
        PFXCompatibilityCheck(),
    ] + TokenChecks.all
}
