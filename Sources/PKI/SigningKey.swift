import COpenSSL
import Foundation

/// A private key OpenSSL can sign with: one held in memory (``PrivateKey``) or one that stays on a token
/// (``TokenKey``). Requests and CMP messages are signed through this, so either kind can stand anywhere.
public protocol SigningKey: Sendable {
    /// "RSA" or "EC" (OpenSSL's key type name).
    var algorithm: String { get }
    /// Key size: the RSA modulus or the EC field size in bits.
    var bits: Int { get }
    /// The SubjectPublicKeyInfo (DER); compare with ``X509Certificate/publicKeyDER``.
    var publicKeyDER: [UInt8] { get }
    /// A short-lived `EVP_PKEY*` for one OpenSSL call; a callee that keeps it takes a reference of its own.
    func withEVPKey<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T
}

extension SigningKey {
    /// True when `certificate` carries this key's public key.
    public func matches(_ certificate: X509Certificate) -> Bool {
        withEVPKey { key in
            certificate.withX509 { x509 in
                defer { ERR_clear_error() }
                guard let certificateKey = X509_get0_pubkey(x509) else { return false }
                return EVP_PKEY_eq(key, certificateKey) == 1
            }
        }
    }
}
