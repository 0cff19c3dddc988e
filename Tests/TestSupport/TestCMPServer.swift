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
        /// Issues, but publishes another CA's certificate as caPubs to an initialization request.
        case publishForeignRoot
        /// Protects its answers as itself but issues the requested key from another CA (same name, other key).
        case issueFromForeignCA
    }

    /// A password envelope this CA handed out: the reference and authorization codes that protect an
    /// initialization request (PBM), valid for ``envelopeValidity`` from `issued`, good for one certificate.
    private struct Envelope {
        var secret: [UInt8]
        var issued: Date
        var used = false
    }

    /// 30 days, the manual's validity of a password envelope.
    public static let envelopeValidity: TimeInterval = 30 * 86_400

    public let authority: TestCertificateAuthority
    public let behaviour: Behaviour

    private let lock = NSLock()
    private let server: OpaquePointer
    private var confirmations: [String] = []
    private var issued: [X509Certificate] = []
    private var envelopes: [[UInt8]: Envelope] = [:]
    /// The envelope of the request being processed (set under `lock`, read by the callbacks it calls).
    private var currentEnvelope: [UInt8]?

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

    /// Hands out a password envelope: an initialization request whose PBM is keyed with `secret` and whose
    /// senderKID is `reference` gets one certificate, within ``envelopeValidity`` of `issued`.
    public func addEnvelope(reference: String, secret: String, issued: Date = Date()) {
        lock.withLock { envelopes[Array(reference.utf8)] = Envelope(secret: Array(secret.utf8), issued: issued) }
    }

    /// Processes a request message; the response is owned by the caller.
    func process(_ request: OpaquePointer) -> OpaquePointer? {
        lock.withLock {
            guard let context = OSSL_CMP_SRV_CTX_get0_cmp_ctx(server) else { return nil }
            // The library verifies a PBM with the context's secret, so the secret is looked up by the
            // request's reference first. An unknown reference gets a random secret: its MAC fails as a wrong
            // code's does. Signed requests (key updates) are verified, and answered, with the CA's key.
            let reference = Self.passwordReference(of: request)
            currentEnvelope = reference.flatMap { envelopes[$0] == nil ? nil : $0 }
            let secret = reference.map { envelopes[$0]?.secret ?? (0..<16).map { _ in UInt8.random(in: 0...255) } }
            let keyed = secret.map { bytes in
                bytes.withUnsafeBufferPointer { OSSL_CMP_CTX_set1_secretValue(context, $0.baseAddress, Int32($0.count)) }
            } ?? OSSL_CMP_CTX_set1_secretValue(context, nil, 0)
            guard keyed == 1 else { return nil }
            return OSSL_CMP_SRV_process_request(server, request)
        }
    }

    /// The senderKID of a message protected by a password-based MAC, nil for any other. OpenSSL 3.0 has no
    /// getter for either header field, so the header is encoded and walked: `protectionAlg [1]` must hold the
    /// PBM's OID (1.2.840.113533.7.66.13) and `senderKID [2]` wraps an OCTET STRING.
    static func passwordReference(of message: OpaquePointer) -> [UInt8]? {
        guard let header = OSSL_CMP_MSG_get0_header(message),
              let der = OpenSSLBytes.der({ i2d_OSSL_CMP_PKIHEADER(header, $0) }),
              let fields = topLevelElements(der)
        else { return nil }
        let passwordBasedMAC: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF6, 0x7D, 0x07, 0x42, 0x0D]
        guard let algorithm = fields.first(where: { $0.first == 0xA1 }),
              algorithm.indices.contains(where: { algorithm[$0...].starts(with: passwordBasedMAC) }),
              let kid = fields.first(where: { $0.first == 0xA2 })
        else { return nil }
        var offset = 1
        guard derLength(kid, &offset) != nil, offset < kid.count, kid[offset] == 0x04 else { return nil }
        offset += 1
        guard let length = derLength(kid, &offset), offset + length <= kid.count else { return nil }
        return Array(kid[offset..<offset + length])
    }

    /// A client transfer callback that hands each request to the server whose address is the transfer
    /// argument (the in-process transport).
    static let transfer: OSSL_CMP_transfer_cb_t = { context, request in
        guard let argument = OSSL_CMP_CTX_get_transfer_cb_arg(context), let request else { return nil }
        return Unmanaged<TestCMPServer>.fromOpaque(argument).takeUnretainedValue().process(request)
    }

    /// Points a client context at this server in-process, without sockets.
    func inProcess(_ context: OpaquePointer) -> Bool {
        OSSL_CMP_CTX_set_transfer_cb(context, Self.transfer) == 1
            && OSSL_CMP_CTX_set_transfer_cb_arg(context, Unmanaged.passUnretained(self).toOpaque()) == 1
    }

    private static func instance(_ server: OpaquePointer?) -> TestCMPServer {
        Unmanaged<TestCMPServer>.fromOpaque(OSSL_CMP_SRV_CTX_get0_custom_ctx(server)!).takeUnretainedValue()
    }

    // MARK: Callbacks (called by OSSL_CMP_SRV_process_request, so already under `lock`)

    private static let certificateRequest: OSSL_CMP_SRV_cert_request_cb_t = {
        server, _, _, request, _, certificateOut, chainOut, publicationsOut in
        instance(server).issue(request, certificateOut: certificateOut, chainOut: chainOut, publicationsOut: publicationsOut)
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
                       chainOut: UnsafeMutablePointer<OpaquePointer?>?,
                       publicationsOut: UnsafeMutablePointer<OpaquePointer?>?) -> OpaquePointer? {
        if let reference = currentEnvelope, let envelope = envelopes[reference] {
            let notAuthorized = Int32(1 << CMPFailureInfo.notAuthorized.rawValue)
            if envelope.used {
                return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, notAuthorized, "authorization code already used")
            }
            if Date().timeIntervalSince(envelope.issued) > Self.envelopeValidity {
                return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, notAuthorized, "authorization code expired")
            }
            envelopes[reference]?.used = true
            publicationsOut?.pointee = publications()
        }
        switch behaviour {
        case .reject(let failure, let text):
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << Int32(failure.rawValue), text)
        case .waiting:
            return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, nil)
        case .issue, .issueForDifferentKey, .signResponsesWithUntrustedCA, .neverAnswer, .publishForeignRoot, .issueFromForeignCA:
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
            } else if behaviour == .issueFromForeignCA {
                x509 = try TestCertificateAuthority().issue(subject: subject, publicKey: requestedKey)
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

    /// The CA certificates an initialization's answer publishes (caPubs): this CA's, or another's.
    private func publications() -> OpaquePointer? {
        let published = behaviour == .publishForeignRoot ? (try? TestCertificateAuthority())?.certificate : authority.certificate
        guard let published, let stack = cd_sk_X509_new_null() else { return nil }
        let copy = published.withX509 { X509_dup($0) }
        if let copy, cd_sk_X509_push(stack, copy) == 0 { X509_free(copy) }
        return stack
    }

    /// The requested public key. OpenSSL 3.0 has no OSSL_CRMF_CERTTEMPLATE_get0_publicKey (3.2 has), so the
    /// template is encoded and its `publicKey [6] IMPLICIT SubjectPublicKeyInfo` element (tag 0xA6) is
    /// re-tagged as a SEQUENCE (0x30) and decoded as a SubjectPublicKeyInfo.
    static func publicKey(of template: OpaquePointer) -> OpaquePointer? {
        guard let der = OpenSSLBytes.der({ i2d_OSSL_CRMF_CERTTEMPLATE(template, $0) }),
              var element = topLevelElements(der)?.first(where: { $0.first == 0xA6 })
        else { return nil }
        element[0] = 0x30
        return OpenSSLBytes.decode(element, { d2i_PUBKEY(nil, $0, $1) })?.value
    }

    /// The elements (tag, length and content) inside a DER SEQUENCE, nil if it is not one.
    private static func topLevelElements(_ der: [UInt8]) -> [[UInt8]]? {
        guard der.first == 0x30 else { return nil }
        var offset = 1
        guard let sequenceLength = derLength(der, &offset), offset + sequenceLength == der.count else { return nil }
        var elements: [[UInt8]] = []
        while offset < der.count {
            let start = offset
            offset += 1
            guard let length = derLength(der, &offset), offset + length <= der.count else { return nil }
            offset += length
            elements.append(Array(der[start..<offset]))
        }
        return elements
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
    /// NOT FOR PRODUCTION. An initialization request against a ``TestCMPServer`` in this process.
    public static func initialization(testServer: TestCMPServer, root: X509Certificate, sharedSecret: CMPSharedSecret,
                                      commonName: String, newKey: some SigningKey, passwordMAC: CMPPasswordMAC = .init(),
                                      timeout: TimeInterval = 10) throws(CMPError) -> CMPInitialization {
        try withExtendedLifetime(testServer) { () throws(CMPError) -> CMPInitialization in
            try initializationExchange(root: root, sharedSecret: sharedSecret, commonName: commonName, newKey: newKey,
                                       passwordMAC: passwordMAC, timeout: timeout, transport: testServer.inProcess)
        }
    }

    /// NOT FOR PRODUCTION. A key update against a ``TestCMPServer`` in this process, without sockets.
    public static func keyUpdate(testServer: TestCMPServer, caCertificate: X509Certificate,
                                 oldCertificate: X509Certificate, oldKey: some SigningKey, newKey: some SigningKey,
                                 timeout: TimeInterval = 10) throws(CMPError) -> CMPResult {
        try withExtendedLifetime(testServer) { () throws(CMPError) -> CMPResult in
            try exchange(caCertificate: caCertificate, oldCertificate: oldCertificate, oldKey: oldKey, newKey: newKey,
                         timeout: timeout, transport: testServer.inProcess)
        }
    }
}
