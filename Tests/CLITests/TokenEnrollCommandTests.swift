import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

/// `certdoctor enroll --token` end to end: the binary, a SoftHSM token, and the project's test CA over HTTP.
/// pkcs11-tool looks at the token afterwards; no PFX is written.
@Suite(.serialized) struct TokenEnrollCommandTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let tokenLabel = "scratch-enroll-cli"

    /// The envelope's codes and the PIN in files, the CA's certificate, and an empty token.
    struct Scene {
        let directory: URL
        let tokens: SoftHSMTokens
        let authority: TestCertificateAuthority
        let reference = "REF\(UInt32.random(in: 10_000_000...99_999_999))"
        let authorization = "AUTH\(UInt32.random(in: 100_000...999_999))"

        init() throws {
            tokens = try SoftHSMTokens.shared.get()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-token-enroll-" + UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            authority = try TestCertificateAuthority()
            for (name, text) in [("reference", reference), ("authorization", authorization), ("pin", SoftHSMTokens.userPIN),
                                 ("password", "123456")] {
                try Data((text + "\n").utf8).write(to: path(name))
            }
            try Data(authority.certificate.der).write(to: path("root.der"))
            try token.empty()
            #expect(try objects().isEmpty, "the scratch token could not be emptied")
        }

        var token: ScratchTokenTool { ScratchTokenTool(label: TokenEnrollCommandTests.tokenLabel, configuration: tokens.configuration) }

        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

        @discardableResult
        func pkcs11Tool(_ arguments: [String]) throws -> String { try token.pkcs11Tool(arguments) }

        func objects() throws -> [(kind: String, label: String, id: String)] { try token.objects() }

        func enroll(_ server: URL, _ extra: [String] = []) throws -> CLI.Run {
            try CLI.run(
                ["enroll", "--token", "--pkcs11-module", TestEnvironment.softHSMModule, "--token-label", TokenEnrollCommandTests.tokenLabel,
                 "--token-pin-file", "pin", "--gateway", TokenEnrollCommandTests.gateway, "--ca-url", server.absoluteString,
                 "--ca-cert", "root.der", "--reference-file", "reference", "--authorization-file", "authorization",
                 "--cmp-timeout", "10", "--lang", "en"] + extra,
                in: directory, environment: [
                    "HOME": directory.path, "XDG_STATE_HOME": path("state").path, "SOFTHSM2_CONF": tokens.configuration.path,
                ], timeout: 120)
        }

        /// The test CA over HTTP, knowing the envelope.
        func testCA() throws -> (server: TestCMPServer, listener: TestCMPHTTPListener) {
            let server = try TestCMPServer(authority: authority)
            server.addEnvelope(reference: reference, secret: authorization)
            return (server, try TestCMPHTTPListener(server: server))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func theCertificateAndItsKeyAreOnTheTokenUnderTheGatewaysName() throws {
        let scene = try Scene()
        defer { scene.remove() }
        let (server, listener) = try scene.testCA()
        defer { listener.stop() }
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 0, "\(run.errors.prefix(600))")
        let objects = try scene.objects()
        #expect(Set(objects.map(\.kind)) == ["Certificate", "Private", "Public"])
        #expect(objects.allSatisfy { $0.label == Self.gateway }, "\(objects)")
        #expect(Set(objects.map(\.id)).count == 1, "\(objects)")
        // The certificate on the token is the CA's, for the key beside it: a signature made there verifies with it.
        let id = try #require(objects.first?.id)
        try scene.pkcs11Tool(["--read-object", "--type", "cert", "--id", id, "--output-file", scene.path("issued.der").path])
        let issued = try X509Certificate(derEncoded: Array(try Data(contentsOf: scene.path("issued.der"))))
        #expect(issued.verifySignature(issuedBy: scene.authority.certificate))
        #expect(issued.subjectCommonName == Self.gateway)
        try Data("enrolled".utf8).write(to: scene.path("data"))
        try scene.pkcs11Tool(["--sign", "--id", id, "--mechanism", "SHA256-RSA-PKCS", "--input-file", scene.path("data").path,
                              "--output-file", scene.path("signature").path])
        try issued.pem().write(to: scene.path("issued.pem"), atomically: true, encoding: .utf8)
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", scene.path("issued.pem").path, "-pubkey", "-noout", "-out", scene.path("pub.pem").path])
        let verified = try ExternalProcess.run("/usr/bin/openssl", [
            "dgst", "-sha256", "-verify", scene.path("pub.pem").path, "-signature", scene.path("signature").path, scene.path("data").path,
        ])
        #expect(verified.contains("Verified OK"))
        #expect(!FileManager.default.fileExists(atPath: scene.path("\(Self.gateway)#0.pfx").path))
        for secret in [scene.reference, scene.authorization, SoftHSMTokens.userPIN] {
            #expect(!(run.output + run.errors).contains(secret), "a secret was printed")
        }

        // A second envelope does not replace the certificate now named as the gateway.
        server.addEnvelope(reference: scene.reference, secret: scene.authorization)
        let again = try scene.enroll(listener.url)
        #expect(again.exitCode == 1)
        #expect(again.errors.contains("never overwritten"), "\(again.errors.prefix(600))")
        #expect(try scene.objects().count == 3)
    }

    /// `undo` takes the certificate off and leaves the pair pending; the next enrolment uses that pair again.
    @Test func undoRemovesTheCertificateAndTheNextRunReusesThePair() throws {
        let scene = try Scene()
        defer { scene.remove() }
        let (server, listener) = try scene.testCA()
        defer { listener.stop() }
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 0, "\(run.errors.prefix(600))")
        let id = try #require(try scene.objects().first?.id)

        let undo = try CLI.run(
            ["undo", "--token-pin-file", "pin", "--lang", "en"], in: scene.directory,
            environment: ["HOME": scene.directory.path, "XDG_STATE_HOME": scene.path("state").path,
                          "SOFTHSM2_CONF": scene.tokens.configuration.path])
        #expect(undo.exitCode == 0, "\(undo.output) \(undo.errors.prefix(600))")
        #expect(undo.output.contains("its key pair is \(Self.gateway).pending again"), "\(undo.output)")
        let left = try scene.objects()
        #expect(Set(left.map(\.kind)) == ["Private", "Public"], "\(left)")
        #expect(left.allSatisfy { $0.label == "\(Self.gateway).pending" && $0.id == id }, "\(left)")

        server.addEnvelope(reference: scene.reference, secret: scene.authorization)
        let again = try scene.enroll(listener.url)
        #expect(again.exitCode == 0, "\(again.errors.prefix(600))")
        let objects = try scene.objects()
        #expect(objects.count == 3 && objects.allSatisfy { $0.label == Self.gateway && $0.id == id }, "\(objects)")
    }

    /// The token's checks, through real pcscd with the token in a virtual reader, find the new certificate fit.
    @Test(.enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
    func checkTokenPassesOnTheEnrolledCertificate() async throws {
        let scene = try Scene()
        defer { scene.remove() }
        let listener = try scene.testCA().listener
        defer { listener.stop() }
        #expect(try scene.enroll(listener.url).exitCode == 0)
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let check = try CLI.run(
            ["check", "--token", "--pkcs11-module", TestEnvironment.softHSMModule, "--token-label", Self.tokenLabel,
             "--token-pin-file", scene.path("pin").path, "--lang", "en", "--format", "json"],
            in: scene.directory, environment: ["HOME": scene.directory.path, "XDG_STATE_HOME": scene.path("state").path,
                                               "SOFTHSM2_CONF": scene.tokens.configuration.path])
        #expect(try check.outcome(of: "token.certificate") == "pass", "\(check.output.prefix(3000))")
    }

    @Test func aPasswordFileDoesNotGoWithTheToken() throws {
        let scene = try Scene()
        defer { scene.remove() }
        let run = try scene.enroll(URL(string: "http://127.0.0.1:9/")!, ["--password-file", "password"])
        #expect(run.exitCode == 64)
        #expect(run.errors.contains("--password-file does not go with --token"), "\(run.errors.prefix(600))")
        #expect(try scene.objects().isEmpty)
    }
}
