import CertDoctorCore
import Foundation

/// Runs the real `certdoctor` executable built beside the tests, as a user would.
enum CLI {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    static var executable: String {
        if let explicit = ProcessInfo.processInfo.environment["CERTDOCTOR_EXECUTABLE"] { return explicit }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("certdoctor"),
            repository.appendingPathComponent(".build/debug/certdoctor"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates[1].path
    }

    struct Run {
        var status: ChildProcess.Termination.Reason
        var output: String
        var errors: String
        var rawOutput: [UInt8] = []

        var exitCode: Int32? {
            if case .exited(let code) = status { return code }
            return nil
        }

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        }

        func outcome(of id: String) throws -> String? {
            let results = try json()["results"] as? [[String: Any]] ?? []
            return results.first { $0["id"] as? String == id }?["outcome"] as? String
        }
    }

    static func run(
        _ arguments: [String], in directory: URL? = nil, environment extra: [String: String] = [:], timeout: TimeInterval = 60,
        detached: Bool = false
    ) throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment.removeValue(forKey: "CERTDOCTOR_PFX_PASSWORD")
        environment.removeValue(forKey: "WINEPREFIX")
        for (key, value) in extra { environment[key] = value }
        // The child starts in the given directory through a shell `cd`, since posix_spawn has no chdir.
        let command = (directory.map { "cd '\($0.path)' && " } ?? "") + (detached ? "exec setsid -w " : "exec ") + "\"$0\" \"$@\""
        let result = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", command, executable] + arguments, environment: environment,
            deadline: Date().addingTimeInterval(timeout))
        return Run(status: result.reason, output: result.outputText, errors: result.errorText, rawOutput: result.standardOutput)
    }

    /// A private copy of a fixture in its own directory, with the password in a file beside it.
    static func workspace(fixture: String, password: String = "123456", renameTo name: String? = nil) throws -> (URL, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-cli-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = fixtures.appendingPathComponent(fixture)
        let target = directory.appendingPathComponent(name ?? source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: target)
        try Data((password + "\n").utf8).write(to: directory.appendingPathComponent("pw"))
        return (directory, target)
    }
}
