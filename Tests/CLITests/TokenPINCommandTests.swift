import CertDoctorCore
import Foundation
import Testing
import TestSupport

/// A token that shows its private key only after login: without a PIN, `token.certificate` says to give one
/// and decides nothing; with `--token-pin-file` it decides. Real pcscd with vpcd and a SoftHSM token.
@Suite(
    .serialized,
    .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenPINCommandTests {
    @Test func aKeyHiddenUntilLoginIsNotchecked() async throws {
        _ = try SoftHSMTokens.shared.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-token-pin-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pinFile = directory.appendingPathComponent("pin")
        try Data((SoftHSMTokens.userPIN + "\n").utf8).write(to: pinFile)
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let arguments = ["check", "--token", "--pkcs11-module", TestEnvironment.softHSMModule, "--token-label", SoftHSMTokens.privateKeyLabel,
                         "--only", "token.certificate", "--format", "json", "--lang", "en"]
        let environment = ["HOME": directory.path, "LANG": "en_US.UTF-8"]

        let withoutPIN = try CLI.run(arguments, in: directory, environment: environment)
        let results = try withoutPIN.json()["results"] as? [[String: Any]] ?? []
        let certificate = try #require(results.first { $0["id"] as? String == "token.certificate" }, "\(withoutPIN.output) \(withoutPIN.errors)")
        #expect(certificate["outcome"] as? String == "notchecked", "\(certificate)")
        let message = "\(certificate["message"] ?? "")"
        #expect(message.contains("--token-pin-file"), "\(message)")
        #expect(!message.contains("E6"), "\(message)")

        let withPIN = try CLI.run(arguments + ["--token-pin-file", pinFile.path], in: directory, environment: environment)
        #expect(try withPIN.outcome(of: "token.certificate") == "pass", "\(withPIN.output) \(withPIN.errors)")
        #expect(!withPIN.output.contains(SoftHSMTokens.userPIN + "\""))
    }
}
