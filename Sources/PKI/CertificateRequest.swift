import COpenSSL
import COpenSSLShims
import Foundation

/// A PKCS#10 certificate request, as plain values.
public struct CertificateRequest: Sendable, Hashable {
    public let der: [UInt8]
    /// RFC 2253 one-line subject, in the same form as ``X509Certificate/subject``.
    public let subject: String
    /// The requested key's SubjectPublicKeyInfo (DER).
    public let publicKeyDER: [UInt8]

    /// A request for `key` under exactly the subject of `certificate` (the Name is copied as DER, so
    /// string types and non-ASCII values stay byte for byte), signed with `key` using SHA-256.
    public init(subjectOf certificate: X509Certificate, key: some SigningKey) throws(CertificateRequestError) {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        defer { ERR_clear_error() }
        func failure(_ step: String) -> CertificateRequestError {
            .creationFailed(detail: "\(step): \(OpenSSLError.summary(OpenSSLError.drain(), fallback: "failed"))")
        }
        guard let request = X509_REQ_new() else { throw failure("allocation") }
        defer { X509_REQ_free(request) }
        guard let (name, _) = OpenSSLBytes.decode(certificate.subjectNameDER, { d2i_X509_NAME(nil, $0, $1) }) else {
            throw failure("subject")
        }
        defer { X509_NAME_free(name) }
        guard X509_REQ_set_version(request, 0) == 1, X509_REQ_set_subject_name(request, name) == 1 else {
            throw failure("subject")
        }
        try key.withEVPKey { evpKey throws(CertificateRequestError) in
            guard X509_REQ_set_pubkey(request, evpKey) == 1 else { throw failure("public key") }
            guard X509_REQ_sign(request, evpKey, EVP_sha256()) > 0 else { throw failure("signature") }
        }
        guard let der = OpenSSLBytes.der({ i2d_X509_REQ(request, $0) }),
              let subject = OpenSSLBytes.bioString({
                  X509_NAME_print_ex($0, X509_REQ_get_subject_name(request), 0, cd_xn_flag_rfc2253_utf8) >= 0
              })
        else { throw failure("encoding") }
        self.der = der
        self.subject = subject
        self.publicKeyDER = key.publicKeyDER
    }

    /// PEM text (`-----BEGIN CERTIFICATE REQUEST-----`).
    public func pem() -> String { OpenSSLBytes.pem(label: "CERTIFICATE REQUEST", der: der) }
}

public enum CertificateRequestError: Error, Equatable, Sendable, LocalizedError {
    case creationFailed(detail: String)

    public var errorDescription: String? {
        switch self {
        case .creationFailed(let detail): "cannot create the certificate request: \(detail)"
        }
    }
}
