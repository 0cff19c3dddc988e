import Foundation
import Testing
@testable import PKI
import TestSupport

/// A password envelope at the test CA: the reference and authorization codes, the gateway and its new key.
private struct Envelope {
    static let gateway = "F000504Y0007"
    let authority: TestCertificateAuthority
    let reference = "R\(UInt32.random(in: 1_000_000...9_999_999))"
    let authorization = "A\(UInt32.random(in: 100_000...999_999))"
    let newKey: PrivateKey

    init(newKey: PrivateKey? = nil) throws {
        authority = try TestCertificateAuthority()
        self.newKey = try newKey ?? PrivateKey.generate(.rsa(bits: 2048))
    }

    var sharedSecret: CMPSharedSecret { secret(authorization) }

    func secret(_ authorization: String) -> CMPSharedSecret {
        CMPSharedSecret(reference: Array(reference.utf8), secret: Array(authorization.utf8))
    }

    func server(_ behaviour: TestCMPServer.Behaviour = .issue, issued: Date = Date()) throws -> TestCMPServer {
        let server = try TestCMPServer(authority: authority, behaviour: behaviour)
        server.addEnvelope(reference: reference, secret: authorization, issued: issued)
        return server
    }

    func enrol(_ server: TestCMPServer, with sharedSecret: CMPSharedSecret? = nil) throws(CMPError) -> CMPInitialization {
        try CMPClient.initialization(testServer: server, root: authority.certificate, sharedSecret: sharedSecret ?? self.sharedSecret,
                                     commonName: Self.gateway, newKey: newKey)
    }

    static func expectRefusedCode(_ body: () throws -> CMPInitialization, mentioning word: String? = nil,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            try body()
        } throws: { error in
            guard case CMPError.authorizationRefused(let detail) = error else { return false }
            return word.map { detail.contains($0) } ?? true
        }
    }
}

@Suite("CMP initialization with a password envelope, in process")
struct CMPInitializationTests {
    @Test("the envelope's codes get a certificate for the new key and the gateway, caPubs the pinned root")
    func issued() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        let enrolment = try envelope.enrol(server)
        guard case .issued(let certificate, _) = enrolment.result else {
            Issue.record("expected a certificate, got \(enrolment.result)")
            return
        }
        #expect(certificate.publicKeyDER == envelope.newKey.publicKeyDER)
        #expect(certificate.subjectCommonName == Envelope.gateway)
        #expect(certificate.verifySignature(issuedBy: envelope.authority.certificate))
        #expect(enrolment.caPublications == [envelope.authority.certificate])
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
    }

    @Test("a wrong authorization code is refused as such, and nothing is issued")
    func wrongAuthorizationCode() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        Envelope.expectRefusedCode { try envelope.enrol(server, with: envelope.secret("A000000")) }
        #expect(server.issuedCertificates.isEmpty)
    }

    @Test("a reference the CA does not know is refused like a wrong code")
    func unknownReference() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        let stranger = CMPSharedSecret(reference: Array("R0000000".utf8), secret: Array(envelope.authorization.utf8))
        Envelope.expectRefusedCode { try envelope.enrol(server, with: stranger) }
        #expect(server.issuedCertificates.isEmpty)
    }

    @Test("an envelope older than 30 days is refused with the CA's reason")
    func expired() throws {
        let envelope = try Envelope()
        let server = try envelope.server(issued: Date().addingTimeInterval(-TestCMPServer.envelopeValidity - 60))
        Envelope.expectRefusedCode({ try envelope.enrol(server) }, mentioning: "expired")
        #expect(server.issuedCertificates.isEmpty)
    }

    @Test("an envelope is good for one certificate")
    func usedTwice() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        _ = try envelope.enrol(server)
        Envelope.expectRefusedCode({ try envelope.enrol(server) }, mentioning: "already used")
        #expect(server.issuedCertificates.count == 1)
    }

    @Test("caPubs other than the pinned root: the certificate is refused with a negative certConf")
    func foreignPublications() throws {
        let envelope = try Envelope()
        let server = try envelope.server(.publishForeignRoot)
        #expect {
            try envelope.enrol(server)
        } throws: { error in
            guard case CMPError.certificateNotAccepted(let detail) = error else { return false }
            return detail.contains("caPubs")
        }
        #expect(server.certificateConfirmations.count == 1)
        #expect(server.certificateConfirmations.first?.contains("rejection") == true)
    }

    @Test("a certificate from a CA other than the pinned root is refused")
    func otherRoot() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        let otherRoot = try TestCertificateAuthority(commonName: "CertDoctor Test CA").certificate
        #expect {
            try CMPClient.initialization(testServer: server, root: otherRoot, sharedSecret: envelope.sharedSecret,
                                         commonName: Envelope.gateway, newKey: envelope.newKey)
        } throws: { error in
            guard case CMPError.certificateNotAccepted = error else { return false }
            return true
        }
    }

    @Test("an unknown PBM algorithm name is refused before anything is sent")
    func unknownAlgorithm() throws {
        let envelope = try Envelope()
        let server = try envelope.server()
        #expect(throws: CMPError.self) {
            try CMPClient.initialization(testServer: server, root: envelope.authority.certificate, sharedSecret: envelope.sharedSecret,
                                         commonName: Envelope.gateway, newKey: envelope.newKey,
                                         passwordMAC: CMPPasswordMAC(oneWayFunction: "no-such-digest"))
        }
        #expect(server.issuedCertificates.isEmpty)
    }
}

@Suite("CMP initialization against OpenSSL's mock server")
struct CMPInitializationMockTests {
    /// An envelope whose new key is made by the openssl CLI (the mock's fixed certificate is for it).
    private func envelope(in workspace: OpenSSLWorkspace) throws -> Envelope {
        try workspace.makeKey("new")
        return try Envelope(newKey: workspace.loadKey("new.key"))
    }

    /// The mock hands out one fixed certificate, so it is made beforehand for the envelope's new key.
    private func mock(_ envelope: Envelope, in workspace: OpenSSLWorkspace, publications: String = "ca.pem") throws -> OpenSSLMockCMPServer {
        try workspace.makeCA()
        try workspace.makeCA("other", subject: "/C=CN/O=Elsewhere/CN=Another CA")
        try workspace.openssl(["req", "-new", "-key", "new.key", "-out", "new.csr", "-subj", "/C=CN/CN=\(Envelope.gateway)"])
        try workspace.openssl(["x509", "-req", "-in", "new.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "365",
                               "-out", "issued.pem"])
        return try OpenSSLMockCMPServer(reference: envelope.reference, secret: envelope.authorization,
                                        response: workspace.path("issued.pem"), publications: workspace.path(publications))
    }

    @Test("a good enrolment: the fixed certificate, confirmed, caPubs the root")
    func issued() throws {
        let workspace = try OpenSSLWorkspace()
        let envelope = try envelope(in: workspace)
        let server = try mock(envelope, in: workspace)
        defer { server.stop() }
        let root = try workspace.loadCertificate("ca.pem")
        let enrolment = try CMPClient.initialization(server: server.url, root: root, sharedSecret: envelope.sharedSecret,
                                                     commonName: Envelope.gateway, newKey: envelope.newKey, timeout: 10)
        guard case .issued(let certificate, _) = enrolment.result else {
            Issue.record("expected a certificate, got \(enrolment.result)")
            return
        }
        #expect(certificate == (try workspace.loadCertificate("issued.pem")))
        #expect(enrolment.caPublications == [root])
    }

    @Test("a wrong authorization code: the mock's 'wrong pbm value' becomes a refused code")
    func wrongCode() throws {
        let workspace = try OpenSSLWorkspace()
        let envelope = try envelope(in: workspace)
        let server = try mock(envelope, in: workspace)
        defer { server.stop() }
        let root = try workspace.loadCertificate("ca.pem")
        Envelope.expectRefusedCode {
            try CMPClient.initialization(server: server.url, root: root, sharedSecret: envelope.secret("A000000"),
                                         commonName: Envelope.gateway, newKey: envelope.newKey, timeout: 10)
        }
    }

    @Test("caPubs that are not the pinned root are refused")
    func foreignPublications() throws {
        let workspace = try OpenSSLWorkspace()
        let envelope = try envelope(in: workspace)
        let server = try mock(envelope, in: workspace, publications: "other.pem")
        defer { server.stop() }
        #expect {
            try CMPClient.initialization(server: server.url, root: try workspace.loadCertificate("ca.pem"),
                                         sharedSecret: envelope.sharedSecret, commonName: Envelope.gateway,
                                         newKey: envelope.newKey, timeout: 10)
        } throws: { error in
            guard case CMPError.certificateNotAccepted(let detail) = error else { return false }
            return detail.contains("caPubs")
        }
    }
}
