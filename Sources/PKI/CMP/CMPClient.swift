import COpenSSL
import COpenSSLShims
import Foundation

/// RFC 4210 key update (KUR) through OpenSSL's CMP client: the request is signed with the old key and
/// certificate, proves possession of the new key, the CA's answer must be protected by `caCertificate`,
/// the returned certificate must carry the new key and chain to the CA, and certConf is sent.
/// `timeout` limits each message round trip. OpenSSL's HTTP client retries a refused connection until that
/// expires, so one plain TCP connect comes first: a refused connection is reported at once, only an
/// unanswered one waits.
public enum CMPClient {
    public static func keyUpdate(server: URL, caCertificate: X509Certificate, oldCertificate: X509Certificate,
                                 oldKey: some SigningKey, newKey: some SigningKey,
                                 timeout: TimeInterval = 30) throws(CMPError) -> CMPResult {
        guard server.scheme?.lowercased() == "http", let host = server.host, !host.isEmpty,
              let components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        else { throw .invalidRequest(detail: "the CA address must be an http:// URL with a host") }
        let port = server.port ?? 80
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        try ConnectionProbe.connect(host: host, port: port, timeout: timeout)
        return try exchange(caCertificate: caCertificate, oldCertificate: oldCertificate, oldKey: oldKey, newKey: newKey,
                            timeout: timeout) { context in
            OSSL_CMP_CTX_set1_server(context, host) == 1 && OSSL_CMP_CTX_set_serverPort(context, Int32(port)) == 1
                && OSSL_CMP_CTX_set1_serverPath(context, path) == 1
                // Loopback never goes through a proxy taken from $http_proxy.
                && OSSL_CMP_CTX_set1_no_proxy(context, "localhost,127.0.0.1,::1") == 1
        }
    }

    /// One KUR transaction; `transport` points the context at the CA (HTTP, or a test server in-process).
    package static func exchange(caCertificate: X509Certificate, oldCertificate: X509Certificate, oldKey: some SigningKey,
                         newKey: some SigningKey, timeout: TimeInterval,
                         transport: (OpaquePointer) -> Bool) throws(CMPError) -> CMPResult {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard oldKey.matches(oldCertificate) else {
            throw .invalidRequest(detail: "the old key does not belong to the old certificate")
        }
        guard let context = OSSL_CMP_CTX_new(nil, nil) else { throw setupFailure("context") }
        defer { OSSL_CMP_CTX_free(context) }
        // The library would print its progress to stdout; what matters is on the error queue.
        OSSL_CMP_CTX_set_log_cb(context) { _, _, _, _, _ in 1 }
        // `timeout` bounds each message round trip (KUR/KUP, certConf/PKIConf). No total timeout: OSSL_CMP
        // caps a "waiting" answer's checkAfter at the time left minus 5 s, which would misreport the CA's delay.
        // Clamped as a Double first: converting an infinite or huge value to Int traps.
        let seconds = Int32(min(max(1, timeout.rounded(.up)), 86_400))
        guard OSSL_CMP_CTX_set_option(context, OSSL_CMP_OPT_MSG_TIMEOUT, seconds) == 1 else { throw setupFailure("timeout") }

        guard let store = X509_STORE_new() else { throw setupFailure("trust store") }
        guard caCertificate.withX509({ X509_STORE_add_cert(store, $0) }) == 1,
              OSSL_CMP_CTX_set0_trustedStore(context, store) == 1
        else { X509_STORE_free(store); throw setupFailure("trust store") }

        let identity = oldCertificate.withX509 { x509 in
            OSSL_CMP_CTX_set1_cert(context, x509) == 1 && OSSL_CMP_CTX_set1_oldCert(context, x509) == 1
        }
        let oldKeySet = oldKey.withEVPKey { OSSL_CMP_CTX_set1_pkey(context, $0) == 1 }
        let newKeySet = newKey.withEVPKey { key -> Bool in
            // set0 takes over a reference of its own; the one withEVPKey holds is released when it returns.
            guard EVP_PKEY_up_ref(key) == 1 else { return false }
            if OSSL_CMP_CTX_set0_newPkey(context, 1, key) == 1 { return true }
            EVP_PKEY_free(key)
            return false
        }
        guard identity, oldKeySet, newKeySet else { throw setupFailure("certificate and keys") }
        // Besides the library's own check that the new certificate carries the new key, verify that it
        // chains to the trusted CA before confirming it.
        guard OSSL_CMP_CTX_set_certConf_cb(context, OSSL_CMP_certConf_cb) == 1, transport(context) else {
            throw setupFailure("transport")
        }

        var checkAfter: Int32 = 0
        switch OSSL_CMP_try_certreq(context, OSSL_CMP_KUR, nil, &checkAfter) {
        case 1:
            return try issued(context, newKey: newKey)
        case -1:
            return .retryAfter(seconds: Int(checkAfter))
        default:
            return try failed(context)
        }
    }

    private static func issued(_ context: OpaquePointer, newKey: some SigningKey) throws(CMPError) -> CMPResult {
        guard let x509 = OSSL_CMP_CTX_get0_newCert(context),
              let certificate = try? X509Certificate(borrowing: x509)
        else { throw .protocolFailure(detail: "the CA reported success without a readable certificate") }
        // The library has already refused such a certificate (negative certConf); this is a backstop.
        guard certificate.publicKeyDER == newKey.publicKeyDER else {
            throw .certificateNotAccepted(detail: "the issued certificate does not carry the new key")
        }
        var chain = certificates(OSSL_CMP_CTX_get1_newChain(context))
        if chain.filter({ $0 != certificate }).isEmpty { chain = certificates(OSSL_CMP_CTX_get1_extraCertsIn(context)) }
        return .issued(certificate: certificate, chain: chain.filter { $0 != certificate })
    }

    private static func failed(_ context: OpaquePointer) throws(CMPError) -> CMPResult {
        let status = OSSL_CMP_CTX_get_status(context)
        let errors = OpenSSLError.drain()
        let detail = OpenSSLError.summary(errors, fallback: "no detail from OpenSSL")
        func has(_ reasons: [Int32]) -> Bool {
            errors.contains { $0.library == ERR_LIB_CMP && reasons.contains($0.reason) }
        }
        if has([CMP_R_CERTIFICATE_NOT_ACCEPTED]) { throw .certificateNotAccepted(detail: detail) }
        if status == OSSL_CMP_PKISTATUS_rejection {
            var buffer = [CChar](repeating: 0, count: 1024)
            let reason = OSSL_CMP_CTX_snprint_PKIStatus(context, &buffer, buffer.count).map { String(cString: $0) } ?? detail
            return .rejected(reason: reason, failureInfo: CMPFailureInfo.decode(Int(OSSL_CMP_CTX_get_failInfoCode(context))))
        }
        if has([CMP_R_ERROR_VALIDATING_PROTECTION, CMP_R_ERROR_VALIDATING_SIGNATURE, CMP_R_NO_SUITABLE_SENDER_CERT,
                CMP_R_SRVCERT_DOES_NOT_VALIDATE_MSG, CMP_R_MISSING_TRUST_ANCHOR, CMP_R_MISSING_PROTECTION]) {
            throw .untrustedResponse(detail: detail)
        }
        if errors.contains(where: { [ERR_LIB_HTTP, ERR_LIB_BIO, ERR_LIB_SYS].contains($0.library) })
            || has([CMP_R_TRANSFER_ERROR, CMP_R_TOTAL_TIMEOUT]) {
            throw .unreachable(detail: detail)
        }
        throw .protocolFailure(detail: detail)
    }

    /// Copies and frees a `STACK_OF(X509)` returned by a `get1` function.
    private static func certificates(_ stack: OpaquePointer?) -> [X509Certificate] {
        guard let stack else { return [] }
        defer { cd_sk_X509_pop_free(stack) }
        return (0..<cd_sk_X509_num(stack)).compactMap { index in
            cd_sk_X509_value(stack, index).flatMap { try? X509Certificate(borrowing: $0) }
        }
    }

    private static func setupFailure(_ step: String) -> CMPError {
        .invalidRequest(detail: "\(step): \(OpenSSLError.summary(OpenSSLError.drain(), fallback: "failed"))")
    }
}
