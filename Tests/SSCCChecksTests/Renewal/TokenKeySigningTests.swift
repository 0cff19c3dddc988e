import Foundation
import Testing
import PKI
import SmartCard
import TestSupport

/// Keys that stay on a SoftHSM2 token sign a PKCS#10 request and both sides of a CMP key update (the new key's
/// proof of possession, the old key's protection and certConf), through certdoctor's own session and OpenSSL's
/// RSA callback; openssl and pkcs11-tool check the results from outside.
@Suite(.serialized) struct TokenKeySigningTests {
    private func session(_ label: String) throws -> PKCS11Session {
        try ScratchToken(label).session
    }

    private func tokenKey(_ session: PKCS11Session, id: [UInt8]) throws -> TokenKey {
        try session.generateRSAKeyPair(bits: 2048, id: id, label: "key-\(id)")
        let publicKey = try #require(try session.rsaPublicKey(id: id))
        return try TokenKey(modulus: publicKey.modulus, publicExponent: publicKey.publicExponent) { digestInfo in
            try session.sign(digestInfo: digestInfo, keyID: id)
        }
    }

    @Test func aRequestSignedOnTheTokenVerifies() throws {
        let session = try session("scratch-request")
        defer { session.close() }
        let authority = try TestCertificateAuthority()
        let oldKey = try PrivateKey.generate(.ecP256)
        let old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", "F000504Y0007")], for: oldKey)
        let key = try tokenKey(session, id: [0x21])
        #expect(key.bits == 2048)

        let request = try CertificateRequest(subjectOf: old, key: key)
        #expect(request.publicKeyDER == key.publicKeyDER)
        #expect(request.subject == old.subject)
        let directory = try ExternalProcess.temporaryDirectory("token-request")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("request.pem")
        try request.pem().write(to: file, atomically: true, encoding: .utf8)
        let output = try ExternalProcess.run("/usr/bin/openssl", ["req", "-in", file.path, "-verify", "-noout"])
        #expect(output.contains("verify OK"))
    }

    /// Without the token the signature cannot be made, and the token's own error is kept for the message.
    @Test func aRefusedTokenSignatureFailsTheRequest() throws {
        let session = try session("scratch-request")
        let authority = try TestCertificateAuthority()
        let oldKey = try PrivateKey.generate(.ecP256)
        let old = try authority.issue(subject: [("CN", "F000504Y0007")], for: oldKey)
        let key = try tokenKey(session, id: [0x22])
        session.close()
        #expect(throws: CertificateRequestError.self) { try CertificateRequest(subjectOf: old, key: key) }
        #expect(key.lastSigningFailure?.contains("CKR_SESSION_HANDLE_INVALID") == true)
    }

    @Test func aKeyUpdateWithBothKeysOnTheToken() throws {
        let token = try ScratchToken("scratch-cmp")
        let session = token.session
        defer { session.close() }
        let authority = try TestCertificateAuthority()
        let oldKey = try tokenKey(session, id: [0x01])
        let old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", "F000504Y0007")], for: oldKey)
        let newKey = try tokenKey(session, id: [0x02])
        let server = try TestCMPServer(authority: authority)

        let result = try CMPClient.keyUpdate(testServer: server, caCertificate: authority.certificate, oldCertificate: old,
                                             oldKey: oldKey, newKey: newKey)
        guard case .issued(let certificate, _) = result else {
            Issue.record("expected a certificate, got \(result)")
            return
        }
        #expect(certificate.publicKeyDER == newKey.publicKeyDER)
        #expect(certificate.subject == old.subject)
        #expect(certificate.verifySignature(issuedBy: authority.certificate))
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])

        // Written back beside its key: a signature pkcs11-tool makes with the new key verifies against it.
        let names = certificate.pkcs11NamesDER()
        try session.createCertificate(der: certificate.der, id: [0x02], label: "F000504Y0007", subject: names.subject,
                                      issuer: names.issuer, serialNumber: names.serialNumber)
        let directory = try ExternalProcess.temporaryDirectory("token-cmp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        let signature = directory.appendingPathComponent("signature")
        let certificateFile = directory.appendingPathComponent("new.pem")
        let publicKeyFile = directory.appendingPathComponent("new-pub.pem")
        try "gateway test signature".write(to: data, atomically: true, encoding: .utf8)
        try certificate.pem().write(to: certificateFile, atomically: true, encoding: .utf8)
        try token.pkcs11Tool(["--sign", "--id", "02", "--mechanism", "SHA256-RSA-PKCS",
                                       "--input-file", data.path, "--output-file", signature.path])
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", certificateFile.path, "-pubkey", "-noout", "-out", publicKeyFile.path])
        let verified = try ExternalProcess.run("/usr/bin/openssl", [
            "dgst", "-sha256", "-verify", publicKeyFile.path, "-signature", signature.path, data.path,
        ])
        #expect(verified.contains("Verified OK"))
        let serial = try token.pkcs11Tool(["--list-objects", "--type", "cert"])
        #expect(serial.contains("F000504Y0007"))
    }

    /// A first certificate by a password envelope for a key made on the token: the proof of possession is signed
    /// there, and the certificate the test CA issues carries the token's public key.
    @Test func anInitializationRequestForATokenKey() throws {
        let session = try session("scratch-request")
        defer { session.close() }
        let authority = try TestCertificateAuthority()
        let server = try TestCMPServer(authority: authority)
        server.addEnvelope(reference: "R1234567", secret: "A123456")
        let key = try tokenKey(session, id: [0x31])
        let enrolment = try CMPClient.initialization(
            testServer: server, root: authority.certificate,
            sharedSecret: CMPSharedSecret(reference: Array("R1234567".utf8), secret: Array("A123456".utf8)),
            commonName: "F000504Y0007", newKey: key)
        guard case .issued(let certificate, _) = enrolment.result else {
            Issue.record("expected a certificate, got \(enrolment.result)")
            return
        }
        #expect(certificate.publicKeyDER == key.publicKeyDER)
        #expect(certificate.subjectCommonName == "F000504Y0007")
        #expect(certificate.verifySignature(issuedBy: authority.certificate))
        #expect(enrolment.caPublications == [authority.certificate])
    }
}
