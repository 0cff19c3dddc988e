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
        let endpoint = try Endpoint(server)
        try ConnectionProbe.connect(host: endpoint.host, port: endpoint.port, timeout: timeout)
        return try exchange(caCertificate: caCertificate, oldCertificate: oldCertificate, oldKey: oldKey, newKey: newKey,
                            timeout: timeout, transport: endpoint.configure)
    }

    /// RFC 4210 initialization request (IR) for a first certificate, protected by a password-based MAC made
    /// with `sharedSecret` (a password envelope's reference and authorization codes), addressed to `root`'s
    /// name. `root` is pinned beforehand: the CA certificates the answer publishes (caPubs) must be it, and
    /// the issued certificate must chain to it, carry `newKey` and `commonName`, or a negative certConf is sent.
    /// `newKey` may be a key on a token: its private half only signs the proof of possession.
    public static func initialization(server: URL, root: X509Certificate, sharedSecret: CMPSharedSecret,
                                      commonName: String, newKey: some SigningKey, passwordMAC: CMPPasswordMAC = .init(),
                                      timeout: TimeInterval = 30) throws(CMPError) -> CMPInitialization {
        let endpoint = try Endpoint(server)
        try ConnectionProbe.connect(host: endpoint.host, port: endpoint.port, timeout: timeout)
        return try initializationExchange(root: root, sharedSecret: sharedSecret, commonName: commonName, newKey: newKey,
                                          passwordMAC: passwordMAC, timeout: timeout, transport: endpoint.configure)
    }

    /// Where an http:// CA listens, and how a context is pointed at it.
    private struct Endpoint {
        var host: String
        var port: Int
        var path: String

        init(_ server: URL) throws(CMPError) {
            guard server.scheme?.lowercased() == "http", let host = server.host, !host.isEmpty,
                  let components = URLComponents(url: server, resolvingAgainstBaseURL: false)
            else { throw .invalidRequest(detail: "the CA address must be an http:// URL with a host") }
            self.host = host
            port = server.port ?? 80
            path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        }

        func configure(_ context: OpaquePointer) -> Bool {
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
        let context = try newContext(timeout: timeout)
        defer { OSSL_CMP_CTX_free(context) }
        try trust(caCertificate, in: context)

        let identity = oldCertificate.withX509 { x509 in
            OSSL_CMP_CTX_set1_cert(context, x509) == 1 && OSSL_CMP_CTX_set1_oldCert(context, x509) == 1
        }
        let oldKeySet = oldKey.withEVPKey { OSSL_CMP_CTX_set1_pkey(context, $0) == 1 }
        let newKeySet = setNewKey(newKey, in: context)
        guard identity, oldKeySet, newKeySet else { throw setupFailure("certificate and keys") }
        // Besides the library's own check that the new certificate carries the new key, verify that it
        // chains to the trusted CA before confirming it. OpenSSL's callback validates the path only against the
        // store given as its argument; without one it accepts any certificate for the new key.
        guard OSSL_CMP_CTX_set_certConf_cb(context, OSSL_CMP_certConf_cb) == 1,
              let trusted = OSSL_CMP_CTX_get0_trustedStore(context),
              OSSL_CMP_CTX_set_certConf_cb_arg(context, UnsafeMutableRawPointer(trusted)) == 1,
              transport(context)
        else {
            throw setupFailure("transport")
        }

        return try request(OSSL_CMP_KUR, in: context, newKey: newKey)
    }

    /// One IR transaction protected by a password-based MAC; `transport` as for ``exchange``.
    package static func initializationExchange(root: X509Certificate, sharedSecret: CMPSharedSecret, commonName: String,
                                               newKey: some SigningKey, passwordMAC: CMPPasswordMAC, timeout: TimeInterval,
                                               transport: (OpaquePointer) -> Bool) throws(CMPError) -> CMPInitialization {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        defer { ERR_clear_error() }
        let oneWayFunction = OBJ_txt2nid(passwordMAC.oneWayFunction)
        let mac = OBJ_txt2nid(passwordMAC.mac)
        guard oneWayFunction != NID_undef, mac != NID_undef else {
            throw .invalidRequest(detail: "unknown PBM algorithm '\(passwordMAC.oneWayFunction)' or '\(passwordMAC.mac)'")
        }
        let context = try newContext(timeout: timeout)
        defer { OSSL_CMP_CTX_free(context) }
        // Answers signed rather than MAC-protected verify against the pinned root too.
        try trust(root, in: context)
        let expectation = IssuedCertificateExpectation(root: root, commonName: commonName)
        let protected = sharedSecret.reference.withUnsafeBufferPointer { reference in
            sharedSecret.secret.withUnsafeBufferPointer { secret in
                OSSL_CMP_CTX_set1_referenceValue(context, reference.baseAddress, Int32(reference.count)) == 1
                    && OSSL_CMP_CTX_set1_secretValue(context, secret.baseAddress, Int32(secret.count)) == 1
            }
        }
        let configured = protected
            && OSSL_CMP_CTX_set_option(context, OSSL_CMP_OPT_OWF_ALGNID, oneWayFunction) == 1
            && OSSL_CMP_CTX_set_option(context, OSSL_CMP_OPT_MAC_ALGNID, mac) == 1
            // A CA refusing the code answers with an error the MAC of which fails on our side when the code is
            // wrong; its status text is still the best explanation a person gets.
            && OSSL_CMP_CTX_set_option(context, OSSL_CMP_OPT_UNPROTECTED_ERRORS, 1) == 1
            && root.withX509({ OSSL_CMP_CTX_set1_recipient(context, X509_get_subject_name($0)) }) == 1
            && setSubject(commonName: commonName, in: context)
            && setNewKey(newKey, in: context)
            && OSSL_CMP_CTX_set_certConf_cb(context, confirmIssued) == 1
            && OSSL_CMP_CTX_set_certConf_cb_arg(context, Unmanaged.passUnretained(expectation).toOpaque()) == 1
            && transport(context)
        guard configured else { throw setupFailure("password-based protection and request") }
        let result = try withExtendedLifetime(expectation) { () throws(CMPError) -> CMPResult in
            try request(OSSL_CMP_IR, in: context, newKey: newKey)
        }
        if case .rejected(let reason, let failureInfo) = result, refusesTheCode(reason: reason, failureInfo: failureInfo) {
            throw .authorizationRefused(detail: reason)
        }
        return CMPInitialization(result: result, caPublications: certificates(OSSL_CMP_CTX_get1_caPubs(context)))
    }

    /// A rejection that is about the shared secret rather than the request: the failInfo bits RFC 4210 gives for
    /// a bad MAC or an unauthorized sender, or OpenSSL's "wrong pbm value" text (its mock sends badRequest).
    private static func refusesTheCode(reason: String, failureInfo: [CMPFailureInfo]) -> Bool {
        !Set(failureInfo).isDisjoint(with: [.badMessageCheck, .notAuthorized, .wrongIntegrity])
            || reason.lowercased().contains("pbm")
    }

    // MARK: Parts shared by every request type

    private static func newContext(timeout: TimeInterval) throws(CMPError) -> OpaquePointer {
        guard let context = OSSL_CMP_CTX_new(nil, nil) else { throw setupFailure("context") }
        // The library would print its progress to stdout; what matters is on the error queue.
        OSSL_CMP_CTX_set_log_cb(context) { _, _, _, _, _ in 1 }
        // `timeout` bounds each message round trip (request/answer, certConf/PKIConf). No total timeout: OSSL_CMP
        // caps a "waiting" answer's checkAfter at the time left minus 5 s, which would misreport the CA's delay.
        // Clamped as a Double first: converting an infinite or huge value to Int traps.
        let seconds = Int32(min(max(1, timeout.rounded(.up)), 86_400))
        guard OSSL_CMP_CTX_set_option(context, OSSL_CMP_OPT_MSG_TIMEOUT, seconds) == 1 else {
            OSSL_CMP_CTX_free(context)
            throw setupFailure("timeout")
        }
        return context
    }

    private static func trust(_ certificate: X509Certificate, in context: OpaquePointer) throws(CMPError) {
        guard let store = X509_STORE_new() else { throw setupFailure("trust store") }
        guard certificate.withX509({ X509_STORE_add_cert(store, $0) }) == 1,
              OSSL_CMP_CTX_set0_trustedStore(context, store) == 1
        else { X509_STORE_free(store); throw setupFailure("trust store") }
    }

    private static func setNewKey(_ newKey: some SigningKey, in context: OpaquePointer) -> Bool {
        newKey.withEVPKey { key -> Bool in
            // set0 takes over a reference of its own; the one withEVPKey holds is released when it returns.
            guard EVP_PKEY_up_ref(key) == 1 else { return false }
            if OSSL_CMP_CTX_set0_newPkey(context, 1, key) == 1 { return true }
            EVP_PKEY_free(key)
            return false
        }
    }

    private static func setSubject(commonName: String, in context: OpaquePointer) -> Bool {
        guard let name = X509_NAME_new() else { return false }
        defer { X509_NAME_free(name) }
        return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1
            && OSSL_CMP_CTX_set1_subjectName(context, name) == 1
    }

    private static func request(_ type: Int32, in context: OpaquePointer, newKey: some SigningKey) throws(CMPError) -> CMPResult {
        var checkAfter: Int32 = 0
        switch OSSL_CMP_try_certreq(context, type, nil, &checkAfter) {
        case 1:
            return try issued(context, newKey: newKey)
        case -1:
            return .retryAfter(seconds: Int(checkAfter))
        default:
            return try failed(context)
        }
    }

    /// The certConf decision of an initialization: after the library's own (the certificate carries the new
    /// key), the caPubs must be the pinned root, the certificate must chain to it and name the gateway.
    private static let confirmIssued: OSSL_CMP_certConf_cb_t = { context, certificate, failure, text in
        guard failure == 0 else { return failure }
        guard let context, let certificate, let argument = OSSL_CMP_CTX_get_certConf_cb_arg(context) else {
            return 1 << OSSL_CMP_PKIFAILUREINFO_systemFailure
        }
        let expectation = Unmanaged<IssuedCertificateExpectation>.fromOpaque(argument).takeUnretainedValue()
        guard let refusal = expectation.refusal(of: certificate, in: context) else { return 0 }
        text?.pointee = refusal.text
        return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData
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
        // Only a password-protected exchange has a PBM: the CA's MAC does not verify with our code.
        if has([CMP_R_WRONG_PBM_VALUE]) { throw .authorizationRefused(detail: detail) }
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
