import CertDoctorCore
import Foundation
import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing

/// Every registered check's examples are tests (SwiftLint's model): adding a check with examples adds its tests.
@Suite struct CheckExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    struct Case: CustomTestStringConvertible, Sendable {
        var checkID: String
        var example: CheckExample
        var testDescription: String { "\(checkID) ← \(example.fixture) \(example.options) → \(example.expected)" }
    }

    /// The host checks' fixtures are PFX files too: the free-space check measures the disk the file is on.
    /// Token checks' examples name scenarios with a real pcscd and virtual cards; `TokenCheckTests` runs them.
    static let cases: [Case] = (AllChecks.certificate + AllChecks.host).flatMap { check in
        check.description.examples.map { Case(checkID: check.description.id, example: $0) }
    }

    static func doctor() throws -> Doctor {
        try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: repository), pluginDirectories: [])
    }

    @Test(arguments: cases)
    func exampleGivesItsOutcome(_ testCase: Case) throws {
        let example = testCase.example
        var environment = Environment(language: .en)
        environment.pfxFile = Self.fixtures.appendingPathComponent(example.fixture)
        environment.pfxPassword = example.options["password"].map(Secret.init)
        environment.gateway = example.options["gateway"]
        let report = try Self.doctor().check(environment, runner: Runner(only: [testCase.checkID]))
        let result = try #require(report.results.first { $0.id == testCase.checkID })
        #expect(
            result.outcome == example.expected,
            "\(result.message.en)",
            sourceLocation: SourceLocation(fileID: example.file, filePath: example.file, line: example.line, column: 1))
    }

    @Test func everyBuiltInCheckHasPassingAndFailingExamples() {
        for check in (AllChecks.certificate + AllChecks.token) {
            let outcomes = Set(check.description.examples.map(\.expected))
            #expect(outcomes.contains(.pass), "\(check.description.id) has no passing example")
            #expect(outcomes.contains(.fail), "\(check.description.id) has no failing example")
        }
    }

    @Test func everyCheckIsBilingualAndTracedToRequirements() {
        for check in (AllChecks.certificate + AllChecks.token + AllChecks.host) {
            let description = check.description
            #expect(!description.title.zh.isEmpty && !description.title.en.isEmpty && description.title.zh != description.title.en)
            #expect(!description.summary.zh.isEmpty && !description.summary.en.isEmpty)
            #expect(!description.requirements.isEmpty, "\(description.id) covers no requirement")
            for requirement in description.requirements {
                #expect(requirement.wholeMatch(of: /[RE][0-9]+/) != nil, "\(description.id): \(requirement)")
            }
        }
    }
}
