import CertDoctorCore
@testable import Doctor
import Foundation
import Testing

/// The host facts a report carries about the Wine prefix.
@Suite struct HostFactsTests {
    /// The prefix's architecture comes from the `#arch=` line of `system.reg`'s header, read without the rest of
    /// the file (megabytes in a real prefix); a header without the line gives no fact rather than a guess.
    @Test(arguments: [("#arch=win32\n", "win32"), ("#arch=win64\n", "win64"), ("", nil)] as [(String, String?)])
    func thePrefixArchitectureIsReadFromTheHiveHeader(line: String, arch: String?) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wine"), "wine is installed by the test set-up")
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-host-facts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: prefix) }
        let filler = String(repeating: "[Software\\\\Filler] 1700000000\n\"Value\"=\"#arch=not-the-header\"\n", count: 20_000)
        let hive = "WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n\(line)\n" + filler
        try Data(hive.utf8).write(to: prefix.appendingPathComponent("system.reg"))
        let facts = Doctor.hostFacts(for: .targets(winePrefix: prefix))
        #expect(facts.versions["wine-prefix-arch"] == arch)
        #expect(facts.versions["wine"]?.hasPrefix("wine-") == true)
    }

    /// A run asks for its host facts as it begins, on another thread, and its report takes them once: what the
    /// probe found is what asking then would give, a second report asks again, and a probe begun anew replaces one
    /// not taken (a probe found once is not kept for runs to come, whose prefix header may have changed).
    @Test func theFactsAskedAsARunBeginsAreTakenOnceByItsReport() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wine"), "wine is installed by the test set-up")
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-host-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: prefix) }
        let system = prefix.appendingPathComponent("system.reg")
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win32\n".utf8).write(to: system)
        let environment = Environment.targets(winePrefix: prefix)
        let probe = HostFactsProbe()
        probe.start(for: environment)
        probe.start(for: environment)
        let first = probe.facts(for: environment)
        #expect(first.versions["wine-prefix-arch"] == "win32")
        #expect(first.versions["wine"] == Doctor.hostFacts(for: environment).versions["wine"])
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win64\n".utf8).write(to: system)
        #expect(probe.facts(for: environment).versions["wine-prefix-arch"] == "win64", "the first probe was taken")
        probe.start(for: environment)
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win32\n".utf8).write(to: system)
        probe.start(for: environment)
        #expect(probe.facts(for: environment).versions["wine-prefix-arch"] == "win32", "a probe not taken is replaced")
    }
}
