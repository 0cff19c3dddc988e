import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Doctor
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing
import TestSupport

/// Every registered check's examples are tests (SwiftLint's model): adding a check with examples adds its tests.
/// This is the one place that runs them. Each kind of example target is set up for real — a PFX file, a fresh Wine
/// prefix, exported registry files, a directory standing for `/`, a token host with pcscd and virtual cards — and
/// the switch over the kinds is exhaustive, so an example cannot go unrun or run without the inputs it names.
/// One Wine prefix and one pcscd serve the whole suite, so the examples run one at a time.
@Suite(.serialized) struct ExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    struct Case: CustomTestStringConvertible, Sendable {
        var checkID: String
        var example: CheckExample
        var testDescription: String { "\(checkID) ← \(example.fixture) [\(example.target)] → \(example.expected)" }
    }

    static func doctor() throws -> Doctor {
        try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: repository), pluginDirectories: [])
    }

    /// Every check the doctor registers: the built-in ones, one per ActiveX control of the shipped profile, and
    /// the shipped manifests' checks.
    static let checks: [any Check] = (try? doctor().registry.checks) ?? []

    static let cases: [Case] = checks.flatMap { check in
        check.description.examples.map { Case(checkID: check.description.id, example: $0) }
    }

    @Test(arguments: cases)
    func exampleGivesItsOutcome(_ testCase: Case) async throws {
        let example = testCase.example
        guard let target = example.target as? SSCCExampleTarget else {
            Issue.record("\(testCase.checkID): no way to run an example of kind \(type(of: example.target))")
            return
        }
        let result: CheckResult
        switch target {
        case .pfx(let password, let gateway):
            var environment = Environment.targets(
                pfxFile: Self.fixtures.appendingPathComponent(example.fixture), pfxPassword: password.map(Secret.init),
                gateway: gateway)
            environment.language = .en
            let report = try Self.doctor().check(environment, runner: Runner(only: [testCase.checkID]))
            result = try #require(report.results.first { $0.id == testCase.checkID })
        case .winePrefix(let token, let atr):
            try #require(WineTestPrefix.wineIsInstalled, "wine is not installed (apt-get install wine wine64)")
            let files = WindowsCheckExampleTests.files(of: example.fixture)
            result = try WineTestPrefix.windows.withPrefix { prefix in
                try WineTestPrefix.windows.importFiles(files)
                let copied = try WineTestPrefix.windows.copyDriveFiles(of: Self.fixtures.appendingPathComponent(example.fixture))
                defer { for file in copied { try? FileManager.default.removeItem(at: file) } }
                var environment = Environment.targets(winePrefix: prefix, tokenRequested: token)
                environment.tokenATR = atr.map(WindowsCheckExampleTests.bytes(hex:))
                return try WindowsCheckExampleTests.run(testCase.checkID, environment: environment)
            }
        case .exported(let hive, let gateway):
            let environment = Environment.targets(
                gateway: gateway, registryFiles: WindowsCheckExampleTests.files(of: example.fixture), registryHive: hive)
            result = try WindowsCheckExampleTests.run(testCase.checkID, environment: environment)
        case .linux(let browser):
            var environment = Environment.targets(browsers: browser.map { [$0] } ?? [])
            environment.browserPolicyRoot = Self.fixtures.appendingPathComponent(example.fixture)
            result = try WindowsCheckExampleTests.run(testCase.checkID, environment: environment)
        case .tokenScenario(let gateway, let pin):
            try #require(TestEnvironment.isRoot, "pcscd needs root to create /run/pcscd; run the tests as root")
            let scenario = try #require(TokenHostScenario.named(example.fixture), "unknown scenario \(example.fixture)")
            let results = try await scenario.run(gateway: gateway, pin: pin) { environment in
                try TokenCheckTests.run(environment, only: TokenCheckTests.withDependencies(testCase.checkID))
            }
            result = try #require(results.first { $0.id == testCase.checkID })
        }
        #expect(
            result.outcome == example.expected,
            "\(result.message.en) | \(result.evidence.map { "\($0.name)=\($0.value)" })",
            sourceLocation: SourceLocation(fileID: example.file, filePath: example.file, line: example.line, column: 1))
    }

    /// A check without examples is a check nobody has seen pass or fail.
    @Test func everyRegisteredCheckHasAPassingExampleAndOneThatDoesNot() throws {
        let registered = try Self.doctor().registry.checks
        #expect(registered.count >= 20, "the doctor registers the built-in and manifest checks")
        for check in registered {
            let outcomes = Set(check.description.examples.map(\.expected))
            #expect(outcomes.contains(.pass), "\(check.description.id) has no passing example")
            #expect(outcomes.contains { $0 != .pass }, "\(check.description.id) has no example that does not pass")
        }
        #expect(Self.cases.count == registered.map(\.description.examples.count).reduce(0, +))
    }
}
