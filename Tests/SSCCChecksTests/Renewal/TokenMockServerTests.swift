import Foundation
@testable import PKI
import SmartCard
import Testing
import TestSupport
@testable import Renewal

/// The key update of a hardware renewal against OpenSSL's own `openssl cmp` mock server, an independent peer.
/// The mock returns one fixed certificate and answers only a request naming that certificate's issuer and serial,
/// so the new pair is made beforehand with pkcs11-tool (as with `--token-new-key-id`) and the response issued
/// for it with the old serial.
@Suite(.serialized) struct TokenMockServerTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let token = "scratch-mock"

    @Test func aKeyUpdateSignedOnTheTokenIsAnsweredByTheMockServer() throws {
        let token = try ScratchToken(Self.token)
        let directory = try ExternalProcess.temporaryDirectory("token-mock")
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) throws { try ExternalProcess.run("/usr/bin/openssl", arguments) }
        func pkcs11Tool(_ arguments: [String]) throws -> String { try token.pkcs11Tool(arguments) }

        // The CA, and two pairs on the token made by pkcs11-tool; certificates for their public keys from the CA.
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
                     "-days", "30", "-subj", "/CN=Mock CMP CA"])
        try openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", path("throwaway.key"), "-out", path("name.csr"),
                     "-subj", "/C=CN/O=Certdoctor Test Securities/CN=\(Self.gateway)"])
        for (id, days, output) in [("01", "10", "old"), ("02", "365", "response")] {
            _ = try pkcs11Tool(["--keypairgen", "--key-type", "rsa:2048", "--id", id, "--label", id == "01" ? Self.gateway : "vendor-made"])
            _ = try pkcs11Tool(["--read-object", "--type", "pubkey", "--id", id, "--output-file", path("\(id).pub.der")])
            try openssl(["pkey", "-pubin", "-inform", "DER", "-in", path("\(id).pub.der"), "-out", path("\(id).pub.pem")])
            // The mock answers only for the old certificate's issuer and serial, and returns this certificate.
            try openssl(["x509", "-req", "-in", path("name.csr"), "-force_pubkey", path("\(id).pub.pem"), "-CA", path("ca.pem"),
                         "-CAkey", path("ca.key"), "-set_serial", "0x1001", "-days", days, "-out", path("\(output).pem")])
        }
        try openssl(["x509", "-in", path("old.pem"), "-outform", "DER", "-out", path("old.der")])
        _ = try pkcs11Tool(["--write-object", path("old.der"), "--type", "cert", "--id", "01", "--label", Self.gateway])

        let mock = try OpenSSLMockCMPServer(
            certificate: path("ca.pem"), key: path("ca.key"), trusted: path("ca.pem"), response: path("response.pem"),
            publications: path("ca.pem"))
        defer { mock.stop() }

        let module = token.module
        let session = token.session
        let slot = session.slot
        defer { session.close() }
        let oldObject = try #require(try module.certificates(slot: slot).first { $0.label == Self.gateway })
        let old = try X509Certificate(derEncoded: oldObject.der)
        let newKey = try TokenRenewalKey.prepare(in: session, gateway: Self.gateway, oldID: oldObject.id, given: [0x02])
        #expect(newKey.origin == .given)
        let ca = try #require(try X509Certificate.load(Array(try Data(contentsOf: URL(fileURLWithPath: path("ca.pem"))))).first)

        let result = try CMPClient.keyUpdate(
            server: mock.url, caCertificate: ca, oldCertificate: old,
            oldKey: TokenCertificateInstaller.tokenKey(session, id: oldObject.id),
            newKey: TokenCertificateInstaller.tokenKey(session, id: newKey.id), timeout: 30)
        guard case .issued(let issued, _) = result else {
            Issue.record("expected a certificate, got \(result)")
            return
        }
        let record = try TokenCertificateInstaller(session: session, gateway: Self.gateway, issuerCertificates: [ca])
            .install(issued, newKeyID: newKey.id, replacing: old, oldID: oldObject.id)
        #expect(record.steps == [.certificateWritten, .oldSetAside, .newNamed])
        let certificates = try pkcs11Tool(["--list-objects", "--type", "cert"])
        #expect(certificates.contains("label:      \(Self.gateway).old-\(old.serialNumberHex)"), "\(certificates)")
        #expect(certificates.contains("label:      \(Self.gateway)\n"), "\(certificates)")
        #expect(try module.certificates(slot: slot).first { $0.label == Self.gateway }?.id == [0x02])
    }
}
