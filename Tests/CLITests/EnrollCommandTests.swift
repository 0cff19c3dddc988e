import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

/// `certdoctor enroll` end to end: the binary against the test CA over HTTP and against OpenSSL's mock server,
/// its output checked with the openssl CLI and with `certdoctor check`.
@Suite struct EnrollCommandTests {
    static let gateway = "F000504Y0007"
    static let fileName = "\(gateway)#0.pfx"

    /// A directory with the envelope's codes and the new password in files, the pinned root, and `out/`.
    struct Scene {
        let directory: URL
        let reference = "REF\(UInt32.random(in: 10_000_000...99_999_999))"
        let authorization = "AUTH\(UInt32.random(in: 100_000...999_999))"
        let password = String(UInt32.random(in: 100_000...999_999))
        var out: URL { directory.appendingPathComponent("out") }
        var pfx: URL { out.appendingPathComponent(EnrollCommandTests.fileName) }

        init(root: X509Certificate) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-enroll-" + UUID().uuidString)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: true)
            try write(reference, to: "reference")
            try write(authorization, to: "authorization")
            try write(password, to: "password")
            try write(root.pem(), to: "root.pem")
        }

        func write(_ text: String, to name: String) throws {
            try Data((text + "\n").utf8).write(to: directory.appendingPathComponent(name))
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func enroll(_ url: URL, extra: [String] = [], out: String = "out", authorizationFile: String = "authorization") throws -> CLI.Run {
            try CLI.run(
                ["enroll", "--gateway", EnrollCommandTests.gateway, "--ca-url", url.absoluteString, "--ca-cert", "root.pem",
                 "--out", out, "--reference-file", "reference", "--authorization-file", authorizationFile,
                 "--password-file", "password", "--cmp-timeout", "10", "--lang", "en"] + extra,
                in: directory, environment: ["HOME": directory.path, "XDG_STATE_HOME": path("state")])
        }

        func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let result = try ChildProcess.run(
                "/usr/bin/openssl", arguments: arguments, environment: ["PATH": "/usr/bin:/bin", "ENROLL_PW": password],
                deadline: Date().addingTimeInterval(30))
            return (result.reason == .exited(0) ? 0 : 1, result.outputText + result.errorText)
        }

        /// None of the secrets appears in what was printed or in any file certdoctor wrote (the journal, which a
        /// download that saved a file must have written).
        func expectNoSecrets(in runs: [CLI.Run], journalWritten: Bool = true,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
            var texts = runs.flatMap { [$0.output, $0.errors] }
            if let files = FileManager.default.enumerator(atPath: path("state")) {
                for case let file as String in files {
                    if let data = FileManager.default.contents(atPath: path("state") + "/" + file) {
                        texts.append(String(decoding: data, as: UTF8.self))
                    }
                }
            }
            if journalWritten { #expect(texts.count > runs.count * 2, "the journal was not found", sourceLocation: sourceLocation) }
            for secret in [reference, authorization, password] {
                #expect(!texts.contains { $0.contains(secret) }, "a secret leaked", sourceLocation: sourceLocation)
            }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    private func testCA(_ behaviour: TestCMPServer.Behaviour = .issue, envelopeIssued: Date = Date())
        throws -> (Scene, TestCMPServer, TestCMPHTTPListener) {
        let authority = try TestCertificateAuthority()
        let scene = try Scene(root: authority.certificate)
        let server = try TestCMPServer(authority: authority, behaviour: behaviour)
        server.addEnvelope(reference: scene.reference, secret: scene.authorization, issued: envelopeIssued)
        return (scene, server, try TestCMPHTTPListener(server: server))
    }

    @Test func aGoodEnrolmentWritesAVerifiedPFXThatCheckPasses() throws {
        let (scene, server, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
        let info = try scene.openssl(["pkcs12", "-info", "-in", scene.pfx.path, "-passin", "env:ENROLL_PW", "-noout"])
        #expect(info.status == 0, "\(info.output)")
        #expect(info.output.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "Windows 7 profile: \(info.output)")
        let certificate = try scene.openssl(["pkcs12", "-in", scene.pfx.path, "-passin", "env:ENROLL_PW", "-clcerts", "-nokeys",
                                             "-out", scene.path("issued.pem")])
        #expect(certificate.status == 0, "\(certificate.output)")
        let verified = try scene.openssl(["verify", "-CAfile", scene.path("root.pem"), scene.path("issued.pem")])
        #expect(verified.output.contains("OK"), "\(verified.output)")
        let attributes = try FileManager.default.attributesOfItem(atPath: scene.pfx.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let check = try CLI.run(
            ["check", "--pfx", scene.pfx.path, "--password-file", scene.path("password"), "--lang", "en"],
            in: scene.directory, environment: ["HOME": scene.directory.path, "XDG_STATE_HOME": scene.path("state")])
        #expect(check.exitCode == 0, "\(check.output) \(check.errors)")
        try scene.expectNoSecrets(in: [run, check])
        let undo = try CLI.run(["undo", "--lang", "en"], in: scene.directory,
                               environment: ["HOME": scene.directory.path, "XDG_STATE_HOME": scene.path("state")])
        #expect(undo.exitCode == 0, "\(undo.output) \(undo.errors)")
        #expect(!FileManager.default.fileExists(atPath: scene.pfx.path), "undo removes the downloaded certificate")
    }

    @Test func anExistingCertificateFileIsNeverOverwritten() throws {
        let (scene, server, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        try Data("an earlier certificate".utf8).write(to: scene.pfx)
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("never overwritten"), "\(run.errors)")
        #expect(try Data(contentsOf: scene.pfx) == Data("an earlier certificate".utf8))
        #expect(server.issuedCertificates.isEmpty, "nothing may be sent")
    }

    @Test func codesAndPasswordBreakingTheRulesAreRefusedBeforeSending() throws {
        let (scene, server, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        try scene.write("ABCDEFGHIJKLMNOPQRSTUVW", to: "long-authorization")
        try scene.write("12345", to: "password")
        let run = try scene.enroll(listener.url, extra: ["--envelope-date", "2020-01-01"], authorizationFile: "long-authorization")
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("more than 30 days old"), "\(run.errors)")
        #expect(run.errors.contains("authorization code breaks the rule"), "\(run.errors)")
        #expect(run.errors.contains("6 digits"), "\(run.errors)")
        #expect(!run.errors.contains("ABCDEFGHIJKLMNOPQRSTUVW"))
        #expect(server.issuedCertificates.isEmpty && server.certificateConfirmations.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scene.pfx.path))
    }

    @Test func aWrongAuthorizationCodeAsksForANewEnvelope() throws {
        let (scene, server, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        try scene.write("WRONG1234", to: "wrong")
        let run = try scene.enroll(listener.url, authorizationFile: "wrong")
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("new password envelope"), "\(run.errors)")
        #expect(server.issuedCertificates.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scene.pfx.path))
        try scene.expectNoSecrets(in: [run], journalWritten: false)
    }

    @Test func anExpiredEnvelopeAsksForANewOne() throws {
        let (scene, _, listener) = try testCA(envelopeIssued: Date().addingTimeInterval(-TestCMPServer.envelopeValidity - 3600))
        defer { listener.stop(); scene.remove() }
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("new password envelope") && run.errors.contains("expired"), "\(run.errors)")
    }

    @Test func anEnvelopeUsedTwiceIsRefused() throws {
        let (scene, _, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        #expect(try scene.enroll(listener.url).exitCode == 0)
        try FileManager.default.createDirectory(atPath: scene.path("again"), withIntermediateDirectories: true)
        let run = try scene.enroll(listener.url, out: "again")
        #expect(run.exitCode == 1, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("already used"), "\(run.errors)")
    }

    @Test func caPubsOtherThanThePinnedRootAreRefused() throws {
        let (scene, server, listener) = try testCA(.publishForeignRoot)
        defer { listener.stop(); scene.remove() }
        let run = try scene.enroll(listener.url)
        #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("caPubs"), "\(run.errors)")
        #expect(server.certificateConfirmations.first?.contains("rejection") == true)
        #expect(!FileManager.default.fileExists(atPath: scene.pfx.path))
    }

    @Test func anUnreachableCAExits69() throws {
        let (scene, _, listener) = try testCA()
        defer { scene.remove() }
        let url = listener.url
        listener.stop()
        let run = try scene.enroll(url)
        #expect(run.exitCode == 69, "\(run.output) \(run.errors)")
    }

    /// The mock hands out one fixed certificate, so the key is given with --new-key and the certificate made for it.
    @Test func aGoodEnrolmentAgainstOpenSSLsMockServer() throws {
        let ca = try TestCertificateAuthority()
        let scene = try Scene(root: ca.certificate)
        defer { scene.remove() }
        #expect(try scene.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", scene.path("new.key")]).status == 0)
        let newKey = try PrivateKey(pem: String(contentsOfFile: scene.path("new.key"), encoding: .utf8))
        let issued = try ca.issue(subject: [("C", "CN"), ("CN", Self.gateway)], for: newKey, validityDays: 365)
        try scene.write(issued.pem(), to: "issued.pem")
        let mock = try OpenSSLMockCMPServer(reference: scene.reference, secret: scene.authorization,
                                            response: scene.path("issued.pem"), publications: scene.path("root.pem"))
        defer { mock.stop() }
        let run = try scene.enroll(mock.url, extra: ["--new-key", "new.key"])
        #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
        let opened = try PKCS12Archive.open(Array(try Data(contentsOf: scene.pfx)), password: scene.password)
        #expect(opened.certificate == issued)
        #expect(opened.keyMatchesCertificate)
        try scene.write("WRONG1234", to: "wrong")
        try FileManager.default.createDirectory(atPath: scene.path("again"), withIntermediateDirectories: true)
        let wrong = try scene.enroll(mock.url, extra: ["--new-key", "new.key"], out: "again", authorizationFile: "wrong")
        #expect(wrong.exitCode == 1, "\(wrong.output) \(wrong.errors)")
        #expect(wrong.errors.contains("new password envelope"), "\(wrong.errors)")
        try scene.expectNoSecrets(in: [run, wrong])
    }

    @Test func explainR14NamesTheCommandInBothLanguages() throws {
        let english = try CLI.run(["explain", "R14", "--lang", "en"])
        #expect(english.exitCode == 0, "\(english.errors)")
        #expect(english.output.contains("certdoctor enroll") && english.output.contains("authorization code"), "\(english.output)")
        let chinese = try CLI.run(["explain", "r14", "--lang", "zh"])
        #expect(chinese.output.contains("执行命令") && chinese.output.contains("授权码"), "\(chinese.output)")
    }

    /// Every secret typed at a no-echo prompt, the password twice; none shows on the terminal. The driver reads
    /// what to type from the scene's files, so that no secret is on any command line or in any environment.
    static let promptDriver = PseudoTerminal.driver(#"""
        program, workdir, url, second = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        typed = lambda name: open(os.path.join(workdir, name)).read().strip().encode() + b"\n"
        pid, master, slave = start(program, ["enroll", "--gateway", "F000504Y0007", "--ca-url", url, "--ca-cert", "root.pem",
                                             "--out", "out", "--cmp-timeout", "10", "--lang", "en"], workdir)
        seen = b""
        for prompt, name in ((b"reference code:", "reference"), (b"authorization code:", "authorization"),
                             (b"(6 digits):", "password"), (b"password again:", second)):
            seen += read_until(master, lambda output: prompt in output.lower())
            # A person types once the prompt has turned echo off; typed earlier, the flush would drop it.
            deadline = time.time() + 10
            while termios.tcgetattr(slave)[3] & termios.ECHO and time.time() < deadline: time.sleep(0.01)
            os.write(master, typed(name))
        _, status = os.waitpid(pid, 0)
        os.close(slave)
        seen += read_until(master, lambda output: False)
        sys.stdout.write(seen.decode("utf-8", "replace"))
        print("\nexit=%d" % os.WEXITSTATUS(status))
        """#)

    private func enrollAtTheTerminal(_ scene: Scene, _ url: URL, second: String) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        for name in SecretVariables.all { environment.removeValue(forKey: name) }
        environment["HOME"] = scene.directory.path
        environment["XDG_STATE_HOME"] = scene.path("state")
        environment["NO_COLOR"] = "1"
        let run = try ChildProcess.run(
            "/usr/bin/python3", arguments: ["-c", Self.promptDriver, CLI.executable, scene.directory.path, url.absoluteString, second],
            environment: environment, deadline: Date().addingTimeInterval(90))
        return run.outputText + run.errorText
    }

    @Test func theSecretsAreAskedWithoutEchoAndThePasswordTwice() throws {
        let (scene, server, listener) = try testCA()
        defer { listener.stop(); scene.remove() }
        try scene.write(String(scene.password.reversed()) + "0", to: "other-password")
        let differing = try enrollAtTheTerminal(scene, listener.url, second: "other-password")
        #expect(differing.contains("the two passwords differ") && differing.contains("exit=64"), "\(differing)")
        #expect(server.issuedCertificates.isEmpty)
        let agreeing = try enrollAtTheTerminal(scene, listener.url, second: "password")
        #expect(agreeing.contains("exit=0"), "\(agreeing)")
        #expect(FileManager.default.fileExists(atPath: scene.pfx.path))
        for secret in [scene.reference, scene.authorization, scene.password] {
            #expect(!differing.contains(secret) && !agreeing.contains(secret), "a typed secret was echoed")
        }
    }
}
