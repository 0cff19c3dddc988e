import CertDoctorCore
import Foundation
@testable import SSCCChecks
import SSCCProfile
import Testing

/// `AllChecks.builtIn` is the one list of Swift checks; this proves it complete from the sources, as
/// swift-format generates its rule registry from the rule types it finds.
@Suite struct AllChecksTests {
    static let checksDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/SSCCChecks")

    /// The shipped profile, whose controls make the ActiveX checks.
    static func profile() throws -> SSCCProfile {
        try ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: checksDirectory.deletingLastPathComponent().deletingLastPathComponent())).0
    }

    /// The names of the types declared `…: Check` in the module's files.
    static func declaredCheckTypes() throws -> Set<String> {
        let files = FileManager.default.enumerator(atPath: checksDirectory.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") } ?? []
        let declaration = #/(?:struct|final class|enum)\s+(\w+)\s*:\s*(?:[\w.]+\s*,\s*)*Check\b/#
        var names: Set<String> = []
        for file in files {
            let text = try String(contentsOf: checksDirectory.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: declaration) { names.insert(String(match.1)) }
        }
        return names
    }

    @Test func everyCheckTypeIsInTheList() throws {
        let declared = try Self.declaredCheckTypes()
        #expect(declared.count >= 15, "the scan found the check types: \(declared.sorted())")
        let listed = Set(AllChecks.builtIn(try Self.profile()).map { String(describing: type(of: $0)) })
        // RegistrySettingCheck is the declarative checks' type: the manifests make its instances.
        let missing = declared.subtracting(listed).subtracting(["RegistrySettingCheck"])
        #expect(missing.isEmpty, "Check types not in AllChecks.builtIn: \(missing.sorted())")
    }

    @Test func everyCheckFileIsACheckFile() throws {
        let files = FileManager.default.enumerator(atPath: Self.checksDirectory.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") } ?? []
        let others = files.filter { !$0.hasSuffix("Check.swift") }.map { ($0 as NSString).lastPathComponent }
        #expect(Set(others) == ["AllChecks.swift", "CheckExamples.swift"], "SSCCChecks holds only checks: \(others.sorted())")
    }

    @Test func theListHasNoDuplicateIDs() throws {
        let profile = try Self.profile()
        let ids = AllChecks.builtIn(profile).map(\.description.id)
        #expect(Set(ids).count == ids.count)
        #expect(AllChecks.certificate.count + AllChecks.token.count + AllChecks.windowsSide(profile).count + AllChecks.host.count == ids.count)
    }
}
