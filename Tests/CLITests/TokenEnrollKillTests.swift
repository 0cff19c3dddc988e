import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

/// `certdoctor enroll --token` killed for real (SIGKILL) before and after each call that changes the token, by the
/// proxy module of ``TokenRenewKillTests``, against SoftHSM2 and the test CA over HTTP. After each kill: at most one
/// pair, a certificate named `<gateway>` only with its key; `undo` (when the run got as far as the journal) takes the
/// certificate off; and the next enrolment completes with the pair the killed run made, never a second one.
@Suite(.serialized) struct TokenEnrollKillTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let tokenLabel = "scratch-enroll-kill"
    /// The new pair, its certificate, then its three objects named (certificate first).
    static let expectedCalls = ["C_GenerateKeyPair", "C_CreateObject"] + Array(repeating: "C_SetAttributeValue", count: 3)

    /// One enrolment's directory (the envelope's codes, the PIN, the CA certificate, the journal, the call log).
    struct Round {
        let directory: URL
        let tokens: SoftHSMTokens
        let module: URL

        init(authority: TestCertificateAuthority, tokens: SoftHSMTokens, module: URL) throws {
            self.tokens = tokens
            self.module = module
            directory = try ExternalProcess.temporaryDirectory("certdoctor-enroll-kill")
            for (name, text) in [("reference", TokenEnrollKillTests.reference), ("authorization", TokenEnrollKillTests.authorization),
                                 ("pin", SoftHSMTokens.userPIN)] {
                try Data((text + "\n").utf8).write(to: path(name))
            }
            try Data(authority.certificate.der).write(to: path("root.der"))
        }

        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

        var environment: [String: String] {
            ["HOME": directory.path, "XDG_STATE_HOME": path("state").path, "SOFTHSM2_CONF": tokens.configuration.path,
             "PKCS11_PROXY_LOG": path("calls").path]
        }

        func enroll(_ server: URL, killAt call: Int? = nil, when: String = "before") throws -> CLI.Run {
            let kill = call.map { ["PKCS11_PROXY_KILL_AT": String($0), "PKCS11_PROXY_KILL_WHEN": when] } ?? [:]
            return try CLI.run(
                ["enroll", "--token", "--pkcs11-module", module.path, "--token-label", TokenEnrollKillTests.tokenLabel,
                 "--token-pin-file", "pin", "--gateway", TokenEnrollKillTests.gateway, "--ca-url", server.absoluteString,
                 "--ca-cert", "root.der", "--reference-file", "reference", "--authorization-file", "authorization",
                 "--cmp-timeout", "10", "--lang", "en"],
                in: directory, environment: environment.merging(kill) { $1 }, timeout: 120)
        }

        func calls() throws -> [String] {
            guard FileManager.default.fileExists(atPath: path("calls").path) else { return [] }
            return try String(contentsOf: path("calls"), encoding: .utf8).split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static let reference = "REF\(UInt32.random(in: 10_000_000...99_999_999))"
    static let authorization = "AUTH\(UInt32.random(in: 100_000...999_999))"

    @Test func killedBeforeAndAfterEachChangeTheNextEnrolmentCompletesWithOnePair() throws {
        let tokens = try SoftHSMTokens.shared.get()
        let module = try TokenRenewKillTests.proxyModule.get()
        let authority = try TestCertificateAuthority()
        let server = try TestCMPServer(authority: authority)
        let listener = try TestCMPHTTPListener(server: server, maxConnections: 1000, lifetime: 600)
        defer { listener.stop() }
        let token = ScratchTokenTool(label: Self.tokenLabel, configuration: tokens.configuration)
        /// A fresh envelope (the test CA takes each once) and an empty token.
        func fresh() throws -> Round {
            server.addEnvelope(reference: Self.reference, secret: Self.authorization)
            try token.empty()
            guard try token.objects().isEmpty else { throw ExternalProcess.Failure(command: "empty the scratch token", status: -1, output: "") }
            return try Round(authority: authority, tokens: tokens, module: module)
        }

        let whole = try fresh()
        let run = try whole.enroll(listener.url)
        #expect(run.exitCode == 0, "\(run.errors.prefix(600))")
        let calls = try whole.calls()
        whole.remove()
        try #require(calls == Self.expectedCalls, "the enrolment's changing calls: \(calls)")

        for call in 1...calls.count {
            for when in ["before", "after"] {
                let round = try fresh()
                defer { round.remove() }
                let moment = "killed \(when) call \(call) (\(calls[call - 1]))"
                let killedRun = try round.enroll(listener.url, killAt: call, when: when)
                #expect(killedRun.status == .signalled(9), "\(moment): \(killedRun.status) \(killedRun.errors.prefix(600))")
                let killed = TokenRenewKillTests.TokenView(objects: try token.objects())
                #expect(killed.broken.isEmpty, "\(moment): \(killed.broken) \(killed.objects)")
                #expect(Set(killed.objects.map(\.id)).count <= 1, "\(moment): \(killed.objects)")
                let pairID = killed.objects.first { $0.kind == "Private" }?.id

                let journaled = Journal(directory: Journal.defaultDirectory(round.environment)).entries().contains { $0.state != .undone }
                if journaled {
                    let undo = try CLI.run(["undo", "--token-pin-file", "pin", "--lang", "en"], in: round.directory, environment: round.environment)
                    #expect(undo.exitCode == 0, "\(moment): \(undo.output) \(undo.errors.prefix(600))")
                }
                let undone = try token.objects()
                #expect(undone.allSatisfy { $0.kind != "Certificate" && $0.label == "\(Self.gateway).pending" && $0.id == pairID }, "\(moment), after undo: \(undone)")

                server.addEnvelope(reference: Self.reference, secret: Self.authorization)
                try? FileManager.default.removeItem(at: round.path("calls"))
                let again = try round.enroll(listener.url)
                #expect(again.exitCode == 0, "\(moment), enrolling again: \(again.errors.prefix(600))")
                let enrolled = try token.objects()
                #expect(enrolled.count == 3 && enrolled.allSatisfy { $0.label == Self.gateway }, "\(moment): \(enrolled)")
                #expect(Set(enrolled.map(\.id)).count == 1 && (pairID == nil || enrolled.first?.id == pairID), "\(moment): \(enrolled)")
                print("\(moment): " + (journaled ? "undone from the journal" : "no journal entry") + ", " + (pairID == nil ? "no pair left" : "its pair used again"))
            }
        }
    }
}
