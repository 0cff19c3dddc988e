import CertDoctorCore
import Foundation
@testable import PKI
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The token's offline renewal end to end (`renew --token` writes the request, `renew --token --import` installs
/// what the CA issued for it), and `renew --token --backend cmp` against OpenSSL's own mock CMP server: the binary,
/// the gate through real pcscd with the token in a virtual reader, a SoftHSM token, and the openssl and pkcs11-tool
/// command lines as independent judges. Shares its scratch token (and scene) with ``TokenRenewCommandTests``; the
/// suites run one after the other.
@Suite(
    .serialized,
    .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenOfflineRenewCommandTests {
    typealias Scene = TokenRenewCommandTests.Scene
    static let gateway = TokenRenewCommandTests.gateway
    static let pending = gateway + ".pending"

    /// `body` with a fresh scene while pcscd runs with the token in its reader.
    private func withToken(_ body: (Scene) throws -> Void) async throws {
        let scene = try Scene()
        defer { scene.remove() }
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        try body(scene)
    }

    private func certdoctor(_ scene: Scene, _ arguments: [String]) throws -> CLI.Run {
        try CLI.run(arguments, in: scene.directory, environment: scene.environment, timeout: 120)
    }

    /// `renew --token`, the offline backend being the default.
    private func request(_ scene: Scene, _ extra: [String] = []) throws -> CLI.Run {
        try certdoctor(scene, ["renew"] + scene.tokenArguments + extra)
    }

    private func importIssued(_ scene: Scene, _ file: String, _ extra: [String] = []) throws -> CLI.Run {
        try certdoctor(scene, ["renew"] + scene.tokenArguments + ["--import", file, "--ca-cert", scene.path("root.der").path] + extra)
    }

    @discardableResult
    private func openssl(_ arguments: [String]) throws -> String { try ExternalProcess.run("/usr/bin/openssl", arguments) }

    /// The PIN as a word of its own: not a piece of a hex ID, a serial, a random path or base64 text.
    private func mentionsPIN(_ text: String) -> Bool {
        let pattern = "(?<![A-Za-z0-9+/])" + NSRegularExpression.escapedPattern(for: SoftHSMTokens.userPIN) + "(?![A-Za-z0-9+/])"
        let expression = try? NSRegularExpression(pattern: pattern)
        return expression?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The test CA's key and certificate as openssl takes them, to play the CA that receives the request.
    private func caFiles(_ scene: Scene) throws -> (certificate: String, key: String) {
        try scene.authority.certificate.pem().write(to: scene.path("ca.pem"), atomically: true, encoding: .utf8)
        try scene.authority.key.pem(encryptedWith: "transfer").write(to: scene.path("ca-key.pem"), atomically: true, encoding: .utf8)
        return (scene.path("ca.pem").path, scene.path("ca-key.pem").path)
    }

    /// What the CA does with the request: a certificate for its key and subject, valid for a year.
    private func issue(_ scene: Scene, request: String, output: String, publicKey: String? = nil) throws {
        let ca = try caFiles(scene)
        try openssl(["x509", "-req", "-in", request, "-CA", ca.certificate, "-CAkey", ca.key, "-passin", "pass:transfer",
                     "-days", "365", "-set_serial", "0x2002", "-out", output] + (publicKey.map { ["-force_pubkey", $0] } ?? []))
    }

    private func pendingID(_ scene: Scene) throws -> String {
        let objects = try scene.objects()
        let ids = Set(objects.filter { $0.label == Self.pending }.map(\.id))
        #expect(ids.count == 1, "\(objects)")
        return try #require(ids.first)
    }

    @Test func theRequestIsSignedOnTheTokenWithANewPairUnderTheOldSubject() async throws {
        try await withToken { scene in
            let run = try request(scene)
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            let csr = scene.path("\(Self.gateway).csr.pem").path
            #expect(FileManager.default.fileExists(atPath: csr), "\(run.output)")
            // What to do next: the import command, with the token options of this run.
            #expect(run.output.contains("renew --import \(scene.path("\(Self.gateway).cer").path)") && run.output.contains(" --token "),
                    "\(run.output)")

            // openssl checks the request's signature, and that it names the old certificate's subject.
            try openssl(["req", "-verify", "-noout", "-in", csr])
            let requested = try openssl(["req", "-in", csr, "-noout", "-subject", "-nameopt", "RFC2253"])
            let old = try openssl(["x509", "-inform", "DER", "-in", scene.path("old.der").path, "-noout", "-subject", "-nameopt", "RFC2253"])
            #expect(requested == old, "\(requested) vs \(old)")

            // The requested key is the pending pair's public key, read off the token by pkcs11-tool.
            let objects = try scene.objects()
            #expect(Set(objects.filter { $0.label == Self.pending }.map(\.kind)) == ["Private", "Public"], "\(objects)")
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == Self.gateway }.allSatisfy { $0.id == "01" }, "\(objects)")
            let id = try pendingID(scene)
            try scene.pkcs11Tool(["--read-object", "--type", "pubkey", "--id", id, "--output-file", scene.path("pending.der").path])
            let onToken = try openssl(["pkey", "-pubin", "-inform", "DER", "-in", scene.path("pending.der").path])
            #expect(try openssl(["req", "-in", csr, "-noout", "-pubkey"]) == onToken)

            let text = try String(contentsOfFile: csr, encoding: .utf8)
            #expect(!mentionsPIN(text) && !mentionsPIN(run.output) && !mentionsPIN(run.errors))

            // A second run reuses the pending pair and writes the same request: still one pending pair.
            let again = try request(scene)
            #expect(again.exitCode == 0, "\(again.output) \(again.errors)")
            #expect(again.output.contains("reusing the pending key pair"), "\(again.output)")
            #expect(try pendingID(scene) == id)
            #expect(try scene.objects().filter { $0.label == Self.pending }.count == 2)
            #expect(try String(contentsOfFile: csr, encoding: .utf8) == text)
        }
    }

    /// A pair the vendor's tool made (`--token-new-key-id`) signs the request and takes the pending name, so that
    /// `--import` finds it.
    @Test func aGivenPairSignsTheRequestAndBecomesThePendingOne() async throws {
        try await withToken { scene in
            try scene.pkcs11Tool(["--keypairgen", "--key-type", "rsa:2048", "--id", "02", "--label", "vendor-made"])
            let run = try request(scene, ["--token-new-key-id", "02"])
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            let objects = try scene.objects()
            #expect(Set(objects.filter { $0.id == "02" }.map(\.kind)) == ["Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.id == "02" }.allSatisfy { $0.label == Self.pending }, "\(objects)")
            try scene.pkcs11Tool(["--read-object", "--type", "pubkey", "--id", "02", "--output-file", scene.path("given.der").path])
            let given = try openssl(["pkey", "-pubin", "-inform", "DER", "-in", scene.path("given.der").path])
            #expect(try openssl(["req", "-in", scene.path("\(Self.gateway).csr.pem").path, "-noout", "-pubkey"]) == given)
        }
    }

    /// A different file where the request goes is not overwritten: it may be the request the CA is working on.
    @Test func aDifferentFileWhereTheRequestGoesIsKept() async throws {
        try await withToken { scene in
            let csr = scene.path("\(Self.gateway).csr.pem")
            try Data("an earlier request\n".utf8).write(to: csr)
            let run = try request(scene)
            #expect(run.exitCode == 73, "\(run.output) \(run.errors)")
            #expect(run.errors.contains("a different file is already there"), "\(run.errors)")
            #expect(try String(contentsOf: csr, encoding: .utf8) == "an earlier request\n")
        }
    }

    @Test func theImportedCertificateTakesTheGatewaysNameAndUndoGivesItBack() async throws {
        try await withToken { scene in
            let requested = try request(scene, ["--ca-cert", scene.path("root.der").path])
            #expect(requested.exitCode == 0, "\(requested.output) \(requested.errors)")
            let id = try pendingID(scene)
            // "… save it as /…/F000504Y0007.cer and run (--ca-cert: the CA's certificate): certdoctor renew --import … --token …"
            let saveAs = try #require(requested.output.range(of: "save it as ")).upperBound
            let issued = String(requested.output[saveAs...].prefix { $0 != " " })
            let commandStart = try #require(requested.output.range(of: "the CA's certificate): ")).upperBound
            let command = String(requested.output[commandStart...].prefix { $0 != "\n" })
            try issue(scene, request: scene.path("\(Self.gateway).csr.pem").path, output: issued)

            // The next step, pasted into a shell as it was printed, with certdoctor on PATH.
            let path = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().path + ":/usr/bin:/bin"
            let pasted = try ChildProcess.run(
                "/bin/sh", arguments: ["-c", "cd '\(scene.directory.path)' && " + command],
                environment: ProcessInfo.processInfo.environment.merging(scene.environment) { _, new in new }.merging(["PATH": path]) { _, new in new },
                deadline: Date().addingTimeInterval(120))
            #expect(pasted.reason == .exited(0), "\(command)\n\(pasted.outputText) \(pasted.errorText)")
            #expect(!mentionsPIN(pasted.outputText) && !mentionsPIN(pasted.errorText))
            let objects = try scene.objects()
            let setAside = "\(Self.gateway).old-\(scene.old.serialNumberHex)"
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == Self.gateway }.allSatisfy { $0.id == id }, "\(objects)")
            #expect(Set(objects.filter { $0.label == setAside }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == setAside }.allSatisfy { $0.id == "01" }, "\(objects)")
            #expect(!objects.contains { $0.label == Self.pending }, "\(objects)")

            // A signature pkcs11-tool makes with the key now named by the gateway verifies with the new certificate.
            try scene.pkcs11Tool(["--read-object", "--type", "cert", "--label", Self.gateway, "--output-file", scene.path("new.der").path])
            let newPublicKey = try openssl(["x509", "-inform", "DER", "-in", scene.path("new.der").path, "-noout", "-pubkey"])
            try newPublicKey.write(to: scene.path("new-pub.pem"), atomically: true, encoding: .utf8)
            try Data("signed on the token\n".utf8).write(to: scene.path("data"))
            try scene.pkcs11Tool(["--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", id, "--input-file", scene.path("data").path,
                                  "--output-file", scene.path("data.sig").path])
            try openssl(["dgst", "-sha256", "-verify", scene.path("new-pub.pem").path, "-signature", scene.path("data.sig").path,
                         scene.path("data").path])

            let check = try certdoctor(scene, ["check"] + scene.tokenArguments + ["--format", "json"])
            #expect(check.exitCode == 0, "\(check.output) \(check.errors)")
            #expect(try check.outcome(of: "token.certificate") == "pass")

            let undo = try certdoctor(scene, ["undo", "--token-pin-file", scene.path("pin").path, "--lang", "en"])
            #expect(undo.exitCode == 0, "\(undo.output) \(undo.errors)")
            let restored = try scene.objects()
            #expect(Set(restored.filter { $0.label == Self.gateway }.map(\.id)) == ["01"], "\(restored)")
            #expect(Set(restored.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(restored)")
            #expect(Set(restored.filter { $0.id == id }.map(\.kind)) == ["Private", "Public"], "\(restored)")
            #expect(restored.filter { $0.id == id }.allSatisfy { $0.label == Self.pending }, "\(restored)")
        }
    }

    @Test func removeOldAfterTheImportDeletesTheOldPair() async throws {
        try await withToken { scene in
            #expect(try request(scene).exitCode == 0)
            try issue(scene, request: scene.path("\(Self.gateway).csr.pem").path, output: scene.path("issued.pem").path)
            let run = try importIssued(scene, scene.path("issued.pem").path, ["--remove-old"])
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            #expect(run.output.contains("were removed, as --remove-old asked"), "\(run.output)")
            let objects = try scene.objects()
            #expect(!objects.contains { $0.id == "01" || $0.label.contains(".old-") }, "\(objects)")
        }
    }

    /// A certificate for another key (here the old one's) is refused with 65 and nothing on the token changes.
    @Test func aCertificateForAnotherKeyIsRefused() async throws {
        try await withToken { scene in
            #expect(try request(scene).exitCode == 0)
            try openssl(["pkey", "-pubin", "-inform", "DER", "-in", scene.path("old-pub.der").path, "-out", scene.path("old-pub.pem").path])
            try issue(scene, request: scene.path("\(Self.gateway).csr.pem").path, output: scene.path("other.pem").path,
                      publicKey: scene.path("old-pub.pem").path)
            let before = try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" }
            let run = try importIssued(scene, scene.path("other.pem").path)
            #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
            #expect(run.errors.contains("not for the new key"), "\(run.errors)")
            #expect(try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" } == before)
        }
    }

    /// A certificate for the pending key from a CA other than `--ca-cert` is refused with 65 before the token changes.
    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        try await withToken { scene in
            #expect(try request(scene).exitCode == 0)
            func path(_ name: String) -> String { scene.path(name).path }
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("other-ca.key"), "-out", path("other-ca.pem"),
                         "-days", "30", "-subj", "/CN=Another CA"])
            try openssl(["x509", "-req", "-in", path("\(Self.gateway).csr.pem"), "-CA", path("other-ca.pem"), "-CAkey", path("other-ca.key"),
                         "-days", "365", "-out", path("elsewhere.pem")])
            let before = try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" }
            let run = try importIssued(scene, path("elsewhere.pem"))
            #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
            #expect(run.errors.contains("not signed by the CA certificate (--ca-cert)"), "\(run.errors)")
            #expect(try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" } == before)
        }
    }

    /// Without an offline request first there is no pending pair to import for: 66, and the token is untouched.
    @Test func anImportWithoutAPendingPairIsRefused() async throws {
        try await withToken { scene in
            try openssl(["x509", "-inform", "DER", "-in", scene.path("old.der").path, "-out", scene.path("old.pem").path])
            let before = try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" }
            let run = try importIssued(scene, scene.path("old.pem").path)
            #expect(run.exitCode == 66, "\(run.output) \(run.errors)")
            #expect(run.errors.contains("the token holds no pending key pair for \(Self.gateway)"), "\(run.errors)")
            #expect(run.errors.contains("renew --token"), "\(run.errors)")
            #expect(try scene.objects().map { "\($0.kind) \($0.label) \($0.id)" } == before)
        }
    }

    /// `renew --token --backend cmp` against `openssl cmp`'s mock server. The mock returns one fixed certificate and
    /// answers only a request naming that certificate's issuer and serial, so the old certificate comes from the
    /// mock's CA, the new pair is made beforehand with pkcs11-tool (`--token-new-key-id`) and the answer is issued
    /// for it with the old serial.
    @Test func theKeyUpdateAgainstOpenSSLsMockServerInstallsTheNewCertificate() async throws {
        try await withToken { scene in
            func path(_ name: String) -> String { scene.path(name).path }
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("mock-ca.key"), "-out", path("mock-ca.pem"),
                         "-days", "30", "-subj", "/CN=Mock CMP CA"])
            try openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", path("throwaway.key"), "-out", path("name.csr"),
                         "-subj", "/C=CN/O=Certdoctor Test Securities/CN=\(Self.gateway)"])
            try scene.pkcs11Tool(["--keypairgen", "--key-type", "rsa:2048", "--id", "02", "--label", "vendor-made"])
            try scene.pkcs11Tool(["--read-object", "--type", "pubkey", "--id", "02", "--output-file", path("02.pub.der")])
            try openssl(["pkey", "-pubin", "-inform", "DER", "-in", path("02.pub.der"), "-out", path("02.pub.pem")])
            try openssl(["pkey", "-pubin", "-inform", "DER", "-in", path("old-pub.der"), "-out", path("01.pub.pem")])
            for (id, days, output) in [("01", "10", "mock-old"), ("02", "365", "mock-response")] {
                try openssl(["x509", "-req", "-in", path("name.csr"), "-force_pubkey", path("\(id).pub.pem"), "-CA", path("mock-ca.pem"),
                             "-CAkey", path("mock-ca.key"), "-set_serial", "0x1001", "-days", days, "-out", path("\(output).pem")])
            }
            // The old certificate on the token becomes the mock CA's one for the same key.
            try openssl(["x509", "-in", path("mock-old.pem"), "-outform", "DER", "-out", path("mock-old.der")])
            try scene.pkcs11Tool(["--delete-object", "--type", "cert", "--id", "01"])
            try scene.pkcs11Tool(["--write-object", path("mock-old.der"), "--type", "cert", "--id", "01", "--label", Self.gateway])
            let old = try X509Certificate(derEncoded: Array(try Data(contentsOf: scene.path("mock-old.der"))))

            let mock = try OpenSSLMockCMPServer(
                certificate: path("mock-ca.pem"), key: path("mock-ca.key"), trusted: path("mock-ca.pem"),
                response: path("mock-response.pem"), publications: path("mock-ca.pem"))
            defer { mock.stop() }

            let run = try certdoctor(scene, ["renew"] + scene.tokenArguments + [
                "--backend", "cmp", "--ca-url", mock.url.absoluteString, "--ca-cert", path("mock-ca.pem"),
                "--token-new-key-id", "02",
            ])
            #expect(run.exitCode == 0, "\(run.output) \(run.errors)")
            let objects = try scene.objects()
            let setAside = "\(Self.gateway).old-\(old.serialNumberHex)"
            #expect(Set(objects.filter { $0.label == Self.gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == Self.gateway }.allSatisfy { $0.id == "02" }, "\(objects)")
            #expect(Set(objects.filter { $0.label == setAside }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(objects)")
            #expect(objects.filter { $0.label == setAside }.allSatisfy { $0.id == "01" }, "\(objects)")
            try scene.pkcs11Tool(["--read-object", "--type", "cert", "--label", Self.gateway, "--output-file", path("installed.der")])
            let installed = try X509Certificate(derEncoded: Array(try Data(contentsOf: scene.path("installed.der"))))
            let expected = try #require(try X509Certificate.load(Array(try Data(contentsOf: scene.path("mock-response.pem")))).first)
            #expect(installed == expected)
        }
    }
}

/// What `renew --token`'s offline path refuses before anything runs (exit 64).
@Suite struct TokenOfflineRenewUsageTests {
    @Test(arguments: [
        (["--import", "issued.pem"], "--token --import needs --ca-cert"),
        (["--import", "issued.pem", "--ca-cert", "root.der", "--token-new-key-id", "02"], "--token-new-key-id does not apply"),
        (["--remove-old"], "--remove-old goes with installing"),
        (["--replace-pending"], "--replace-pending is for the file certificate"),
    ])
    func refused(_ arguments: [String], _ expected: String) throws {
        let run = try CLI.run(["renew", "--token", "--lang", "en"] + arguments)
        #expect(run.exitCode == 64, "\(run.output) \(run.errors)")
        #expect(run.errors.contains(expected), "\(run.errors)")
    }
}
