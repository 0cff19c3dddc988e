import CertDoctorCore
import Foundation
import Testing

/// A fix that cannot write what it planned ends with "cannot write output" (73), even when every report was
/// written: the person must not read success into it.
struct FixExitTests {
    @Test func aFixWhoseOnlyWriteFailsIsExit73() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-fix-exit-" + UUID().uuidString)
        let reports = directory.appendingPathComponent("out")
        // The Site-to-Zone policy decides, so the fix is a Registry.pol under certdoctor-fix-<check>/Machine/; a
        // plain file of that folder's name makes the write fail, while the reports beside it are written.
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        try Data("in the way\n".utf8).write(to: reports.appendingPathComponent("certdoctor-fix-browser.trusted-site"))
        let export = CLI.fixtures.appendingPathComponent("windows/trusted/policy-overrides-user.reg")
        let run = try CLI.run(
            ["fix", "--registry", export.path, "--only", "browser.trusted-site", "--report", reports.path, "--yes", "--lang", "en"],
            in: directory, environment: ["HOME": directory.path])
        #expect(run.exitCode == 73, "\(run.output) \(run.errors)")
        #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent("report.json").path))
        #expect(run.output.contains("the fix failed"), "\(run.output)")
        #expect(!run.output.contains("NSCocoaErrorDomain"))
    }
}
