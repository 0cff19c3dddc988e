import CertDoctorCore
import Foundation
import SSCCProfile
import Testing
import WindowsTarget

/// Where an installed or a checked-out certdoctor finds its data and its Win32 helper, on trees made in a
/// temporary directory: a checkout, a prefix installation, and a place with nothing in it.
@Suite struct DataDirectoryTests {
    let base: URL
    /// Stands in for /usr/share/certdoctor, so that the machine's own installation cannot answer.
    let system: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-data-\(UUID().uuidString)")
            .resolvingSymlinksInPath()
        system = base.appendingPathComponent("system/share/certdoctor")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    }

    func makeData(at directory: URL) throws {
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("Checks/profiles"), withIntermediateDirectories: true)
    }

    func directory(_ path: String) throws -> URL {
        let url = base.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aCheckoutAboveTheExecutableIsFound() throws {
        let checkout = try directory("checkout")
        try makeData(at: checkout)
        let executable = try directory("checkout/.build/debug").appendingPathComponent("certdoctor")
        let found = try DataDirectory.locate(environment: [:], executable: executable, workingDirectory: try directory("elsewhere"), system: system)
        #expect(found.root.path == checkout.path)
    }

    @Test func anInstallationFindsShareBesideItsBinDirectory() throws {
        try makeData(at: base.appendingPathComponent("prefix/share/certdoctor"))
        try makeData(at: system)
        let executable = try directory("prefix/bin").appendingPathComponent("certdoctor")
        let found = try DataDirectory.locate(environment: [:], executable: executable, workingDirectory: try directory("elsewhere"), system: system)
        #expect(found.root.path == base.appendingPathComponent("prefix/share/certdoctor").path)
    }

    @Test func theSystemDirectoryIsTheLastPlace() throws {
        try makeData(at: system)
        let executable = try directory("prefix/bin").appendingPathComponent("certdoctor")
        let found = try DataDirectory.locate(environment: [:], executable: executable, workingDirectory: try directory("elsewhere"), system: system)
        #expect(found.root.path == system.path)
    }

    @Test func nothingFoundNamesEveryPlaceLookedInBothLanguages() throws {
        let executable = try directory("prefix/bin").appendingPathComponent("certdoctor")
        let working = try directory("work")
        do {
            let found = try DataDirectory.locate(environment: [:], executable: executable, workingDirectory: working, system: system)
            Issue.record("found data at \(found.root.path) in an empty tree")
        } catch {
            let places = [
                base.appendingPathComponent("prefix/bin").path, base.appendingPathComponent("prefix").path, base.path, working.path,
                base.appendingPathComponent("prefix/share/certdoctor").path, system.path,
            ]
            for place in places {
                #expect(error.searched.contains(place), "\(place) not in \(error.searched)")
            }
            #expect(error.localizedMessage.en.contains("looked in: " + error.searched.joined(separator: ", ")))
            #expect(error.localizedMessage.zh.contains("查找过：" + error.searched.joined(separator: ", ")))
            #expect(error.ending == .noInput)
        }
    }

    @Test func theEnvironmentVariableIsTheOnlyPlaceWhenSet() throws {
        let checkout = try directory("checkout")
        try makeData(at: checkout)
        let executable = checkout.appendingPathComponent("certdoctor")
        let named = try directory("named")
        try makeData(at: named)
        let found = try DataDirectory.locate(
            environment: ["CERTDOCTOR_DATA_DIR": named.path], executable: executable, workingDirectory: checkout, system: system)
        #expect(found.root.path == named.path)
        // A wrong value is an error naming it, not a silent fall-back to the checkout beside the executable.
        let wrong = base.appendingPathComponent("missing").path
        #expect(throws: DataDirectory.NotFound(searched: ["CERTDOCTOR_DATA_DIR=\(wrong)"])) {
            try DataDirectory.locate(environment: ["CERTDOCTOR_DATA_DIR": wrong], executable: executable, workingDirectory: checkout, system: system)
        }
    }

    @Test func thePrebuiltHelperIsFoundBesideTheExecutablesPrefix() throws {
        let executable = try directory("usr/bin").appendingPathComponent("certdoctor")
        #expect(CertStoreHelper.installed(executable: executable) == nil)
        let helper = try directory("usr/lib/certdoctor").appendingPathComponent("certstore.exe")
        try Data("MZ".utf8).write(to: helper)
        #expect(CertStoreHelper.installed(executable: executable)?.path == helper.path)
    }
}
