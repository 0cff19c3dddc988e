import COpenSSL
import COpenSSLShims
import Foundation
import PKI

/// NOT FOR PRODUCTION. A CMP certification authority for tests, built on OpenSSL's server API
/// (`OSSL_CMP_SRV_CTX`). Unlike `openssl cmp -port …` (which hands out one fixed certificate), it really
/// issues a certificate for the key in the request, under the request's subject. The library verifies the
/// request's protection (signed with the old certificate, which must chain to `authority`) and the proof of
/// possession of the new key before the issuing callback runs. Serve it in-process with
/// ``CMPClient/keyUpdate(testServer:caCertificate:oldCertificate:oldKey:newKey:timeout:)`` or over
/// HTTP/1.0 on 127.0.0.1 with ``TestCMPHTTPListener``.
///
/// `@unchecked Sendable`: the OpenSSL server context is only touched under `lock`, and the recorded
/// history is only read and written under it.
public final class TestCMPServer: @unchecked Sendable {
    /// How the CA answers, so that tests can reach every outcome of the client.
    public enum Behaviour: Sendable, Equatable {
        case issue
        case reject(CMPFailureInfo, text: String)
        /// Issues a certificate for a freshly generated key instead of the requested one.
        case issueForDifferentKey
        /// Protects its answers with another CA (same name, different key) that the client does not trust.
        case signResponsesWithUntrustedCA
        /// Answers "waiting", then to every pollReq "check again after `checkAfter` seconds".
        case waiting(checkAfter: Int)
        /// Over HTTP: reads the request and never answers (for client timeouts).
        case neverAnswer
    }

    public let authority: TestCertificateAuthority
    public let behaviour: Behaviour

    private let lock = NSLock()
    private let server: OpaquePointer
    private var confirmations: [String] = []
    private var issued: [X509Certificate] = []

    public init(authority: TestCertificateAuthority, behaviour: Behaviour = .issue) throws(TestPKIError) {
        OpenSSLRuntime.loadProviders()
        guard let server = OSSL_CMP_SRV_CTX_new(nil, nil) else { throw TestPKIError("OSSL_CMP_SRV_CTX_new") }
        self.server = server
        self.authority = authority
        self.behaviour = behaviour
        let signer = behaviour == .signResponsesWithUntrustedCA
            ? try TestCertificateAuthority(commonName: authority.certificate.subjectCommonName ?? "CertDoctor Test CA")
            : authority
        guard let context = OSSL_CMP_SRV_CTX_get0_cmp_ctx(server), let store = X509_STORE_new() else {
            throw TestPKIError("server context")
        }
        OSSL_CMP_CTX_set_log_cb(context) { _, _, _, _, _ in 1 }
        let trusted = authority.certificate.withX509 { X509_STORE_add_cert(store, $0) == 1 }
        guard trusted, OSSL_CMP_CTX_set0_trustedStore(context, store) == 1 else {
            X509_STORE_free(store)
            throw TestPKIError("server trust store")
        }
        guard signer.certificate.withX509({ OSSL_CMP_CTX_set1_cert(context, $0) }) == 1,
              signer.key.withEVPKey({ OSSL_CMP_CTX_set1_pkey(context, $0) }) == 1,
              OSSL_CMP_SRV_CTX_init(server, Unmanaged.passUnretained(self).toOpaque(),
                                    Self.certificateRequest, nil, nil, nil, Self.certificateConfirmation, Self.pollRequest) == 1
        else { throw TestPKIError("server set-up: \(OpenSSLError.summary(OpenSSLError.drain(), fallback: "failed"))") }
    }

    deinit { OSSL_CMP_SRV_CTX_free(server) }

    /// The status of every certConf received, in order, as OpenSSL renders the client's PKIStatusInfo:
    /// "PKIStatus: accepted", or for a refusal e.g. "PKIStatus: rejection; PKIFailureInfo: incorrectData; …".
    public var certificateConfirmations: [String] { lock.withLock { confirmations } }

    /// Every certificate this CA has issued.
    public var issuedCertificates: [X509Certificate] { lock.withLock { issued } }

    /// One DER request in, one DER response out; nil if the bytes are not a CMP message.
    public func respond(to request: [UInt8]) -> [UInt8]? {
        OpenSSLBytes.withReadBIO(request) { bio -> [UInt8]? in
            guard let message = d2i_OSSL_CMP_MSG_bio(bio, nil) else { ERR_clear_error(); return nil }
            defer { OSSL_CMP_MSG_free(message) }
            guard let response = process(message) else { return nil }
            defer { OSSL_CMP_MSG_free(response) }
            return OpenSSLBytes.bio { i2d_OSSL_CMP_MSG_bio($0, response) == 1 }
        } ?? nil
    }

    /// Processes a request message; the response is owned by the caller.
    func process(_ request: OpaquePointer) -> OpaquePointer? {
        lock.withLock { OSSL_CMP_SRV_process_request(server, request) }
    }

    /// A client transfer callback that hands each request to the server whose address is the transfer
    /// argument (the in-process transport).
    static let transfer: OSSL_CMP_transfer_cb_t = { context, request in
        guard let argument = OSSL_CMP_CTX_get_transfer_cb_arg(context), let request else { return nil }
        return Unmanaged<TestCMPServer>.fromOpaque(argument).takeUnretainedValue().process(request)
    }

    private static func instance(_ server: OpaquePointer?) -> TestCMPServer {
        Unmanaged<TestCMPServer>.fromOpaque(OSSL_CMP_SRV_CTX_get0_custom_ctx(server)!).takeUnretainedValue()
    }

    // MARK: Callbacks (called by OSSL_CMP_SRV_process_request, so already under `lock`)

    private static let certificateRequest: OSSL_CMP_SRV_cert_request_cb_t = {
        server, _, _, request, _, certificateOut, chainOut, _ in
        instance(server).issue(request, certificateOut: certificateOut, chainOut: chainOut)
    }

    private static let certificateConfirmation: OSSL_CMP_SRV_certConf_cb_t = { server, _, _, _, statusInfo in
        var text = "PKIStatus: accepted"  // a certConf without statusInfo is an implicit acceptance (RFC 4210 5.3.18)
        if let statusInfo {
            var buffer = [CChar](repeating: 0, count: 512)
            text = OSSL_CMP_snprint_PKIStatusInfo(statusInfo, &buffer, buffer.count).map { String(cString: $0) } ?? "?"
        }
        instance(server).confirmations.append(text)
        return 1
    }

    private static let pollRequest: OSSL_CMP_SRV_pollReq_cb_t = { server, _, _, certificateRequest, checkAfter in
        guard case .waiting(let seconds) = instance(server).behaviour else { return 0 }
        certificateRequest?.pointee = nil
        checkAfter?.pointee = Int64(seconds)
        return 1
    }

    private func issue(_ request: OpaquePointer?, certificateOut: UnsafeMutablePointer<OpaquePointer?>?,
                       chainOut: UnsafeMutablePointer<OpaquePointer?>?) -> OpaquePointer? {
        switch behaviour {
        case .reject(let failure, let text):
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << Int32(failure.rawValue), text)
        case .waiting:
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, nil)
        case .issue, .issueForDifferentKey, .signResponsesWithUntrustedCA, .neverAnswer:
            break
        }
        guard let request, let template = OSSL_CRMF_MSG_get0_tmpl(request),
              let subject = OSSL_CRMF_CERTTEMPLATE_get0_subject(template),
              let requestedKey = Self.publicKey(of: template)
        else {
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                           1 << Int32(CMPFailureInfo.badCertTemplate.rawValue), "no subject or public key")
        }
        defer { EVP_PKEY_free(requestedKey) }
        do throws(TestPKIError) {
            let x509: OpaquePointer
            if behaviour == .issueForDifferentKey {
                let other = try TestPKIError.wrap { () throws(PrivateKeyError) in try PrivateKey.generate(.ecP256) }
                x509 = try other.withEVPKey { key throws(TestPKIError) in try authority.issue(subject: subject, publicKey: key) }
            } else {
                x509 = try authority.issue(subject: subject, publicKey: requestedKey)
            }
            issued.append(try TestPKIError.wrap { () throws(CertificateError) in try X509Certificate(borrowing: x509) })
            certificateOut?.pointee = x509
            if let chain = cd_sk_X509_new_null() {
                let caCopy = authority.certificate.withX509 { X509_dup($0) }
                if let caCopy, cd_sk_X509_push(chain, caCopy) == 0 { X509_free(caCopy) }
                chainOut?.pointee = chain
            }
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, nil)
        } catch {
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                           1 << Int32(CMPFailureInfo.systemFailure.rawValue), error.description)
        }
    }

    /// The requested public key. OpenSSL 3.0 has no OSSL_CRMF_CERTTEMPLATE_get0_publicKey (3.2 has), so the
    /// template is encoded and its `publicKey [6] IMPLICIT SubjectPublicKeyInfo` element (tag 0xA6) is
    /// re-tagged as a SEQUENCE (0x30) and decoded as a SubjectPublicKeyInfo.
    static func publicKey(of template: OpaquePointer) -> OpaquePointer? {
        guard let der = OpenSSLBytes.der({ i2d_OSSL_CRMF_CERTTEMPLATE(template, $0) }), der.first == 0x30 else { return nil }
        var offset = 1
        guard let templateLength = derLength(der, &offset), offset + templateLength == der.count else { return nil }
        while offset < der.count {
            let start = offset
            let tag = der[offset]
            offset += 1
            guard let length = derLength(der, &offset), offset + length <= der.count else { return nil }
            offset += length
            if tag == 0xA6 {
                var element = Array(der[start..<offset])
                element[0] = 0x30
                return OpenSSLBytes.decode(element, { d2i_PUBKEY(nil, $0, $1) })?.value
            }
        }
        return nil
    }

    /// Reads a DER length at `offset` (short or long form, up to 4 bytes) and moves past it.
    private static func derLength(_ bytes: [UInt8], _ offset: inout Int) -> Int? {
        guard offset < bytes.count else { return nil }
        let first = bytes[offset]
        offset += 1
        guard first & 0x80 != 0 else { return Int(first) }
        let count = Int(first & 0x7F)
        guard (1...4).contains(count), offset + count <= bytes.count else { return nil }
        let length = bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
        offset += count
        return length
    }
}

extension CMPClient {
    /// NOT FOR PRODUCTION. A key update against a ``TestCMPServer`` in this process, without sockets.
    public static func keyUpdate(testServer: TestCMPServer, caCertificate: X509Certificate,
                                 oldCertificate: X509Certificate, oldKey: some SigningKey, newKey: some SigningKey,
                                 timeout: TimeInterval = 10) throws(CMPError) -> CMPResult {
        try withExtendedLifetime(testServer) { () throws(CMPError) -> CMPResult in
            try exchange(caCertificate: caCertificate, oldCertificate: oldCertificate, oldKey: oldKey, newKey: newKey,
                         timeout: timeout) { context in
                OSSL_CMP_CTX_set_transfer_cb(context, TestCMPServer.transfer) == 1
                    && OSSL_CMP_CTX_set_transfer_cb_arg(context, Unmanaged.passUnretained(testServer).toOpaque()) == 1
            }
        }
    }
}
