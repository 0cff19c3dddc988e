/// One fact a check looked at: a registry value, a reader's ATR, a certificate's serial.
///
/// The kind tells reporters what personal data a value may hold, so redaction does not have to guess.
public struct Evidence: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case text
        case path
        case serialNumber
        case hostName
        case userName
        case email
    }

    public var name: String
    public var value: String
    public var kind: Kind

    public init(_ name: String, _ value: String, kind: Kind = .text) {
        self.name = name
        self.value = value
        self.kind = kind
    }
}

/// A certificate a check examined, for reports that track expiry (Prometheus `x509_cert_*`).
public struct CertificateObservation: Sendable, Codable, Hashable {
    public var subjectCommonName: String
    public var issuerCommonName: String
    public var serialNumber: String
    public var notBefore: Double
    public var notAfter: Double
    public var filePath: String

    public init(
        subjectCommonName: String, issuerCommonName: String, serialNumber: String,
        notBefore: Double, notAfter: Double, filePath: String
    ) {
        self.subjectCommonName = subjectCommonName
        self.issuerCommonName = issuerCommonName
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.filePath = filePath
    }
}
