import COpenSSL
import COpenSSLShims
import Foundation
import PKI

/// NOT FOR PRODUCTION. A throw-away certification authority for tests: the CMP test server signs with it,
/// and other modules' tests use it to make certificates with given subjects and keys. It lives in Sources
/// only because ``TestCMPServer`` needs it; nothing in certdoctor's own code paths may use it.
public struct TestCertificateAuthority: Sendable {
    public let certificate: X509Certificate
    public let key: PrivateKey

    /// A self-signed CA with a fresh key: basicConstraints cA, keyCertSign, and digitalSignature because it
    /// also signs CMP responses (OpenSSL's CMP client requires that key usage of the response signer).
    public init(commonName: String = "CertDoctor Test CA", keyKind: PrivateKey.Kind = .ecP256,
                validityDays: Int = 365) throws(TestPKIError) {
        let key = try TestPKIError.wrap { () throws(PrivateKeyError) in try PrivateKey.generate(keyKind) }
        let name = try Self.name([("O", "CertDoctor Test"), ("CN", commonName)])
        defer { X509_NAME_free(name) }
        let x509 = try key.withEVPKey { evpKey throws(TestPKIError) in
            try Self.build(subject: name, issuer: nil, publicKey: evpKey, signingKey: evpKey, isCA: true,
                           validityDays: validityDays)
        }
        defer { X509_free(x509) }
        self.certificate = try TestPKIError.wrap { () throws(CertificateError) in try X509Certificate(borrowing: x509) }
        self.key = key
    }

    /// A certificate for `key`'s public key, issued by this CA. `subject` is in order, most general first,
    /// e.g. `[("C", "CN"), ("O", "测试公司"), ("CN", "张三")]`; values are UTF-8.
    public func issue(subject: [(String, String)], for key: some SigningKey, validityDays: Int = 30) throws(TestPKIError) -> X509Certificate {
        let name = try Self.name(subject)
        defer { X509_NAME_free(name) }
        let x509 = try key.withEVPKey { evpKey throws(TestPKIError) in try issue(subject: name, publicKey: evpKey, validityDays: validityDays) }
        defer { X509_free(x509) }
        return try TestPKIError.wrap { () throws(CertificateError) in try X509Certificate(borrowing: x509) }
    }

    /// Issues an `X509*` (owned by the caller) for an OpenSSL name and public key.
    func issue(subject: OpaquePointer, publicKey: OpaquePointer, validityDays: Int = 30) throws(TestPKIError) -> OpaquePointer {
        try certificate.withX509 { issuer throws(TestPKIError) in
            try key.withEVPKey { signingKey throws(TestPKIError) in
                try Self.build(subject: subject, issuer: issuer, publicKey: publicKey, signingKey: signingKey,
                               isCA: false, validityDays: validityDays)
            }
        }
    }

    static func name(_ components: [(String, String)]) throws(TestPKIError) -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw TestPKIError("X509_NAME_new") }
        for (field, value) in components {
            let bytes = Array(value.utf8)
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1 else {
                X509_NAME_free(name)
                throw TestPKIError("name component \(field)")
            }
        }
        return name
    }

    /// An X.509 v3 certificate with a random positive 128-bit serial and a validity starting a minute ago.
    private static func build(subject: OpaquePointer, issuer: OpaquePointer?, publicKey: OpaquePointer,
                              signingKey: OpaquePointer, isCA: Bool, validityDays: Int) throws(TestPKIError) -> OpaquePointer {
        guard let x509 = X509_new() else { throw TestPKIError("X509_new") }
        var serialBytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serialBytes, Int32(serialBytes.count)) == 1 else { X509_free(x509); throw TestPKIError("RAND_bytes") }
        serialBytes[0] &= 0x7F
        serialBytes[0] |= 0x40
        let serial = BN_bin2bn(serialBytes, Int32(serialBytes.count), nil)
        defer { BN_free(serial) }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer ?? x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] = isCA
            ? [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"),
               (NID_subject_key_identifier, "hash")]
            : [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
               (NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid")]
        var built = X509_set_version(x509, 2) == 1
            && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x509)) != nil
            && X509_set_subject_name(x509, subject) == 1
            && X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0) } ?? subject) == 1
            && X509_gmtime_adj(X509_getm_notBefore(x509), -60) != nil
            && X509_gmtime_adj(X509_getm_notAfter(x509), validityDays * 86_400) != nil
            && X509_set_pubkey(x509, publicKey) == 1
        for (nid, value) in extensions where built {
            guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, nid, value) else { built = false; break }
            built = X509_add_ext(x509, extensionValue, -1) == 1
            X509_EXTENSION_free(extensionValue)
        }
        guard built, X509_sign(x509, signingKey, EVP_sha256()) > 0 else {
            X509_free(x509)
            throw TestPKIError("building the certificate: \(OpenSSLError.summary(OpenSSLError.drain(), fallback: "failed"))")
        }
        return x509
    }
}

/// NOT FOR PRODUCTION. What went wrong in the test CA or test CMP server.
public struct TestPKIError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) { self.description = description }

    static func wrap<T, E: Error>(_ body: () throws(E) -> T) throws(TestPKIError) -> T {
        do { return try body() } catch { throw TestPKIError("\(error)") }
    }
}
