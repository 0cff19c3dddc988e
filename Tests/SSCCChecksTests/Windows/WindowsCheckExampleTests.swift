import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing
import TestSupport

/// The Windows-side checks' descriptions, and how `ExampleTests` gives them their fixtures: imported into a real
/// Wine prefix, or as exported registry files.
@Suite(.serialized) struct WindowsCheckExampleTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    /// The shipped profile: the ActiveX checks are the ones its controls make.
    static let profile: SSCCProfile? = try? ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: repository)).0

    static let checks: [any Check] = profile.flatMap {
        try? Doctor.windowsSideChecks(profile: $0, dataDirectory: DataDirectory(root: repository))
    } ?? []

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
