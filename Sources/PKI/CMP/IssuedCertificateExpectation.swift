import COpenSSL
import COpenSSLShims
import Foundation

/// What a first certificate must be before it is confirmed: the CA's published certificates (caPubs) are the
/// pinned root and nothing else, the certificate chains to that root and names the gateway. An answer
/// protected only by the shared secret is as trustworthy as the secret, so the root is the anchor, not caPubs.
///
/// A class because OpenSSL's certConf callback reaches it through a raw pointer; immutable, hence Sendable.
final class IssuedCertificateExpectation: Sendable {
    let root: X509Certificate
    let commonName: String

    init(root: X509Certificate, commonName: String) {
        self.root = root
        self.commonName = commonName
    }

    /// Why `certificate` must be refused, as a C string for the certConf's status text; nil to accept it.
    func refusal(of certificate: OpaquePointer, in context: OpaquePointer) -> Refusal? {
        if let published = OSSL_CMP_CTX_get1_caPubs(context) {
            defer { cd_sk_X509_pop_free(published) }
            let matches = (0..<cd_sk_X509_num(published)).allSatisfy { index in
                cd_sk_X509_value(published, index).flatMap { try? X509Certificate(borrowing: $0) } == root
            }
            guard matches else { return .foreignPublications }
        }
        guard chainsToRoot(certificate, in: context) else { return .notUnderRoot }
        guard (try? X509Certificate(borrowing: certificate))?.subjectCommonName == commonName else { return .otherName }
        return nil
    }

    private func chainsToRoot(_ certificate: OpaquePointer, in context: OpaquePointer) -> Bool {
        guard let store = OSSL_CMP_CTX_get0_trustedStore(context), let verification = X509_STORE_CTX_new() else { return false }
        defer { X509_STORE_CTX_free(verification) }
        guard X509_STORE_CTX_init(verification, store, certificate, OSSL_CMP_CTX_get0_untrusted(context)) == 1 else { return false }
        return X509_verify_cert(verification) == 1
    }

    /// The refusals, worded for the CA's log and recognisable in `CMPError.certificateNotAccepted`'s detail.
    enum Refusal: CaseIterable {
        case foreignPublications, notUnderRoot, otherName

        var message: StaticString {
            switch self {
            case .foreignPublications: "caPubs do not match the pinned root certificate"
            case .notUnderRoot: "the certificate does not chain to the pinned root certificate"
            case .otherName: "the certificate does not name the requested gateway"
            }
        }

        /// Static storage: OpenSSL keeps the pointer until the certConf is sent.
        var text: UnsafePointer<CChar> {
            UnsafeRawPointer(message.utf8Start).assumingMemoryBound(to: CChar.self)
        }
    }
}
