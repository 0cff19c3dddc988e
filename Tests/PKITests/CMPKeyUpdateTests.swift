import Foundation
import Testing
@testable import PKI
import TestSupport

/// An enrolled identity (old key + certificate from the test CA) and the key to roll over to.
private struct Enrolment {
    let authority: TestCertificateAuthority
    let oldKey: PrivateKey
    let oldCertificate: X509Certificate
    let newKey: PrivateKey

    init(newKey kind: PrivateKey.Kind = .ecP256) throws {
        authority = try TestCertificateAuthority()
        oldKey = try PrivateKey.generate(.ecP256)
        oldCertificate = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", "张三 F000504Y0007")], for: oldKey)
        newKey = try PrivateKey.generate(kind)
    }

    func server(_ behaviour: TestCMPServer.Behaviour = .issue) throws -> TestCMPServer {
        try TestCMPServer(authority: authority, behaviour: behaviour)
    }

    func keyUpdate(_ server: TestCMPServer) throws(CMPError) -> CMPResult {
        try CMPClient.keyUpdate(testServer: server, caCertificate: authority.certificate, oldCertificate: oldCertificate,
                                oldKey: oldKey, newKey: newKey)
    }

    func keyUpdate(url: URL, timeout: TimeInterval = 10) throws(CMPError) -> CMPResult {
        try CMPClient.keyUpdate(server: url, caCertificate: authority.certificate, oldCertificate: oldCertificate,
                                oldKey: oldKey, newKey: newKey, timeout: timeout)
    }

    /// Checks an issued result: the new key, the old subject, signed by the CA, chain = the CA.
    func expectIssued(_ result: CMPResult, sourceLocation: SourceLocation = #_sourceLocation) -> X509Certificate? {
        guard case .issued(let certificate, let chain) = result else {
            Issue.record("expected a certificate, got \(result)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(certificate.publicKeyDER == newKey.publicKeyDER, sourceLocation: sourceLocation)
        #expect(certificate.subject == oldCertificate.subject, sourceLocation: sourceLocation)
        #expect(certificate.verifySignature(issuedBy: authority.certificate), sourceLocation: sourceLocation)
        #expect(chain == [authority.certificate], sourceLocation: sourceLocation)
        return certificate
    }
}

@Suite("CMP key update, in process")
struct CMPInProcessTests {
    /// Also shows that the test CA found the key in the CRMF template (the [6] re-tagging).
    @Test("the CA signs the requested new key and the client confirms", arguments: [PrivateKey.Kind.ecP256, .rsa(bits: 2048)])
    func issued(newKey: PrivateKey.Kind) throws {
        let enrolment = try Enrolment(newKey: newKey)
        let server = try enrolment.server()
        let certificate = enrolment.expectIssued(try enrolment.keyUpdate(server))
        #expect(server.issuedCertificates == [certificate].compactMap { $0 })
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
    }

    @Test("a rejection carries PKIStatus, failInfo and the CA's text")
    func rejected() throws {
        let enrolment = try Enrolment()
        let result = try enrolment.keyUpdate(try enrolment.server(.reject(.badRequest, text: "certificate frozen")))
        guard case .rejected(let reason, let failureInfo) = result else {
            Issue.record("expected a rejection, got \(result)")
            return
        }
        #expect(reason.contains("rejection"))
        #expect(reason.contains("badRequest"))
        #expect(reason.contains("certificate frozen"))
        #expect(failureInfo == [.badRequest])
    }

    /// OpenSSL's certConf callback validates the path only against a store given as its argument: without it a
    /// certificate for the new key from any CA was confirmed.
    @Test("a certificate from another CA is refused with a negative certConf")
    func foreignIssuer() throws {
        let enrolment = try Enrolment()
        let server = try enrolment.server(.issueFromForeignCA)
        #expect {
            try enrolment.keyUpdate(server)
        } throws: { error in
            guard case .certificateNotAccepted = error as? CMPError else { return false }
            return true
        }
        #expect(server.certificateConfirmations.count == 1)
        #expect(server.certificateConfirmations.first != "PKIStatus: accepted")
    }

    @Test("a certificate for another key is refused with a negative certConf")
    func differentKey() throws {
        let enrolment = try Enrolment()
        let server = try enrolment.server(.issueForDifferentKey)
        #expect {
            try enrolment.keyUpdate(server)
        } throws: { error in
            guard case CMPError.certificateNotAccepted(let detail) = error else { return false }
            return detail.contains("does not match our enrollment key")
        }
        #expect(server.certificateConfirmations.count == 1)
        #expect(server.certificateConfirmations.first?.contains("rejection") == true)
        #expect(server.certificateConfirmations.first?.contains("incorrectData") == true)
    }

    @Test("answers protected by a CA we do not trust are refused")
    func untrustedCA() throws {
        let enrolment = try Enrolment()
        let server = try enrolment.server(.signResponsesWithUntrustedCA)
        #expect {
            try enrolment.keyUpdate(server)
        } throws: { error in
            guard case CMPError.untrustedResponse = error else { return false }
            return true
        }
        #expect(server.certificateConfirmations.isEmpty)
    }

    @Test("waiting becomes retryAfter with the CA's delay")
    func waiting() throws {
        let enrolment = try Enrolment()
        let result = try enrolment.keyUpdate(try enrolment.server(.waiting(checkAfter: 7)))
        #expect(result == .retryAfter(seconds: 7), "\(result)")
    }

    @Test("an old key that is not the old certificate's is refused before anything is sent")
    func wrongOldKey() throws {
        let enrolment = try Enrolment()
        let server = try enrolment.server()
        #expect {
            try CMPClient.keyUpdate(testServer: server, caCertificate: enrolment.authority.certificate,
                                    oldCertificate: enrolment.oldCertificate, oldKey: enrolment.newKey, newKey: enrolment.newKey)
        } throws: { error in
            guard case CMPError.invalidRequest = error else { return false }
            return true
        }
        #expect(server.issuedCertificates.isEmpty)
    }
}

@Suite("CMP key update over HTTP")
struct CMPHTTPTests {
    /// `openssl cmp -cmd kur` against `listener` with the enrolment's keys, written encrypted; the passphrase
    /// goes through the environment. Leaves the new certificate in `renewed.pem`.
    private func runOpenSSLKeyUpdate(_ enrolment: Enrolment, _ listener: TestCMPHTTPListener,
                                     in workspace: OpenSSLWorkspace) throws {
        let password = "kur-test-pw"
        try workspace.write(enrolment.authority.certificate.pem(), to: "ca.pem")
        try workspace.write(enrolment.oldCertificate.pem(), to: "old.pem")
        try workspace.write(try enrolment.oldKey.pem(encryptedWith: password), to: "old.key")
        try workspace.write(try enrolment.newKey.pem(encryptedWith: password), to: "new.key")
        let passphrase = "env:\(OpenSSLWorkspace.passwordVariable)"
        try workspace.openssl(["cmp", "-config", "", "-server", "127.0.0.1:\(listener.port)", "-path", "pkix/",
                               "-cmd", "kur", "-cert", "old.pem", "-key", "old.key", "-keypass", passphrase,
                               "-oldcert", "old.pem", "-newkey", "new.key", "-newkeypass", passphrase,
                               "-trusted", "ca.pem", "-certout", "renewed.pem"], password: password)
    }

    @Test("Swift client against the test CA on 127.0.0.1")
    func swiftClient() throws {
        let enrolment = try Enrolment()
        let server = try enrolment.server()
        let listener = try TestCMPHTTPListener(server: server)
        defer { listener.stop() }
        _ = enrolment.expectIssued(try enrolment.keyUpdate(url: listener.url))
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
    }

    @Test("openssl cmp -cmd kur, an independent client, gets a certificate for its new key")
    func opensslClient() throws {
        let enrolment = try Enrolment(newKey: .rsa(bits: 2048))
        let server = try enrolment.server()
        let listener = try TestCMPHTTPListener(server: server)
        defer { listener.stop() }
        let workspace = try OpenSSLWorkspace()
        try runOpenSSLKeyUpdate(enrolment, listener, in: workspace)
        let renewed = try workspace.loadCertificate("renewed.pem")
        #expect(renewed.publicKeyDER == enrolment.newKey.publicKeyDER)
        #expect(renewed.subject == enrolment.oldCertificate.subject)
        #expect(try workspace.openssl(["verify", "-CAfile", "ca.pem", "renewed.pem"]).contains("renewed.pem: OK"))
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
    }

    @Test("openssl cmp sees the test CA's rejection too")
    func opensslClientRejected() throws {
        let enrolment = try Enrolment()
        let listener = try TestCMPHTTPListener(server: try enrolment.server(.reject(.notAuthorized, text: "already renewed")))
        defer { listener.stop() }
        do {
            try runOpenSSLKeyUpdate(enrolment, listener, in: try OpenSSLWorkspace())
            Issue.record("openssl cmp succeeded against a rejecting CA")
        } catch let error as OpenSSLWorkspace.CLIError {
            #expect(error.output.contains("rejection"))
            #expect(error.output.contains("already renewed"))
        }
    }

    /// OpenSSL 3.0's HTTP client retries a refused connection until the message timeout
    /// (BIO_do_connect_retry); the client's own connect comes first, so a refusal is reported at once and a
    /// long --cmp-timeout is not waited for.
    @Test("nobody listening: unreachable at once, whatever the timeout")
    func connectionRefused() throws {
        let enrolment = try Enrolment()
        // A port that was just free: bind a listener, note its port, stop it.
        let listener = try TestCMPHTTPListener(server: try enrolment.server())
        let url = listener.url
        listener.stop()
        let start = Date()
        #expect {
            try enrolment.keyUpdate(url: url, timeout: 120)
        } throws: { error in
            guard case CMPError.unreachable(let detail) = error else { return false }
            return detail.lowercased().contains("refused")
        }
        #expect(Date().timeIntervalSince(start) < 30, "a refusal must not wait for the 120 s message timeout")
    }

    @Test("a CA that never answers: unreachable after the timeout")
    func timeout() throws {
        let enrolment = try Enrolment()
        let listener = try TestCMPHTTPListener(server: try enrolment.server(.neverAnswer))
        defer { listener.stop() }
        let start = Date()
        #expect {
            try enrolment.keyUpdate(url: listener.url, timeout: 1)
        } throws: { error in
            guard case CMPError.unreachable(let detail) = error else { return false }
            return detail.lowercased().contains("timeout") || detail.lowercased().contains("timed out")
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.9 && elapsed < 5)
    }

    @Test("only http:// URLs with a host are accepted", arguments: ["https://ca.example/pkix/", "ftp://ca.example/", "http:///pkix"])
    func badURL(_ address: String) throws {
        let enrolment = try Enrolment()
        #expect {
            try enrolment.keyUpdate(url: URL(string: address)!)
        } throws: { error in
            guard case CMPError.invalidRequest = error else { return false }
            return true
        }
    }
}
