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
import TestSupport

/// Runs the examples of every Windows-side check: each fixture is imported into a real Wine prefix
/// (`target: prefix`) or given as exported registry files (`target: registry`).
@Suite(.serialized) struct WindowsCheckExampleTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    struct Case: CustomTestStringConvertible, Sendable {
        var checkID: String
        var example: CheckExample
        var testDescription: String { "\(checkID) ← \(example.fixture) \(example.options) → \(example.expected)" }
    }

    /// The shipped profile: the ActiveX checks are the ones its controls make.
    static let profile: SSCCProfile? = try? ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: repository)).0

    static let checks: [any Check] = profile.flatMap {
        try? Doctor.windowsSideChecks(profile: $0, dataDirectory: DataDirectory(root: repository))
    } ?? []

    static let cases: [Case] = checks.flatMap { check in
        check.description.examples.map { Case(checkID: check.description.id, example: $0) }
    }

    static func doctor() throws -> Doctor {
        try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: repository), pluginDirectories: [])
    }

    /// A fixture file, or every file below a fixture directory, in a stable order.
    static func files(of fixture: String) -> [URL] {
        let url = fixtures.appendingPathComponent(fixture)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else { return [url] }
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
        let all = (enumerator?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath }
        return all.sorted { $0.path < $1.path }
    }

    static func run(_ checkID: String, environment: Environment) throws -> CheckResult {
        let doctor = try doctor()
        let registry = try CheckRegistry(
            try Doctor.windowsSideChecks(profile: doctor.profile, dataDirectory: DataDirectory(root: repository)))
        let context = CheckContext(environment: doctor.prepare(environment))
        let results = try Runner(only: [checkID]).run(registry, in: context)
        return try #require(results.first { $0.id == checkID })
    }

    @Test(arguments: cases)
    func exampleGivesItsOutcome(_ testCase: Case) throws {
        let example = testCase.example
        let files = Self.files(of: example.fixture)
        let result: CheckResult
        if example.options["target"] == "prefix" {
            guard WineTestPrefix.wineIsInstalled else {
                Issue.record("wine is not installed (apt-get install wine wine64)")
                return
            }
            result = try WineTestPrefix.windows.withPrefix { prefix in
                try WineTestPrefix.windows.importFiles(files)
                let copied = try WineTestPrefix.windows.copyDriveFiles(of: Self.fixtures.appendingPathComponent(example.fixture))
                defer { for file in copied { try? FileManager.default.removeItem(at: file) } }
                var environment = Environment(
                    gateway: example.options["gateway"], winePrefix: prefix, tokenRequested: example.options["token"] == "yes", language: .en)
                environment.tokenATR = example.options["atr"].map(Self.bytes(hex:))
                return try Self.run(testCase.checkID, environment: environment)
            }
        } else if example.options["target"] == "linux" {
            var environment = Environment(browsers: example.options["browser"].map { [$0] } ?? [], language: .en)
            environment.browserPolicyRoot = Self.fixtures.appendingPathComponent(example.fixture)
            result = try Self.run(testCase.checkID, environment: environment)
        } else {
            let environment = Environment(
                gateway: example.options["gateway"], registryFiles: files, registryHive: example.options["hive"], language: .en)
            result = try Self.run(testCase.checkID, environment: environment)
        }
        #expect(
            result.outcome == example.expected,
            "\(result.message.en) | \(result.evidence.map { "\($0.name)=\($0.value)" })",
            sourceLocation: SourceLocation(fileID: example.file, filePath: example.file, line: example.line, column: 1))
    }

    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count - 1, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    @Test func everyWindowsCheckHasPassingAndFailingExamplesAndIsBilingual() throws {
        let profile = try #require(Self.profile, "the shipped profile loads")
        #expect(Self.checks.count > AllChecks.windowsSide(profile).count, "the shipped manifests load")
        for check in Self.checks {
            let description = check.description
            let outcomes = Set(description.examples.map(\.expected))
            #expect(outcomes.contains(.pass), "\(description.id) has no passing example")
            #expect(outcomes.contains(.fail), "\(description.id) has no failing example")
            #expect(!description.title.zh.isEmpty && description.title.zh != description.title.en)
            #expect(!description.requirements.isEmpty)
        }
    }
}
