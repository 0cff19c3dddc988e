import CertDoctorCore
import Foundation
import Testing

/// What certdoctor writes has the modes it chooses: not the umask's (000 would make a report directory anyone
/// can write into), not those of a file already there, and never through a link planted at the destination.
struct OutputModeTests {
    static func mode(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1
    }

    @Test func reportsUnderUmask000KeepTheirModesAndReplaceAPlantedLink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-modes-" + UUID().uuidString)
        let reports = directory.appendingPathComponent("out/deep")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let run1 = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", "umask 000; cd \"$1\" && exec \"$0\" check --no-discover --only host.free-space --report out/deep",
                                   CLI.executable, directory.path],
            environment: ProcessInfo.processInfo.environment.merging(["HOME": directory.path, "NO_COLOR": "1"]) { $1 },
            deadline: Date().addingTimeInterval(60))
        #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent("report.json").path), "\(run1.errorText)")
        #expect(try Self.mode(directory.appendingPathComponent("out").path) == 0o755)
        #expect(try Self.mode(reports.path) == 0o755)
        #expect(try Self.mode(reports.appendingPathComponent("report.xml").path) == 0o600)

        // A world-writable report already there, and a link planted where the JSON report goes.
        let html = reports.appendingPathComponent("report.html")
        chmod(html.path, 0o666)
        let victim = directory.appendingPathComponent("victim.txt")
        try Data("keep me".utf8).write(to: victim)
        let json = reports.appendingPathComponent("report.json")
        try FileManager.default.removeItem(at: json)
        try FileManager.default.createSymbolicLink(at: json, withDestinationURL: victim)
        let run2 = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", "umask 000; cd \"$1\" && exec \"$0\" check --no-discover --only host.free-space --report out/deep",
                                   CLI.executable, directory.path],
            environment: ProcessInfo.processInfo.environment.merging(["HOME": directory.path, "NO_COLOR": "1"]) { $1 },
            deadline: Date().addingTimeInterval(60))
        #expect(try Self.mode(html.path) == 0o600, "\(run2.errorText)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        let attributes = try FileManager.default.attributesOfItem(atPath: json.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(try Self.mode(json.path) == 0o600)
    }
}
