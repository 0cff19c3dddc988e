import COpenSSL
import COpenSSLShims

extension X509Certificate {
    /// Every certificate in an issued-certificate file, in file order: a `.pem` bundle, a `.cer` (DER or
    /// PEM), or a `.p7b` PKCS#7 certs-only bundle (DER or PEM). PEM blocks other than certificates and
    /// PKCS#7 (e.g. a private key in the same file) are skipped.
    public static func load(_ bytes: [UInt8]) throws(CertificateError) -> [X509Certificate] {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        let certificates = try looksLikePEM(bytes) ? loadPEM(bytes) : loadDER(bytes)
        guard !certificates.isEmpty else { throw .noCertificate }
        return certificates
    }

    /// PEM text starts with its BEGIN line, possibly after blank lines or a UTF-8 BOM.
    static func looksLikePEM(_ bytes: [UInt8]) -> Bool {
        let marker = Array("-----BEGIN ".utf8)
        return bytes.prefix(4096).indices.contains { index in bytes[index...].starts(with: marker) }
    }

    private static func loadDER(_ bytes: [UInt8]) throws(CertificateError) -> [X509Certificate] {
        if let (x509, consumed) = OpenSSLBytes.decode(bytes, { d2i_X509(nil, $0, $1) }) {
            defer { X509_free(x509) }
            if consumed == bytes.count { return [try X509Certificate(borrowing: x509)] }
        }
        ERR_clear_error()
        if let (pkcs7, consumed) = OpenSSLBytes.decode(bytes, { d2i_PKCS7(nil, $0, $1) }) {
            defer { PKCS7_free(pkcs7) }
            if consumed == bytes.count { return try certificates(in: pkcs7) }
        }
        throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(),
                                                      fallback: "neither a DER certificate nor a PKCS#7 bundle"))
    }

    private static func loadPEM(_ bytes: [UInt8]) throws(CertificateError) -> [X509Certificate] {
        var found: [X509Certificate] = []
        var failure: CertificateError?
        OpenSSLBytes.withReadBIO(bytes) { bio in
            while failure == nil {
                var name: UnsafeMutablePointer<CChar>?
                var header: UnsafeMutablePointer<CChar>?
                var data: UnsafeMutablePointer<UInt8>?
                var length = 0
                guard PEM_read_bio(bio, &name, &header, &data, &length) == 1, let name, let data else {
                    // The normal end is "no start line"; anything else is a damaged block.
                    let errors = OpenSSLError.drain()
                    if let last = errors.last, !(last.library == ERR_LIB_PEM && last.reason == PEM_R_NO_START_LINE) {
                        failure = .malformed(detail: OpenSSLError.summary(errors, fallback: "bad PEM block"))
                    }
                    break
                }
                defer { cd_openssl_free(name); cd_openssl_free(header); cd_openssl_free(data) }
                let block = Array(UnsafeBufferPointer(start: data, count: length))
                do throws(CertificateError) {
                    switch String(cString: name) {
                    case "CERTIFICATE", "X509 CERTIFICATE":
                        found.append(try X509Certificate(derEncoded: block))
                    case "TRUSTED CERTIFICATE":
                        found.append(try trustedCertificate(block))
                    case "PKCS7", "PKCS #7 SIGNED DATA", "CERTIFICATE CHAIN":
                        found += try loadDER(block)
                    default:
                        continue
                    }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return found
    }

    /// OpenSSL's "TRUSTED CERTIFICATE" is a certificate followed by trust settings.
    private static func trustedCertificate(_ block: [UInt8]) throws(CertificateError) -> X509Certificate {
        guard let (x509, _) = OpenSSLBytes.decode(block, { d2i_X509_AUX(nil, $0, $1) }) else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "bad trusted certificate"))
        }
        defer { X509_free(x509) }
        return try X509Certificate(borrowing: x509)
    }

    private static func certificates(in pkcs7: UnsafeMutablePointer<PKCS7>) throws(CertificateError) -> [X509Certificate] {
        guard let stack = cd_pkcs7_signed_certificates(pkcs7) else {
            throw .malformed(detail: "PKCS#7 content is not signedData with certificates")
        }
        var result: [X509Certificate] = []
        for index in 0..<cd_sk_X509_num(stack) {
            guard let x509 = cd_sk_X509_value(stack, index) else { continue }
            result.append(try X509Certificate(borrowing: x509))
        }
        return result
    }
}
