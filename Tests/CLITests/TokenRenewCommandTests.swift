import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

/// `certdoctor renew --token --backend cmp` end to end: the binary, the gate's token checks through real pcscd with a
/// virtual reader, a SoftHSM token holding the old pair, and the project's test CA over HTTP. pkcs11-tool looks at
/// the token afterwards, and `check --token` must pass on it.
@Suite(
    .serialized,
    .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenRenewCommandTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let tokenLabel = "scratch-renew-cli"

    /// A directory with the PIN file and the CA's certificate, and the token holding an old pair under the gateway
    /// number (CKA_ID 01) whose certificate the test CA issued.
    struct Scene {
        let directory: URL
        let tokens: SoftHSMTokens
        let authority: TestCertificateAuthority
        let old: X509Certificate

        init() throws {
            tokens = try SoftHSMTokens.shared.get()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-token-renew-" + UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            authority = try TestCertificateAuthority()
            let key = try PrivateKey.generate(.rsa(bits: 2048))
            old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", TokenRenewCommandTests.gateway)], for: key, validityDays: 10)
            try Data((SoftHSMTokens.userPIN + "\n").utf8).write(to: path("pin"))
            try Data(authority.certificate.der).write(to: path("root.der"))
            try Data(old.der).write(to: path("old.der"))
            try Data(key.publicKeyDER).write(to: path("old-pub.der"))
            try key.pem(encryptedWith: "transfer").write(to: path("old-key.pem"), atomically: true, encoding: .utf8)
            try ExternalProcess.run("/usr/bin/openssl", [
                "pkcs8", "-topk8", "-nocrypt", "-in", path("old-key.pem").path, "-passin", "pass:transfer", "-outform", "DER",
                "-out", path("old-key.der").path,
            ])
            // One token for the suite: each test starts from an empty one.
            try token.empty()
            #expect(try objects().isEmpty, "the scratch token could not be emptied")
            for (file, type) in [("old.der", "cert"), ("old-key.der", "privkey"), ("old-pub.der", "pubkey")] {
                try pkcs11Tool(["--write-object", path(file).path, "--type", type, "--id", "01", "--label", TokenRenewCommandTests.gateway]
                    + (type == "privkey" ? ["--private"] : []))
            }
        }

        var token: ScratchTokenTool { ScratchTokenTool(label: TokenRenewCommandTests.tokenLabel, configuration: tokens.configuration) }

        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

        @discardableResult
        func pkcs11Tool(_ arguments: [String]) throws -> String { try token.pkcs11Tool(arguments) }

        var tokenArguments: [String] {
            ["--token", "--pkcs11-module", TestEnvironment.softHSMModule, "--token-label", TokenRenewCommandTests.tokenLabel,
             "--token-pin-file", path("pin").path, "--lang", "en"]
        }

        var environment: [String: String] {
            ["HOME": directory.path, "XDG_STATE_HOME": path("state").path, "LANG": "en_US.UTF-8"]
        }

        func objects() throws -> [(kind: String, label: String, id: String)] { try token.objects() }

        /// `renew --token --backend cmp` against the CA at `server`.
        func renew(_ server: URL, _ extra: [String] = []) throws -> CLI.Run {
            try CLI.run(
                ["renew"] + tokenArguments + ["--backend", "cmp", "--ca-url", server.absoluteString, "--ca-cert", path("root.der").path] + extra,
                in: directory, environment: environment, timeout: 120)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// A renewal whose gate can pass (the token in the reader, the CA listening), then `body` while pcscd still runs.
    private func renewing(_ extra: [String] = [], _ body: (Scene, CLI.Run) throws -> Void) async throws {
        let scene = try Scene()
        defer { scene.remove() }
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: scene.authority))
        defer { listener.stop() }
        try body(scene, try scene.renew(listener.url, extra))
    }

    @Test func renewsTheTokenOverCMPAndKeepsTheOldPairAside() async throws {
        try await renewing { scene, run in
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            #expect(run.output.contains("kept as \(Self.gateway).old-\(scene.old.serialNumberHex)"), "\(run.output)")
            #expect(!run.output.contains(SoftHSMTokens.userPIN + "\"") && !run.errors.contains(SoftHSMTokens.userPIN + "\""))

            let objects = try scene.objects()
            let setAside = "\(Self.gateway).old-\(scene.old.serialNumberHex)"
            // The old pair keeps its CKA_ID under the set-aside name; the gateway's name now belongs to a new pair.
            #expect(Set(objects.filter { $0.label == setAside }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == setAside }.allSatisfy { $0.id == "01" }, "\(objects)")
            let current = objects.filter { $0.label == Self.gateway }
            #expect(Set(current.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(Set(current.map(\.id)).count == 1 && current.first?.id != "01", "\(objects)")
            #expect(!objects.contains { $0.label.hasSuffix(".pending") }, "\(objects)")

            // The certificate now under the gateway's name is the CA's new one, for the same subject.
            try scene.pkcs11Tool(["--read-object", "--type", "cert", "--label", Self.gateway, "--output-file", scene.path("new.der").path])
            let issued = try X509Certificate(derEncoded: Array(try Data(contentsOf: scene.path("new.der"))))
            #expect(issued.serialNumberHex != scene.old.serialNumberHex)
            #expect(issued.subject == scene.old.subject)
            #expect(issued.verifySignature(issuedBy: scene.authority.certificate))

            let check = try CLI.run(["check"] + scene.tokenArguments + ["--format", "json"], in: scene.directory, environment: scene.environment)
            #expect(check.exitCode == 0, "\(check.output) \(check.errors)")
            #expect(try check.outcome(of: "token.certificate") == "pass")
        }
    }

    /// undo gives the old pair its name back: the new certificate is removed and its pair is pending again.
    @Test func undoGivesTheOldCertificateItsNameBack() async throws {
        try await renewing { scene, run in
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            #expect(run.output.contains("certdoctor undo gives the old certificate its name back"), "\(run.output)")
            let renewed = try scene.objects()
            let newID = try #require(renewed.first { $0.label == Self.gateway }?.id)

            let undo = try CLI.run(["undo", "--token-pin-file", scene.path("pin").path, "--lang", "en"],
                                   in: scene.directory, environment: scene.environment)
            #expect(undo.exitCode == 0, "\(undo.output) \(undo.errors)")
            #expect(undo.output.contains("is \(Self.gateway) again"), "\(undo.output)")
            let objects = try scene.objects()
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.id)) == ["01"], "\(objects)")
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(Set(objects.filter { $0.id == newID }.map(\.kind)) == ["Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.id == newID }.allSatisfy { $0.label == "\(Self.gateway).pending" }, "\(objects)")

            let check = try CLI.run(["check"] + scene.tokenArguments + ["--format", "json"], in: scene.directory, environment: scene.environment)
            #expect(try check.outcome(of: "token.certificate") == "pass", "\(check.output)")
        }
    }

    /// --remove-old: the old pair is gone once the new one is in place, and the run says so.
    @Test func removeOldDeletesTheOldPairAfterTheNewOneIsInPlace() async throws {
        try await renewing(["--remove-old"]) { scene, run in
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            #expect(run.output.contains("were removed, as --remove-old asked"), "\(run.output)")
            let objects = try scene.objects()
            #expect(!objects.contains { $0.id == "01" || $0.label.contains(".old-") }, "\(objects)")
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
        }
    }

    /// With no token in the reader the gate refuses, as for a file: exit 1, the failing check named, the CA never
    /// asked and the token untouched.
    @Test func aFailingGateRefusesAndLeavesTheTokenAlone() async throws {
        let scene = try Scene()
        defer { scene.remove() }
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        let server = try TestCMPServer(authority: scene.authority)
        let listener = try TestCMPHTTPListener(server: server)
        defer { listener.stop() }
        let before = try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" }

        let run = try scene.renew(listener.url)
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("token.present"), "\(run.errors)")
        #expect(server.certificateConfirmations.isEmpty)
        #expect(try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" } == before)
    }
}

/// What `renew --token --backend cmp` refuses before anything runs (exit 64): what it lacks, and what does not go with it.
@Suite struct TokenRenewUsageTests {
    @Test(arguments: [
        (["--backend", "cmp", "--ca-cert", "root.der"], "--ca-url and --ca-cert"),
        (["--backend", "cmp", "--ca-url", "http://127.0.0.1:9/", "--ca-cert", "root.der", "--key-type", "ec-p256"], "RSA"),
        (["--backend", "cmp", "--ca-url", "http://127.0.0.1:9/", "--ca-cert", "root.der", "--token-new-key-id", "xyz"], "CKA_ID in hex"),
        (["--backend", "cmp", "--ca-url", "http://127.0.0.1:9/", "--ca-cert", "root.der", "--pfx", "a.pfx"], "one certificate per renewal"),
    ])
    func refused(_ arguments: [String], _ expected: String) throws {
        let run = try CLI.run(["renew", "--token", "--lang", "en"] + arguments)
        #expect(run.exitCode == 64, "\(run.output) \(run.errors)")
        #expect(run.errors.contains(expected), "\(run.errors)")
    }

    @Test func removeOldWithoutTokenIsRefused() throws {
        let run = try CLI.run(["renew", "--pfx", "a.pfx", "--remove-old", "--lang", "en"])
        #expect(run.exitCode == 64, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("go with --token only"), "\(run.errors)")
    }
}
