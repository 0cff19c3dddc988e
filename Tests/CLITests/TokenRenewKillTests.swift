import CertDoctorCore
import Foundation
import PKI
import Testing
import TestSupport

/// `certdoctor renew --token --backend cmp` killed for real (SIGKILL) at every call that changes the token, before it
/// and right after it, and at random moments: the binary, the gate through pcscd with the token in a virtual
/// reader, SoftHSM2 as the token and the test CA over HTTP. The kill comes from inside the process, from a PKCS#11
/// module that passes every call to SoftHSM and counts the changing ones (`Tests/Fixtures/pkcs11/kill-proxy.c`,
/// compiled here); certdoctor loads it through `--pkcs11-module` as it loads any vendor's module.
///
/// After each kill: pkcs11-tool shows no two certificates or keys named `<gateway>` and at most one pending pair; a
/// certificate named `<gateway>` has its key; `check --token` passes exactly when one does; `undo` (when the run got
/// as far as the journal) gives the old pair its name back; and then a renewal completes with one new pair, the one
/// the killed run made if it made one. The same module also plays a token pulled out mid-way.
@Suite(
    .serialized,
    .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenRenewKillTests {
    static let gateway = SoftHSMTokens.gatewayNumber
    static let tokenLabel = "scratch-renew-kill"
    static let pending = gateway + ".pending"

    /// The calls that change the token, in the order a renewal without `--remove-old` makes them: the new pair,
    /// its certificate, the old pair's three objects set aside (keys first), the new ones named (certificate first).
    static let expectedCalls = ["C_GenerateKeyPair", "C_CreateObject"] + Array(repeating: "C_SetAttributeValue", count: 6)

    /// The proxy module, compiled once for the test process with the system's C compiler.
    static let proxyModule: Result<URL, ExternalProcess.Failure> = {
        do {
            let directory = try ExternalProcess.temporaryDirectory("certdoctor-kill-proxy")
            let module = directory.appendingPathComponent("kill-proxy.so")
            try ExternalProcess.run("/usr/bin/cc", [
                "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-I/usr/include/p11-kit-1",
                "-DPROXIED_MODULE=\"\(TestEnvironment.softHSMModule)\"",
                "-o", module.path, CLI.fixtures.appendingPathComponent("pkcs11/kill-proxy.c").path, "-ldl",
            ])
            return .success(module)
        } catch let failure as ExternalProcess.Failure {
            return .failure(failure)
        } catch {
            return .failure(ExternalProcess.Failure(command: "cc kill-proxy.c", status: -1, output: "\(error)"))
        }
    }()

    /// One CA for every round, and the token put back for each as a renewal finds it: the old pair under the gateway
    /// number (CKA_ID 01) with the CA's certificate. Each round has its own directory (PIN file, journal, call log).
    final class Scene {
        let tokens: SoftHSMTokens
        let authority: TestCertificateAuthority
        let module: URL
        let materials: URL
        var directory: URL

        init() throws {
            tokens = try SoftHSMTokens.shared.get()
            module = try TokenRenewKillTests.proxyModule.get()
            authority = try TestCertificateAuthority()
            materials = try ExternalProcess.temporaryDirectory("certdoctor-renew-kill")
            directory = materials
            let key = try PrivateKey.generate(.rsa(bits: 2048))
            let old = try authority.issue(subject: [("C", "CN"), ("O", "测试公司"), ("CN", TokenRenewKillTests.gateway)], for: key, validityDays: 10)
            try Data(authority.certificate.der).write(to: materials.appendingPathComponent("root.der"))
            try Data(old.der).write(to: materials.appendingPathComponent("old.der"))
            try Data(key.publicKeyDER).write(to: materials.appendingPathComponent("old-pub.der"))
            try key.pem(encryptedWith: "transfer").write(to: materials.appendingPathComponent("old-key.pem"), atomically: true, encoding: .utf8)
            try ExternalProcess.run("/usr/bin/openssl", [
                "pkcs8", "-topk8", "-nocrypt", "-in", materials.appendingPathComponent("old-key.pem").path, "-passin", "pass:transfer",
                "-outform", "DER", "-out", materials.appendingPathComponent("old-key.der").path,
            ])
        }

        var token: ScratchTokenTool { ScratchTokenTool(label: TokenRenewKillTests.tokenLabel, configuration: tokens.configuration) }

        /// A fresh round: its own directory, and the token holding the old pair only.
        func reset() throws {
            directory = try ExternalProcess.temporaryDirectory("certdoctor-renew-kill-round")
            try Data((SoftHSMTokens.userPIN + "\n").utf8).write(to: path("pin"))
            try token.empty()
            guard try token.objects().isEmpty else { throw ExternalProcess.Failure(command: "empty the scratch token", status: -1, output: "") }
            for (file, type) in [("old.der", "cert"), ("old-key.der", "privkey"), ("old-pub.der", "pubkey")] {
                try token.pkcs11Tool(["--write-object", materials.appendingPathComponent(file).path, "--type", type, "--id", "01",
                                      "--label", TokenRenewKillTests.gateway] + (type == "privkey" ? ["--private"] : []))
            }
        }

        func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

        /// The module loaded by certdoctor: the proxy, which changes nothing unless told to kill.
        var tokenArguments: [String] {
            ["--token", "--pkcs11-module", module.path, "--token-label", TokenRenewKillTests.tokenLabel,
             "--token-pin-file", path("pin").path, "--lang", "en"]
        }

        var environment: [String: String] {
            ["HOME": directory.path, "XDG_STATE_HOME": path("state").path, "LANG": "en_US.UTF-8",
             "SOFTHSM2_CONF": tokens.configuration.path, "PKCS11_PROXY_LOG": path("calls").path]
        }

        func renewArguments(_ server: URL) -> [String] {
            ["renew"] + tokenArguments + ["--backend", "cmp", "--ca-url", server.absoluteString, "--ca-cert",
                                          materials.appendingPathComponent("root.der").path]
        }

        func renew(_ server: URL, _ extra: [String] = [], killAt call: Int? = nil, when: String = "before",
                   removedFrom removal: Int? = nil, failingAt failure: Int? = nil) throws -> CLI.Run {
            var proxy = call.map { ["PKCS11_PROXY_KILL_AT": String($0), "PKCS11_PROXY_KILL_WHEN": when] } ?? [:]
            if let removal { proxy["PKCS11_PROXY_REMOVED_FROM"] = String(removal) }
            if let failure { proxy["PKCS11_PROXY_FAIL_AT"] = String(failure) }
            return try CLI.run(renewArguments(server) + extra, in: directory, environment: environment.merging(proxy) { $1 }, timeout: 120)
        }

        /// The changing calls the proxy saw, in order (a call a kill landed at is the last).
        func calls() throws -> [String] {
            guard FileManager.default.fileExists(atPath: path("calls").path) else { return [] }
            return try String(contentsOf: path("calls"), encoding: .utf8).split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        }

        func check() throws -> CLI.Run {
            try CLI.run(["check"] + tokenArguments + ["--format", "json"], in: directory, environment: environment)
        }

        func undo() throws -> CLI.Run {
            try CLI.run(["undo", "--token-pin-file", path("pin").path, "--lang", "en"], in: directory, environment: environment)
        }

        var journal: Journal { Journal(directory: Journal.defaultDirectory(environment)) }

        func removeRound() { try? FileManager.default.removeItem(at: directory) }
    }

    /// What pkcs11-tool shows of the renewal's objects.
    struct TokenView {
        let objects: [(kind: String, label: String, id: String)]

        func ids(_ kind: String, labelled label: String) -> [String] { objects.filter { $0.kind == kind && $0.label == label }.map(\.id) }

        /// The certificate named `<gateway>` with its private key, when there is one.
        var usableID: String? {
            guard let id = ids("Certificate", labelled: TokenRenewKillTests.gateway).first else { return nil }
            return objects.contains { $0.kind == "Private" && $0.id == id } ? id : nil
        }

        /// What must hold after any kill, as failures to report.
        var broken: [String] {
            var found: [String] = []
            for kind in ["Certificate", "Private", "Public"] where ids(kind, labelled: TokenRenewKillTests.gateway).count > 1 {
                found.append("two \(kind) objects named \(TokenRenewKillTests.gateway)")
            }
            if Set(ids("Private", labelled: TokenRenewKillTests.pending)).count > 1 { found.append("more than one pending pair") }
            if let id = ids("Certificate", labelled: TokenRenewKillTests.gateway).first, usableID == nil {
                found.append("the certificate named \(TokenRenewKillTests.gateway) (CKA_ID \(id)) has no private key")
            }
            return found
        }

        /// The old pair under the gateway number, as the renewal found it; a pending pair at most, without certificate.
        var isAsBefore: Bool {
            Set(objects.filter { $0.id == "01" }.map(\.kind)) == ["Certificate", "Private", "Public"]
                && objects.filter { $0.id == "01" }.allSatisfy { $0.label == TokenRenewKillTests.gateway }
                && objects.filter { $0.id != "01" }.allSatisfy { $0.label == TokenRenewKillTests.pending && $0.kind != "Certificate" }
        }
    }

    /// Everything asked of the token after one kill, then undo and a renewal that completes. `moment` names the kill
    /// ("killed before call 3 (…)") in failure messages. Returns what the kill left, for the test's log.
    @discardableResult
    static func recover(_ scene: Scene, server: URL, moment: String) throws -> String {
        let killed = TokenView(objects: try scene.token.objects())
        for problem in killed.broken { Issue.record("\(moment): \(problem): \(killed.objects)") }
        // The new pair the killed run made, whatever it is named now.
        let newPairID = killed.objects.first { $0.kind == "Private" && $0.id != "01" }?.id

        // check --token tells the truth about what the kill left.
        let check = try scene.check()
        let outcome = try check.outcome(of: "token.certificate")
        #expect(outcome == (killed.usableID != nil ? "pass" : "fail"), "\(moment): \(killed.objects) \(check.output)")

        // undo, when the run got as far as the journal, gives back the old names.
        let journaled = scene.journal.entries().contains { $0.state != .undone }
        if journaled {
            let undo = try scene.undo()
            #expect(undo.exitCode == 0, "\(moment): \(undo.output) \(undo.errors)")
        }
        let undone = TokenView(objects: try scene.token.objects())
        #expect(undone.isAsBefore, "\(moment), after undo: \(undone.objects)")
        #expect(try scene.check().outcome(of: "token.certificate") == "pass", "\(moment), after undo")

        // A renewal now completes, with the pair the killed run made if it made one: still one new pair.
        try? FileManager.default.removeItem(at: scene.path("calls"))
        let renew = try scene.renew(server)
        #expect(renew.exitCode == 0, "\(moment), renewing again: \(renew.output) \(renew.errors)")
        let renewed = TokenView(objects: try scene.token.objects())
        let newIDs = Set(renewed.objects.filter { $0.id != "01" }.map(\.id))
        #expect(newIDs.count == 1, "\(moment), renewed again: \(renewed.objects)")
        #expect(Set(renewed.objects.filter { $0.label == gateway }.map(\.kind)) == ["Certificate", "Private", "Public"], "\(moment): \(renewed.objects)")
        #expect(renewed.usableID != nil && renewed.usableID != "01" && renewed.broken.isEmpty, "\(moment): \(renewed.objects)")
        if let newPairID { #expect(newIDs == [newPairID], "\(moment): the killed run's pair was not the one used: \(renewed.objects)") }
        #expect(!renewed.objects.contains { $0.label == pending }, "\(moment): \(renewed.objects)")
        return "\(moment): token.certificate \(outcome ?? "-"), new pair \(newPairID == nil ? "no" : "yes"), "
            + (journaled ? "undone from the journal" : "no journal entry")
    }

    /// pcscd with the token in a virtual reader and the test CA listening, for all the rounds of a test.
    static func withStack(_ body: (Scene, URL) throws -> Void) async throws {
        let scene = try Scene()
        defer { try? FileManager.default.removeItem(at: scene.materials) }
        let stack = try await PCSCStack.start()
        defer { stack.stop() }
        try await stack.insertCard(slot: 0, atr: TestEnvironment.ePass3003ATR)
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: scene.authority), maxConnections: 1000, lifetime: 600)
        defer { listener.stop() }
        try body(scene, listener.url)
    }

    @Test func killedBeforeAndAfterEachChangeTheTokenStaysUsableAndUndoable() async throws {
        try await Self.withStack { scene, server in
            // An uninterrupted run first: the calls the kills are aimed at.
            try scene.reset()
            let whole = try scene.renew(server)
            #expect(whole.exitCode == 0, "\(whole.output) \(whole.errors)")
            let calls = try scene.calls()
            try #require(calls == Self.expectedCalls, "the renewal's changing calls: \(calls)")
            scene.removeRound()

            for call in 1...calls.count {
                for when in ["before", "after"] {
                    try scene.reset()
                    defer { scene.removeRound() }
                    let moment = "killed \(when) call \(call) (\(calls[call - 1]))"
                    let run = try scene.renew(server, killAt: call, when: when)
                    #expect(run.status == .signalled(9), "\(moment): \(run.status) \(run.output) \(run.errors)")
                    let seen = try scene.calls()
                    #expect(seen.count == call, "\(moment): the proxy saw \(seen)")
                    print(try Self.recover(scene, server: server, moment: moment))
                }
            }
        }
    }

    /// `--remove-old` ends with the old pair's three objects destroyed. Killed around one of those calls, the new
    /// certificate is in place and `check --token` passes; `undo` gives the old pair its name back while nothing of
    /// it is gone yet (killed before the first removal), and says it cannot once something is.
    @Test func killedWhileRemovingTheOldPairTheNewOneStaysInPlace() async throws {
        try await Self.withStack { scene, server in
            try scene.reset()
            let whole = try scene.renew(server, ["--remove-old"])
            #expect(whole.exitCode == 0, "\(whole.output) \(whole.errors)")
            let calls = try scene.calls()
            try #require(calls == Self.expectedCalls + Array(repeating: "C_DestroyObject", count: 3), "the renewal's changing calls: \(calls)")
            scene.removeRound()

            for call in Self.expectedCalls.count + 1...calls.count {
                for when in ["before", "after"] {
                    try scene.reset()
                    defer { scene.removeRound() }
                    let moment = "killed \(when) call \(call) (\(calls[call - 1]), --remove-old)"
                    let run = try scene.renew(server, ["--remove-old"], killAt: call, when: when)
                    #expect(run.status == .signalled(9), "\(moment): \(run.status) \(run.output) \(run.errors)")
                    let killed = TokenView(objects: try scene.token.objects())
                    #expect(killed.broken.isEmpty, "\(moment): \(killed.broken) \(killed.objects)")
                    #expect(killed.usableID.map { $0 != "01" } == true, "\(moment): the new certificate is in place: \(killed.objects)")
                    #expect(try scene.check().outcome(of: "token.certificate") == "pass", "\(moment)")

                    let oldPairWhole = Set(killed.objects.filter { $0.id == "01" }.map(\.kind)).isSuperset(of: ["Certificate", "Private"])
                    if oldPairWhole {
                        print(try Self.recover(scene, server: server, moment: moment))
                    } else {
                        let undo = try scene.undo()
                        #expect(undo.exitCode != 0 && undo.errors.contains("cannot come back"), "\(moment): \(undo.output) \(undo.errors)")
                        let after = TokenView(objects: try scene.token.objects())
                        #expect(after.usableID == killed.usableID && after.broken.isEmpty, "\(moment), after undo: \(after.objects)")
                        print("\(moment): token.certificate pass on the new certificate, undo refused: part of the old pair is gone")
                    }
                }
            }
        }
    }

    /// The token pulled out at one of the changing calls: that call and every later one answer CKR_DEVICE_REMOVED,
    /// the reverting ones included. The run ends with an error naming the step and whether it was taken back (73;
    /// the key generation's own error before anything was renamed); put back, the token is as a kill at that call
    /// leaves it, with the same promises.
    @Test func theTokenPulledOutMidwayEndsWithAClearErrorAndNothingLost() async throws {
        try await Self.withStack { scene, server in
            for call in 1...Self.expectedCalls.count {
                try scene.reset()
                defer { scene.removeRound() }
                let moment = "token removed from call \(call) (\(Self.expectedCalls[call - 1]))"
                let run = try scene.renew(server, removedFrom: call)
                #expect(run.errors.contains("CKR_DEVICE_REMOVED"), "\(moment): \(run.status) \(run.output) \(run.errors)")
                if call == 1 {
                    #expect(run.exitCode != 0 && run.exitCode != nil, "\(moment): \(run.status) \(run.errors)")
                } else {
                    let step = call == 2 ? "certificate-written" : call <= 5 ? "old-set-aside" : "new-named"
                    #expect(run.exitCode == 73 && run.errors.contains("'\(step)'"), "\(moment): \(run.status) \(run.errors)")
                    // Taken back in the run only when nothing needed it (the certificate was never written); else undo.
                    #expect(run.errors.contains(call == 2 ? "were taken back" : "run certdoctor undo"), "\(moment): \(run.errors)")
                }
                print(try Self.recover(scene, server: server, moment: moment))
            }
        }
    }

    /// A passing fault at one of the renamings (that call alone answers CKR_DEVICE_ERROR): the run takes back what it
    /// did, says so (73), and its journal entry says it too, so that `undo` has nothing of it to take back again.
    @Test func aFailedRenamingTakenBackInTheRunLeavesNothingToUndo() async throws {
        try await Self.withStack { scene, server in
            for call in 3...Self.expectedCalls.count {
                try scene.reset()
                defer { scene.removeRound() }
                let moment = "call \(call) (\(Self.expectedCalls[call - 1])) failing once"
                let run = try scene.renew(server, failingAt: call)
                #expect(run.exitCode == 73 && run.errors.contains("CKR_DEVICE_ERROR"), "\(moment): \(run.status) \(run.errors)")
                #expect(run.errors.contains("were taken back"), "\(moment): \(run.errors)")
                let entries = scene.journal.entries()
                #expect(entries.count == 1 && entries.allSatisfy { $0.state == .undone }, "\(moment): \(entries.map(\.state))")
                let undo = try scene.undo()
                #expect(undo.exitCode == 1 && undo.errors.contains("no entry to undo"), "\(moment): \(undo.output) \(undo.errors)")
                let left = TokenView(objects: try scene.token.objects())
                #expect(left.isAsBefore, "\(moment): \(left.objects)")
                print(try Self.recover(scene, server: server, moment: moment))
            }
        }
    }

    /// Kills at random moments: even rounds anywhere in the whole run, gate included; odd rounds a random moment
    /// after the first change to the token began (key generation), where the kills above are aimed.
    /// `CERTDOCTOR_KILL_SEED` repeats a failed run, whose seed the messages name.
    @Test func killedAtRandomMomentsTheTokenStaysUsableAndUndoable() async throws {
        try await Self.withStack { scene, server in
            try scene.reset()
            let started = Date()
            let whole = try scene.renew(server)
            let duration = Date().timeIntervalSince(started)
            #expect(whole.exitCode == 0, "\(whole.output) \(whole.errors)")
            scene.removeRound()

            var (random, seed) = JournalKillTests.generator()
            for round in 0..<4 {
                try scene.reset()
                defer { scene.removeRound() }
                let environment = ProcessInfo.processInfo.environment.merging(scene.environment) { $1 }
                let moment: String
                if round % 2 == 0 {
                    let delay = Double.random(in: 0...(duration * 1.1), using: &random)
                    moment = "\(delay) s into the run"
                    try JournalKillTests.killed(after: delay, scene.renewArguments(server), in: scene.directory, environment: environment)
                } else {
                    moment = "a moment after the first change began"
                    try KillRecord.killedWhileWriting(scene.renewArguments(server), in: scene.directory, environment: environment,
                                                      within: duration / 2, using: &random) {
                        FileManager.default.fileExists(atPath: scene.path("calls").path)
                    }
                }
                let calls = try scene.calls()
                print(try Self.recover(scene, server: server, moment: "round \(round), killed \(moment) of a \(duration) s run, "
                    + "\(calls.count) changing calls begun (seed \(seed))"))
            }
        }
    }
}
