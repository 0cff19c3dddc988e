import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `certdoctor renew` as a person runs it: the real executable built beside the tests. A missing executable
/// or a `renew` without its options is a failure, never a skip: a skipped test would pass in CI unseen.
@Suite struct RenewCommandTests {
    static let executable: String? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("certdoctor").path,
            RenewalWorkspace.repository.appendingPathComponent(".build/debug/certdoctor").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let renewIsRegistered: Bool = {
        guard let executable else { return false }
        let result = try? CertDoctorCore.ChildProcess.run(
            executable, arguments: ["renew", "--help"], environment: ProcessInfo.processInfo.environment,
            deadline: Date().addingTimeInterval(30))
        return result?.reason == .exited(0) && result?.outputText.contains("--ca-url") == true
    }()

    /// `detached` runs it in a new session without a controlling terminal, so that nothing can prompt.
    static func certdoctor(
        _ arguments: [String], scene: RenewalWorkspace, environment extra: [String: String] = [:], detached: Bool = false,
        shell: String? = nil, arguments shellArguments: [String] = []
    ) throws -> CertDoctorCore.ChildProcess.Termination {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = scene.state.path
        environment["CERTDOCTOR_DATA_DIR"] = RenewalWorkspace.repository.path
        environment["NO_COLOR"] = "1"
        environment.removeValue(forKey: "CERTDOCTOR_PFX_PASSWORD")
        environment.removeValue(forKey: "WINEPREFIX")
        for (key, value) in extra { environment[key] = value }
        let program = try #require(executable, "no certdoctor executable beside the tests: run swift build --build-tests")
        try #require(renewIsRegistered, "\(program) renew --help does not exit 0 listing --ca-url")
        if let shell {
            return try CertDoctorCore.ChildProcess.run(
                "/bin/sh", arguments: ["-c", shell] + shellArguments, environment: environment, deadline: Date().addingTimeInterval(60))
        }
        return try CertDoctorCore.ChildProcess.run(
            detached ? "/usr/bin/setsid" : program, arguments: detached ? ["-w", program] + arguments : arguments,
            environment: environment, deadline: Date().addingTimeInterval(60))
    }

    @Test
    func offlineRequestImportAndUndo() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        let request = try Self.certdoctor(
            ["renew", "--pfx", scene.pfx.path, "--password-file", scene.passwordFile.path, "--request-out", scene.requestFile,
             "--lang", "en"], scene: scene)
        #expect(request.reason == .exited(0), "\(request.errorText)")
        #expect(request.outputText.contains("Submit"))
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        // The password may come from the environment as well; never from argv.
        let imported = try Self.certdoctor(
            ["renew", "--pfx", scene.pfx.path, "--import", scene.path("issued.pem"), "--format", "json", "--report", scene.path("reports")],
            scene: scene,
            environment: ["CERTDOCTOR_PFX_PASSWORD": RenewalWorkspace.password])
        #expect(imported.reason == .exited(0), "\(imported.errorText)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(imported.standardOutput)) as? [String: Any])
        let fixes = try #require(json["fixes"] as? [[String: Any]])
        #expect(fixes.first?["check"] as? String == "cert.renewal")
        let steps = try #require(json["renewal"] as? [[String: Any]])
        #expect(steps.contains { $0["name"] as? String == "install" })
        #expect(!imported.outputText.contains(RenewalWorkspace.password))
        // The XML report (validated against its schema when written) carries the renewal steps.
        let xml = try String(contentsOfFile: scene.path("reports/report.xml"), encoding: .utf8)
        #expect(xml.contains("<step name=\"install\""))
        #expect(!xml.contains(RenewalWorkspace.password))
        let renewed = try scene.bytes(scene.pfx)
        #expect(renewed != oldBytes)

        let undo = try Self.certdoctor(["undo", "--lang", "en"], scene: scene)
        #expect(undo.reason == .exited(0), "\(undo.errorText)")
        #expect(try scene.bytes(scene.pfx) == oldBytes)
        #expect(scene.archived().count == 2)
        #expect(try scene.archived().map { try scene.bytes(scene.archive.appendingPathComponent($0)) }.contains(renewed))
    }

    @Test
    func theNextStepAfterAnOfflineRequestWorksWhenPasted() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let request = try Self.certdoctor(
            ["renew", "--pfx", scene.pfx.path, "--password-file", scene.passwordFile.path, "--request-out", scene.requestFile,
             "--lang", "en"], scene: scene)
        #expect(request.reason == .exited(0), "\(request.errorText)")
        // "… save it as /…/F000504Y0007.cer and run: certdoctor renew --import … --pfx … --password-file …"
        let text = request.outputText + request.errorText
        let saveAs = try #require(text.range(of: "save it as ")).upperBound
        let issued = String(text[saveAs...].prefix { $0 != " " })
        let commandStart = try #require(text.range(of: "and run: ")).upperBound
        let command = String(text[commandStart...].prefix { $0 != "\n" })
        #expect(command.contains("--pfx") && command.contains("--password-file"), "\(command)")
        try scene.signWithOpenSSL(request: scene.requestFile, output: issued)
        // Pasted into a shell as it was printed, with certdoctor on PATH.
        let program = try #require(Self.executable)
        let path = URL(fileURLWithPath: program).deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let pasted = try Self.certdoctor([], scene: scene, environment: ["PATH": path], shell: command)
        #expect(pasted.reason == .exited(0), "\(command)\n\(pasted.outputText)\n\(pasted.errorText)")
        #expect(pasted.outputText.contains("install"), "\(pasted.outputText)")
    }

    @Test
    func gateRefusalExitsOneAndNamesTheCheck() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA(fileName: "\(RenewalWorkspace.gateway).pfx")
        let file = scene.certificateDirectory.appendingPathComponent("\(RenewalWorkspace.gateway).pfx")
        let result = try Self.certdoctor(
            ["renew", "--pfx", file.path, "--password-file", scene.passwordFile.path, "--lang", "en"], scene: scene)
        #expect(result.reason == .exited(1))
        #expect(result.errorText.contains("cert.pfx-name"))
        #expect(result.errorText.contains("Rename the file to \(RenewalWorkspace.gateway)#0.pfx"))
    }

    @Test
    func cmpExitCodes() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let base = ["renew", "--pfx", scene.pfx.path, "--password-file", scene.passwordFile.path, "--backend", "cmp", "--lang", "en"]

        let unconfigured = try Self.certdoctor(base, scene: scene)
        #expect(unconfigured.reason == .exited(64))

        let rejecting = try TestCMPHTTPListener(server: TestCMPServer(authority: authority, behaviour: .reject(.certRevoked, text: "revoked")))
        let rejected = try Self.certdoctor(base + ["--ca-url", rejecting.url.absoluteString, "--ca-cert", scene.path("ca.pem")], scene: scene)
        rejecting.stop()
        #expect(rejected.reason == .exited(1), "\(rejected.errorText)")
        #expect(rejected.errorText.contains("E7"))

        let closed = rejecting.url.absoluteString
        let unreachable = try Self.certdoctor(base + ["--ca-url", closed, "--ca-cert", scene.path("ca.pem"), "--cmp-timeout", "1"], scene: scene)
        #expect(unreachable.reason == .exited(69), "\(unreachable.errorText)")

        let issuing = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        defer { issuing.stop() }
        let before = try scene.bytes(scene.pfx)
        let killed = try Self.certdoctor(
            base + ["--ca-url", issuing.url.absoluteString, "--ca-cert", scene.path("ca.pem")], scene: scene,
            environment: ["CERTDOCTOR_FAULT_INJECTION": "renewal-before-rename"])
        #expect(killed.reason == .signalled(SIGKILL))
        #expect(try scene.bytes(scene.pfx) == before)
        let renewed = try Self.certdoctor(base + ["--ca-url", issuing.url.absoluteString, "--ca-cert", scene.path("ca.pem")], scene: scene)
        #expect(renewed.reason == .exited(0), "\(renewed.errorText)")
        #expect(try scene.bytes(scene.pfx) != before)
        #expect(scene.strays().isEmpty)
    }

    /// A person at a terminal sees the CMP exchange's steps as they happen; a machine format never gets them, on a
    /// terminal or not. `script` gives the run a pseudo-terminal, as a person's shell would.
    @Test(arguments: ["text", "json"])
    func theExchangesProgressIsForATerminalOnly(format: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux's script")
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let issuing = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        defer { issuing.stop() }
        let program = try #require(Self.executable)
        let words = [program, "renew", "--pfx", scene.pfx.path, "--password-file", scene.passwordFile.path, "--backend", "cmp",
                     "--ca-url", issuing.url.absoluteString, "--ca-cert", scene.path("ca.pem"), "--lang", "en", "--format", format]
        let command = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let run = try Self.certdoctor([], scene: scene, shell: "exec /usr/bin/script -qec \"$0\" /dev/null" , arguments: [command])
        #expect(run.reason == .exited(0), "\(run.outputText) \(run.errorText)")
        let progress = run.outputText.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("  … ") }
        if format == "text" {
            #expect(!progress.isEmpty, "\(run.outputText)")
        } else {
            #expect(progress.isEmpty, "\(run.outputText)")
            #expect(run.outputText.contains("\"ready_to_renew\""), "\(run.outputText)")
        }
    }

    @Test
    func encryptedNewKeyWithItsPasswordFile() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        try Data("key-secret\n".utf8).write(to: URL(fileURLWithPath: scene.path("keypw")))
        try scene.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes256",
                           "-pass", "file:\(scene.path("keypw"))", "-out", scene.path("made-elsewhere.key")])
        let base = ["renew", "--pfx", scene.pfx.path, "--password-file", scene.passwordFile.path, "--request-out", scene.requestFile,
                    "--new-key", scene.path("made-elsewhere.key"), "--lang", "en"]
        let withoutPassword = try Self.certdoctor(base, scene: scene, detached: true)
        #expect(withoutPassword.reason == .exited(64), "no terminal and no password source for the encrypted key")
        #expect(withoutPassword.errorText.contains("CERTDOCTOR_NEW_KEY_PASSWORD"))
        let result = try Self.certdoctor(base + ["--new-key-password-file", scene.path("keypw")], scene: scene)
        #expect(result.reason == .exited(0), "\(result.errorText)")
        let fromRequest = try scene.openssl(["req", "-in", scene.requestFile, "-noout", "-pubkey"])
        let fromKey = try scene.openssl(["pkey", "-in", scene.path("made-elsewhere.key"), "-passin", "file:\(scene.path("keypw"))", "-pubout"])
        #expect(fromRequest == fromKey)
    }
}
