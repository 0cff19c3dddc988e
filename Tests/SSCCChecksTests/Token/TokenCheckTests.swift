import CertDoctorCore
import Foundation
import SmartCard
import Testing
import TestSupport
@testable import SSCCChecks
@testable import Doctor
@testable import Renewal
@testable import SSCCProfile
@testable import CertificateTarget
@testable import WindowsTarget
@testable import TokenTarget

/// The token checks against real components: pcscd with vsmartcard's vpcd and emulated cards, SoftHSM2 and
/// OpenSC through their PKCS#11 modules. One pcscd runs per machine, so these run one at a time.
@Suite(.serialized, .enabled(if: TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root"))
struct TokenCheckTests {
    static let tokenIDs = AllChecks.token.map(\.description.id)

    static func doctor() throws -> Doctor {
        try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: TestEnvironment.repositoryRoot), pluginDirectories: [])
    }

    /// Runs `only` from a registry of the token checks, with the SSCC profile attached as a run would.
    static func run(_ environment: Environment, only: [String]) throws -> [CheckResult] {
        let registry = try CheckRegistry(AllChecks.token)
        return try Runner(timeout: 20, only: only).run(registry, in: CheckContext(environment: doctor().prepare(environment)))
    }

    /// The check and everything it depends on, so that a dependency's outcome is real, not "not selected".
    static func withDependencies(_ id: String) -> [String] {
        var result: [String] = []
        func visit(_ id: String) {
            guard !result.contains(id), let check = AllChecks.token.first(where: { $0.description.id == id }) else { return }
            check.description.dependencies.forEach(visit)
            result.append(id)
        }
        visit(id)
        return result
    }

    @Test func everyTokenCheckHasPassingAndFailingExamples() {
        for check in AllChecks.token {
            let outcomes = Set(check.description.examples.map(\.expected))
            #expect(outcomes.contains(.pass) && outcomes.contains(.fail), "\(check.description.id)")
            #expect(check.description.title.zh != check.description.title.en)
            #expect(check.description.facets == [.token])
        }
    }

    /// One virtual ePass3003 and a SoftHSM2 token with a valid gateway certificate: every token check passes.
    @Test func aHealthyHostPassesEveryTokenCheck() async throws {
        let report = try await TokenHostScenario.all["one-token"]!.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.tokenIDs)
        }
        for id in Self.tokenIDs {
            let result = try #require(report.first { $0.id == id })
            #expect(result.outcome == .pass, "\(id): \(result.message.en)")
        }
    }

    @Test func twoTokensFailOnlyTheSingleTokenRule() async throws {
        let report = try await TokenHostScenario.all["two-tokens"]!.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.tokenIDs)
        }
        let single = try #require(report.first { $0.id == "token.single" })
        #expect(single.outcome == .fail)
        #expect(single.message.en.contains("Virtual PCD 00 00") && single.message.en.contains("Virtual PCD 00 01"))
        #expect(report.first { $0.id == "token.present" }?.outcome == .pass)
    }

    @Test func withPCSCStoppedTheTokenChecksAreNotChecked() async throws {
        let report = try await TokenHostScenario.all["service-stopped"]!.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.tokenIDs)
        }
        #expect(report.first { $0.id == "pcsc.service" }?.outcome == .fail)
        for id in ["token.present", "token.single", "token.certificate", "token.room"] {
            #expect(report.first { $0.id == id }?.outcome == .notchecked, "\(id)")
        }
    }

    @Test func aTokenPluggedInWithoutDriverReadsDifferentlyFromNoToken() async throws {
        let plugged = try await TokenHostScenario.all["plugged-no-driver"]!.run(gateway: nil) { environment in
            try Self.run(environment, only: ["pcsc.service", "token.present"])
        }
        let absent = try await TokenHostScenario.all["no-token"]!.run(gateway: nil) { environment in
            try Self.run(environment, only: ["pcsc.service", "token.present"])
        }
        let pluggedResult = try #require(plugged.first { $0.id == "token.present" })
        let absentResult = try #require(absent.first { $0.id == "token.present" })
        #expect(pluggedResult.message.en.contains("plugged in (096E:0703)"))
        #expect(pluggedResult.evidence.contains { $0.name == "usbDevice" && $0.value.contains("096E:0703") })
        #expect(absentResult.message.en.contains("no token is plugged in"))
    }

    /// Each bad certificate fails for its own reason, so the person knows what to ask SSCC for. A missing key is
    /// only a finding after login: SoftHSM, like the ePass3003, hides private keys until then.
    @Test(arguments: [
        ("certificate-hash0", nil, "ending with '#0'"),
        ("certificate-no-key", SoftHSMTokens.userPIN, "has no private key"),
        ("certificate-expired", nil, "is not valid now"),
    ])
    func certificateFailuresSayWhy(scenario: String, pin: String?, reason: String) async throws {
        let results = try await TokenHostScenario.all[scenario]!.run(gateway: "F000504Y0007", pin: pin) { environment in
            try Self.run(environment, only: Self.withDependencies("token.certificate"))
        }
        let result = try #require(results.first { $0.id == "token.certificate" })
        #expect(result.outcome == .fail)
        #expect(result.message.en.contains(reason), "\(result.message.en)")
    }

    /// A renewal killed between its two renamings leaves no certificate named by the gateway: the way back is
    /// `undo`, and telling the person to insert the right token would send them looking for another one.
    @Test func aRenewalStoppedBetweenItsRenamingsPointsAtUndo() async throws {
        let results = try await TokenHostScenario.all["interrupted-renewal"]!.run(gateway: "F000504Y0007", pin: SoftHSMTokens.userPIN) {
            try Self.run($0, only: Self.withDependencies("token.certificate"))
        }
        let result = try #require(results.first { $0.id == "token.certificate" })
        #expect(result.outcome == .fail)
        #expect(result.message.en.contains("F000504Y0007.old-0A1B, F000504Y0007.pending"), "\(result.message.en)")
        #expect(result.remedy?.en.contains("certdoctor undo") == true, "\(result.remedy?.en ?? "no remedy")")
        #expect(result.remedy?.zh.contains("certdoctor undo") == true)
        #expect(result.remedy?.en.contains("Insert the token") == false)
    }

    /// A key marked private (CKA_PRIVATE) with no public half on the token is invisible before login. Without a
    /// PIN that is "not checked: give --token-pin-file", never "no private key (E6)"; with the PIN the check logs
    /// in, finds the key and passes.
    @Test func aKeyHiddenUntilLoginIsAskedForNotReportedMissing() async throws {
        let scenario = try #require(TokenHostScenario.all["certificate-private-key"])
        let withoutPIN = try await scenario.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.withDependencies("token.certificate"))
        }
        let hidden = try #require(withoutPIN.first { $0.id == "token.certificate" })
        #expect(hidden.outcome == .notchecked, "\(hidden.message.en)")
        #expect(hidden.message.en.contains("give the PIN with --token-pin-file"), "\(hidden.message.en)")
        #expect(hidden.message.zh.contains("--token-pin-file"))
        #expect(!hidden.message.en.contains("E6") && !hidden.message.en.contains("no private key"))
        #expect(hidden.evidence.contains { $0.name == "key" && $0.value == "not visible without login" })

        let withPIN = try await scenario.run(gateway: "F000504Y0007", pin: SoftHSMTokens.userPIN) { environment in
            try Self.run(environment, only: Self.withDependencies("token.certificate"))
        }
        let found = try #require(withPIN.first { $0.id == "token.certificate" })
        #expect(found.outcome == .pass, "\(found.message.en)")
        #expect(found.evidence.contains { $0.name == "key" && $0.value == "private key with the certificate's CKA_ID" })
        #expect(!found.evidence.contains { $0.value == SoftHSMTokens.userPIN })
    }

    /// A card in the reader that the module answers CKR_TOKEN_NOT_RECOGNIZED for (OpenSC, which has no driver for
    /// the virtual card) is named as another vendor's card or module, not "the module shows no token". The check
    /// is evaluated on its own: with OpenSC configured, `driver.token` already fails it as another vendor's module.
    @Test func anUnrecognisedCardIsNamedAsAnotherVendorsCardOrModule() async throws {
        let finding = try await TokenHostScenario.all["unrecognised-card"]!.run(gateway: "F000504Y0007") { environment in
            try TokenCertificateCheck().evaluate(CheckContext(environment: try Self.doctor().prepare(environment)))
        }
        #expect(finding.outcome == .fail, "\(finding.message.en)")
        #expect(finding.message.en.contains("likely another vendor's card, or a PKCS#11 module for another vendor's token"), "\(finding.message.en)")
        #expect(finding.remedy?.en.contains("Feitian ePass3003 PKCS#11 module") == true)
        #expect(finding.evidence.contains { $0.name == "unrecognisedToken" && $0.value.contains("Virtual PCD 00 00") })
    }

    /// Like `cert.validity`: a token certificate with 11 days left works today and passes, but the message says
    /// when it expires and to renew now; one with a year left says only how long.
    @Test func insideTheRenewalWindowTheTokenCertificatePassesButSaysRenewNow() async throws {
        let expiring = try await TokenHostScenario.all["certificate-expiring"]!.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.withDependencies("token.certificate"))
        }
        let result = try #require(expiring.first { $0.id == "token.certificate" })
        #expect(result.outcome == .pass, "\(result.message.en)")
        #expect(result.message.en.contains(/expires in 11 days \(\d{4}-\d{2}-\d{2}\): renew now$/), "\(result.message.en)")
        #expect(result.message.zh.contains(/11 天后（\d{4}-\d{2}-\d{2}）到期：请立即更新$/), "\(result.message.zh)")

        let healthy = try await TokenHostScenario.all["one-token"]!.run(gateway: "F000504Y0007") { environment in
            try Self.run(environment, only: Self.withDependencies("token.certificate"))
        }
        let calm = try #require(healthy.first { $0.id == "token.certificate" })
        #expect(calm.outcome == .pass)
        #expect(!calm.message.en.contains("renew now"), "\(calm.message.en)")
    }

    /// Firefox told to load another vendor's module for the token is E3's wrong driver too; the fix
    /// replaces that entry with the vendor's module. (The test's database names SoftHSM2 as the vendor's.)
    @Test func aForeignModuleInFirefoxsPolicyIsReplaced() async throws {
        let scratch = try ExternalProcess.temporaryDirectory("certdoctor-firefox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let database = try Self.databaseWithSoftHSMAsVendorModule(in: scratch)
        let policy = scratch.appendingPathComponent("policies.json")
        try #"{"policies": {"SecurityDevices": {"Add": {"Mingwah eKey": "\#(TestEnvironment.openSCModule)"}}}}"#
            .write(to: policy, atomically: true, encoding: .utf8)
        var environment = Environment.targets(tokenRequested: true, language: .en)
        environment.tokenOptions = TokenOptions(tokenDatabase: database, driversDirectory: scratch.path, sysfsRoot: scratch.path, firefoxPolicyFile: policy)
        let context = CheckContext(environment: try Self.doctor().prepare(environment))
        let finding = try TokenDriverCheck().evaluate(context)
        #expect(finding.outcome == .fail)
        #expect(finding.evidence.contains { $0.name == "pkcs11Module" && $0.value == TestEnvironment.openSCModule })
        let plan = try #require(try TokenDriverCheck().planFix(for: finding, in: context))
        for step in plan.steps { try step.apply(DirectWriter()) }
        let devices = try #require(
            ((try JSONSerialization.jsonObject(with: Data(contentsOf: policy)) as? [String: Any])?["policies"] as? [String: Any])?["SecurityDevices"] as? [String: Any])
        #expect(devices["Add"] as? [String: String] == ["Feitian ePass3003": TestEnvironment.softHSMModule])
        #expect(devices["Delete"] as? [String] == ["Mingwah eKey"])
        #expect(try TokenDriverCheck().evaluate(CheckContext(environment: try Self.doctor().prepare(environment))).outcome == .pass)
    }

    static func databaseWithSoftHSMAsVendorModule(in scratch: URL) throws -> URL {
        let database = scratch.appendingPathComponent("tokens.json")
        let real = try String(contentsOf: TestEnvironment.tokenProfile, encoding: .utf8)
        try real.replacingOccurrences(of: "\"/opt/SecurityData_Linux/redist/x86_64/libshuttle_p11v220.so.1.0.0\"", with: "\"\(TestEnvironment.softHSMModule)\"")
            .write(to: database, atomically: true, encoding: .utf8)
        return database
    }

    /// The fix starts pcscd when it is installed and stopped; the check then passes.
    @Test func theServiceFixStartsPCSCD() async throws {
        try await PCSCStack.withoutService {
            let configuration = try ExternalProcess.temporaryDirectory(PCSCStack.statePrefix)
            defer {
                PCSCStack.stopStartedByTests()
                try? FileManager.default.removeItem(at: configuration)
            }
            var environment = Environment.targets(tokenRequested: true, language: .en)
            environment.tokenOptions = TokenOptions(
                tokenDatabase: TestEnvironment.tokenProfile, pcscdStartCommand: ["/usr/sbin/pcscd", "-c", configuration.path])
            let doctor = try Self.doctor()
            let context = CheckContext(environment: doctor.prepare(environment))
            let check = PCSCServiceCheck()
            let before = try check.evaluate(context)
            #expect(before.outcome == .fail)
            let plan = try #require(try check.planFix(for: before, in: context))
            #expect(plan.steps.first?.description.en == "run: /usr/sbin/pcscd -c \(configuration.path)")
            for step in plan.steps { try step.apply(UnusedWriter()) }
            let after = try check.evaluate(CheckContext(environment: doctor.prepare(environment)))
            #expect(after.outcome == .pass, "\(after.message.en)")
        }
    }

    /// A wrong vendor's module configured for the token: the fix points Firefox at the vendor's module.
    /// (This host has no Feitian middleware, so the test's database names SoftHSM2 as the vendor's module.)
    @Test func theDriverFixWritesFirefoxsSecurityDevicesPolicy() async throws {
        let scratch = try ExternalProcess.temporaryDirectory("certdoctor-firefox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let database = try Self.databaseWithSoftHSMAsVendorModule(in: scratch)
        let policy = scratch.appendingPathComponent("policies.json")
        try #"{"policies": {"DisableTelemetry": true}}"#.write(to: policy, atomically: true, encoding: .utf8)

        var environment = Environment.targets(tokenRequested: true, language: .en)
        environment.tokenOptions = TokenOptions(
            pkcs11Module: TestEnvironment.openSCModule, tokenDatabase: database,
            driversDirectory: scratch.path, sysfsRoot: scratch.path, firefoxPolicyFile: policy)
        let context = CheckContext(environment: try Self.doctor().prepare(environment))
        let check = TokenDriverCheck()
        let finding = try check.evaluate(context)
        #expect(finding.outcome == .fail)
        #expect(finding.message.en.contains("OpenSC's, not Feitian's"))
        let plan = try #require(try check.planFix(for: finding, in: context))
        #expect(plan.touchedFiles == [policy])
        let writer = DirectWriter()
        for step in plan.steps { try step.apply(writer) }
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: policy)) as? [String: Any])
        let policies = try #require(written["policies"] as? [String: Any])
        #expect(policies["DisableTelemetry"] as? Bool == true)
        let add = (policies["SecurityDevices"] as? [String: Any])?["Add"] as? [String: String]
        #expect(add == ["Feitian ePass3003": TestEnvironment.softHSMModule])
        // Firefox runs as the user: the policy root writes must be readable by everyone.
        #expect(try FileManager.default.attributesOfItem(atPath: policy.path)[.posixPermissions] as? Int == 0o644)
    }
}

/// The service fix writes no file; a write would be a bug.
private struct UnusedWriter: FileWriter {
    func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws { Issue.record("unexpected write to \(url.path)") }
    func remove(_ url: URL) throws { Issue.record("unexpected removal of \(url.path)") }
}

/// Writes straight to the file: the journal is the foundation's and has its own tests.
private struct DirectWriter: FileWriter {
    func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws {
        try Data(bytes).write(to: url)
        chmod(url.path, newFileMode)
    }
    func remove(_ url: URL) throws { try FileManager.default.removeItem(at: url) }
}

/// CKR_TOKEN_NOT_RECOGNIZED from `C_GetTokenInfo` is kept on the slot and turned into its likely cause and remedy.
@Suite struct UnrecognisedTokenMessageTests {
    static func slot(code: UInt) -> PKCS11Slot {
        PKCS11Slot(id: 0, description: "Virtual PCD 00 00", manufacturer: "OpenSC Project", token: nil,
                   tokenError: .call(function: "C_GetTokenInfo", code: code))
    }

    @Test func anUnrecognisedTokenNamesTheLikelyCauseAndTheRemedy() {
        let slot = Self.slot(code: 0xE1)
        #expect(slot.tokenNotRecognized)
        let message = UnrecognisedToken.message(slot)
        #expect(message.en.contains("'Virtual PCD 00 00'"))
        #expect(message.en.contains("likely another vendor's card, or a PKCS#11 module for another vendor's token"))
        #expect(message.zh.contains("可能是其他厂商的卡，或配置的是其他厂商令牌的 PKCS#11 模块"))
        #expect(UnrecognisedToken.remedy.en.contains("use the Feitian ePass3003 PKCS#11 module"))
        #expect(UnrecognisedToken.remedy.zh.contains("飞天 ePass3003 的 PKCS#11 模块"))
    }

    /// Another C_GetTokenInfo failure (a device error) is not blamed on the vendor.
    @Test func otherTokenErrorsAreNotCalledUnrecognised() {
        #expect(!Self.slot(code: 0x30).tokenNotRecognized)
        #expect(!PKCS11Slot(id: 0, description: "", manufacturer: "", token: nil).tokenNotRecognized)
    }
}
