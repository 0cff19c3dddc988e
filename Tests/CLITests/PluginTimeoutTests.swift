import CertDoctorCore
import Foundation
import Testing

/// `--timeout` bounds a plugin's `describe` as it bounds every check.
struct PluginTimeoutTests {
    @Test func describeHasTheRunsTimeLimit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-plugin-timeout-" + UUID().uuidString)
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let file = plugins.appendingPathComponent("slow")
        try Data("#!/bin/sh\nsleep 20\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        let run = try CLI.run(
            ["check", "--no-discover", "--plugins", plugins.path, "--only", "plugin.slow", "--timeout", "1", "--format", "json", "--lang", "en"],
            in: directory, environment: ["HOME": directory.path], timeout: 15)
        let results = try run.json()["results"] as? [[String: Any]] ?? []
        let slow = try #require(results.first { $0["id"] as? String == "plugin.slow" }, "\(run.output) \(run.errors)")
        #expect(slow["outcome"] as? String == "error")
        #expect("\(slow["message"] ?? "")".contains("within 1 s"), "\(slow)")
    }
}
