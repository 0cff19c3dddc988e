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
        // Equal SubjectPublicKeyInfo bytes are the same key, and comparing them spares OpenSSL 3.0's decoder
        // set-up for the key, the largest cost of checking a PFX after its key derivations. Different bytes
        // can still be one key (a certificate may spell the algorithm's parameters otherwise), so OpenSSL decides.
        if publicKeyDER == certificate.publicKeyDER { return true }
        return withEVPKey { key in
            certificate.withX509 { x509 in
                defer { ERR_clear_error() }
                guard let certificateKey = X509_get0_pubkey(x509) else { return false }
                return EVP_PKEY_eq(key, certificateKey) == 1
            }
        }
    }

    /// True when a SHA-256 signature this key makes over a fresh message verifies with `certificate`'s public key:
    /// the key is the certificate's and it can sign (for a token key, a test signature made on the token).
    public func signsFor(_ certificate: X509Certificate) -> Bool {
        OpenSSLRuntime.loadProviders()
        let message = Array("certdoctor test signature \(UUID().uuidString)".utf8)
        guard let signature = withEVPKey({ key in
            OpenSSLDigest.sign(message, with: key)
        }) else { return false }
        return certificate.withX509 { x509 in
            defer { ERR_clear_error() }
            guard let publicKey = X509_get0_pubkey(x509), let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            return EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, publicKey) == 1
                && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        }
    }
}

/// One SHA-256 signature through EVP, whatever the key's kind.
private enum OpenSSLDigest {
    static func sign(_ message: [UInt8], with key: OpaquePointer) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1,
              EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { return nil }
        return Array(signature.prefix(length))
    }
}
