import CertDoctorCore
import Foundation
import Testing
import TestSupport

/// `driver.token-csp` in a real run: the token's ATR comes from the PC/SC reading of the card in the reader
/// (nothing in the run names it), so another vendor's card entry in the Wine prefix that claims it is E3's
/// "wrong driver". pcscd with vpcd and an emulated card, and a Wine prefix, are real; nothing is mocked.
@Suite(
    .serialized,
    .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenCSPCommandTests {
    /// The ATR the fixture's Mingwah entry claims (under its mask), on a card that is not the ePass3003.
    static let mingwahClaimedATR = "3B9F958131FE9F006646530510001171"

    @Test func anotherVendorsEntryClaimingTheInsertedCardFailsNamingIt() async throws {
        // Without Wine the test fails rather than skips: the bootstrap installs it, so its absence is a broken set-up.
        try #require(WineTestPrefix.wineIsInstalled, "needs wine (scripts/bootstrap.sh --tests installs it)")
        let fixture = CLI.fixtures.appendingPathComponent("windows/token-csp/other-vendor")
        let files = try FileManager.default.contentsOfDirectory(at: fixture, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "reg" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: Self.mingwahClaimedATR)
        let run = try WineTestPrefix.windows.withPrefix { prefix in
            try WineTestPrefix.windows.importFiles(files)
            let copied = try WineTestPrefix.windows.copyDriveFiles(of: fixture)
            defer { for file in copied { try? FileManager.default.removeItem(at: file) } }
            // The machine's own pcscd socket is the one the stack serves; HOME keeps any other prefix out.
            return try CLI.run(
                ["check", "--token", "--wine-prefix", prefix.path, "--only", "driver.token-csp", "--format", "json", "--lang", "en"],
                environment: ["HOME": prefix.deletingLastPathComponent().path, "LANG": "en_US.UTF-8"])
        }
        let results = try run.json()["results"] as? [[String: Any]] ?? []
        let result = try #require(results.first { $0["id"] as? String == "driver.token-csp" }, "\(run.output) \(run.errors)")
        #expect(result["outcome"] as? String == "fail", "\(result)")
        let message = "\(result["message"] ?? "")"
        #expect(message.contains("Mingwah USBKey"), "\(message)")
        #expect(message.contains("another vendor's driver claims the token's ATR"), "\(message)")
        // The ATR was read from the reader: nothing on the command line names it.
        let evidence = result["evidence"] as? [[String: String]] ?? []
        #expect(evidence.contains { $0["name"] == "token ATR" && $0["value"] == "3B 9F 95 81 31 FE 9F 00 66 46 53 05 10 00 11 71" }, "\(evidence)")
    }
}
