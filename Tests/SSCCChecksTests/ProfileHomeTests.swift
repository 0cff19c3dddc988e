import CertDoctorCore
import Foundation
import SSCCProfile
import Testing

/// The SSCC facts have one home: the profile data `Checks/profiles/sscc.json`, which the SSCCProfile module
/// loads. A support number or class id spelt out in the code or in the report's schema and stylesheet would be
/// a second home that drifts from the first when the manual changes.
@Suite struct ProfileHomeTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The support number and every control's class id (without braces, so that `{…}` and bare spellings count).
    static func facts() throws -> [String] {
        let (profile, _) = try ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: repository))
        return [profile.support.phone] + profile.activeXControls.map { $0.clsid.trimmingCharacters(in: CharacterSet(charactersIn: "{}")) }
    }

    /// The files below `directory` (relative to the repository) that spell one of `facts`, case-insensitively.
    static func files(under directory: String, spelling facts: [String]) throws -> (scanned: Int, found: [String: [String]]) {
        let root = repository.appendingPathComponent(directory)
        let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        var scanned = 0
        var found: [String: [String]] = [:]
        for path in paths {
            let url = root.appendingPathComponent(path)
            guard !url.hasDirectoryPath, let data = FileManager.default.contents(atPath: url.path) else { continue }
            scanned += 1
            let text = String(decoding: data, as: UTF8.self).lowercased()
            for fact in facts where text.contains(fact.lowercased()) {
                found[fact, default: []].append("\(directory)/\(path)")
            }
        }
        return (scanned, found)
    }

    @Test func theSupportNumberAndClassIDsAreSpeltOnlyInTheProfile() throws {
        let facts = try Self.facts()
        #expect(facts.count == 4, "the support number and three class ids: \(facts)")
        var outside: [String] = []
        for directory in ["Sources", "Reports"] {
            let (scanned, found) = try Self.files(under: directory, spelling: facts)
            #expect(scanned > (directory == "Sources" ? 100 : 2), "\(directory): the scan read the files")
            outside += found.values.joined().filter { !$0.hasPrefix("Sources/SSCCProfile/") }
        }
        #expect(outside.isEmpty, "SSCC facts outside the profile: \(Set(outside).sorted())")
    }

    /// The same scan finds every fact in the profile data itself, so an empty result above means absence.
    @Test func theScanFindsTheFactsInTheirHome() throws {
        let facts = try Self.facts()
        let (_, found) = try Self.files(under: "Checks/profiles", spelling: facts)
        #expect(Set(found.keys) == Set(facts))
        #expect(found.values.allSatisfy { $0 == ["Checks/profiles/sscc.json"] })
    }
}
