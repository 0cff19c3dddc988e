import CertDoctorCore
import Foundation
import Testing

/// A program certdoctor starts (a plugin, Wine with the store helper) dies with certdoctor, kill -9 included:
/// nothing it does may go on after certdoctor and its journal have stopped. Each child runs in a process group
/// of its own (so that a hung one can be stopped with what it started), which is why a terminal's Ctrl-C or a
/// killed certdoctor reached none of them before they had a parent-death signal.
struct ChildLifetimeTests {
    /// certdoctor is killed while its plugin runs; the plugin (which became `sleep 60`) must be gone at once.
    @Test(arguments: ["KILL", "TERM"])
    func aChildDiesWithCertdoctor(signal: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-child-life-" + UUID().uuidString)
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let marker = directory.appendingPathComponent("child.pid")
        let plugin = plugins.appendingPathComponent("sleeper")
        try Data("""
            #!/bin/sh
            case "$1" in
            describe) echo '{"id": "plugin.sleeper", "title": "Sleeper", "severity": "advisory", "facets": ["host"]}' ;;
            check) echo $$ > '\(marker.path).tmp' && mv '\(marker.path).tmp' '\(marker.path)'; exec sleep 60 ;;
            esac
            """.utf8).write(to: plugin)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)

        // The shell starts certdoctor in the background, waits until the plugin has become `sleep`, kills
        // certdoctor with the signal, waits for it, and prints the plugin's pid.
        let script = """
            "$0" check --no-discover --plugins '\(plugins.path)' --only plugin.sleeper --timeout 60 --format json >/dev/null 2>&1 &
            doctor=$!
            i=0
            while [ ! -s '\(marker.path)' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
            child=$(cat '\(marker.path)')
            # until exec has made the plugin's process sleep
            i=0
            while [ "$(cat /proc/$child/comm 2>/dev/null)" != sleep ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
            kill -\(signal) $doctor
            wait $doctor
            echo "$child"
            """
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        let run = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", script, CLI.executable], environment: environment,
            deadline: Date().addingTimeInterval(60))
        let child = try #require(Int32(run.outputText.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run.outputText) \(run.errorText)")
        defer { kill(child, SIGKILL) }
        // Gone means no process, or a zombie waiting for whoever adopted it to reap it.
        var alive = true
        for _ in 0..<40 where alive {
            alive = Self.isRunning(child)
            if alive { usleep(50_000) }
        }
        #expect(!alive, "the plugin (pid \(child)) outlived certdoctor killed with SIG\(signal)")
    }

    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.range(of: ") ", options: .backwards) else { return false }
        return !stat[end.upperBound...].hasPrefix("Z")
    }
}
