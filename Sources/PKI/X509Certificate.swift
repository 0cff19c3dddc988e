import COpenSSL
import COpenSSLShims
import Foundation

/// An X.509 certificate as plain values. OpenSSL is used to parse it once; nothing here holds a handle.
public struct X509Certificate: Sendable, Hashable, CustomStringConvertible {
    /// The certificate exactly as encoded (DER).
    public let der: [UInt8]
    /// RFC 2253 one-line form, most specific RDN first (`CN=…,O=…,C=CN`). Non-ASCII characters are kept
    /// as UTF-8, which RFC 2253 §2.4 allows, rather than `\E8\AF…` escapes: the names are Chinese.
    public let subject: String
    public let subjectCommonName: String?
    public let issuer: String
    public let issuerCommonName: String?
    /// Uppercase hex, exactly as `openssl x509 -serial` prints it after `serial=`.
    public let serialNumberHex: String
    public let notBefore: Date
    public let notAfter: Date
    /// Uppercase hex SHA-1 of `der`, without separators (what Windows calls the thumbprint).
    public var sha1Thumbprint: String { OpenSSLBytes.hex(sha1Digest) }
    /// The raw SHA-1 of `der`: also the localKeyID OpenSSL and Windows put on a key/certificate pair.
    let sha1Digest: [UInt8]
    /// The SubjectPublicKeyInfo (DER).
    public let publicKeyDER: [UInt8]
    /// The subject Name (DER), kept so that a CSR can repeat it byte for byte.
    let subjectNameDER: [UInt8]

    /// Parses one DER-encoded certificate. Trailing bytes are an error.
    public init(derEncoded der: [UInt8]) throws(CertificateError) {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        guard let (x509, consumed) = OpenSSLBytes.decode(der, { d2i_X509(nil, $0, $1) }) else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "not a DER X.509 certificate"))
        }
        defer { X509_free(x509) }
        guard consumed == der.count else {
            throw .malformed(detail: "\(der.count - consumed) bytes of trailing data after the certificate")
        }
        try self.init(borrowing: x509)
    }

    /// Parses the first certificate of PEM text (or DER bytes); see ``load(_:)`` for all of them.
    public init(bytes: [UInt8]) throws(CertificateError) {
        guard let first = try X509Certificate.load(bytes).first else { throw .noCertificate }
        self = first
    }

    /// Reads the fields of an OpenSSL `X509*` without taking ownership of it.
    package init(borrowing x509: OpaquePointer) throws(CertificateError) {
        guard let der = OpenSSLBytes.der({ i2d_X509(x509, $0) }),
              let subjectName = X509_get_subject_name(x509),
              let issuerName = X509_get_issuer_name(x509),
              let subjectNameDER = OpenSSLBytes.der({ i2d_X509_NAME(subjectName, $0) }),
              let serial = OpenSSLBytes.bioString({ i2a_ASN1_INTEGER($0, X509_get0_serialNumber(x509)) >= 0 }),
              let notBefore = Self.date(X509_get0_notBefore(x509)),
              let notAfter = Self.date(X509_get0_notAfter(x509)),
              let publicKeyDER = OpenSSLBytes.der({ i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), $0) })
        else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "incomplete certificate"))
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        guard X509_digest(x509, EVP_sha1(), &digest, &digestLength) == 1 else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "cannot hash the certificate"))
        }
        self.der = der
        self.subject = Self.rfc2253(subjectName)
        self.subjectCommonName = Self.commonName(subjectName)
        self.issuer = Self.rfc2253(issuerName)
        self.issuerCommonName = Self.commonName(issuerName)
        self.serialNumberHex = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.sha1Digest = Array(digest.prefix(Int(digestLength)))
        self.publicKeyDER = publicKeyDER
        self.subjectNameDER = subjectNameDER
    }

    /// PEM text (`-----BEGIN CERTIFICATE-----`, 64-column base64, trailing newline).
    public func pem() -> String { OpenSSLBytes.pem(label: "CERTIFICATE", der: der) }

    /// The subject, issuer and serial number (an INTEGER) as DER, the forms PKCS#11 certificate objects carry
    /// (CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER) for other tools to search by.
    public func pkcs11NamesDER() -> (subject: [UInt8], issuer: [UInt8], serialNumber: [UInt8]) {
        withX509 { x509 in
            (subjectNameDER,
             OpenSSLBytes.der({ i2d_X509_NAME(X509_get_issuer_name(x509), $0) }) ?? [],
             OpenSSLBytes.der({ i2d_ASN1_INTEGER(X509_get0_serialNumber(x509), $0) }) ?? [])
        }
    }

    /// True when `issuer`'s public key verifies this certificate's signature. Names are not compared.
    public func verifySignature(issuedBy issuer: X509Certificate) -> Bool {
        withX509 { subject in
            issuer.withX509 { issuerX509 in
                defer { ERR_clear_error() }
                guard let key = X509_get0_pubkey(issuerX509) else { return false }
                return X509_verify(subject, key) == 1
            }
        }
    }

    public var description: String {
        "\(subject) (serial \(serialNumberHex), SHA-1 \(sha1Thumbprint))"
    }

    public static func == (lhs: X509Certificate, rhs: X509Certificate) -> Bool { lhs.der == rhs.der }
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    /// A short-lived OpenSSL handle for this certificate. `der` came from OpenSSL, so it always parses.
    package func withX509<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        guard let (x509, _) = OpenSSLBytes.decode(der, { d2i_X509(nil, $0, $1) }) else {
            preconditionFailure("X509Certificate.der no longer parses")
        }
        defer { X509_free(x509) }
        return try body(x509)
    }

    /// True for CA certificates (basicConstraints cA, or a v1 self-signed root).
    var isCertificateAuthority: Bool { withX509 { X509_check_ca($0) != 0 } }

    private static func rfc2253(_ name: OpaquePointer) -> String {
        OpenSSLBytes.bioString({ X509_NAME_print_ex($0, name, 0, cd_xn_flag_rfc2253_utf8) >= 0 }) ?? ""
    }

    /// The last (most specific) CN of a name, as UTF-8.
    private static func commonName(_ name: OpaquePointer) -> String? {
        var index: Int32 = -1
        var last: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, NID_commonName, index)
            if index < 0 { break }
            last = index
        }
        guard last >= 0, let entry = X509_NAME_get_entry(name, last) else { return nil }
        return OpenSSLBytes.utf8(X509_NAME_ENTRY_get_data(entry))
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

public enum CertificateError: Error, Equatable, Sendable, LocalizedError {
    /// The bytes are not a certificate (or PKCS#7 certificate bundle) OpenSSL can read.
    case malformed(detail: String)
    /// The input parsed but held no certificate (e.g. a PEM file with only a private key).
    case noCertificate

    public var errorDescription: String? {
        switch self {
        case .malformed(let detail): "malformed certificate data: \(detail)"
        case .noCertificate: "no certificate found in the data"
        }
    }
}
