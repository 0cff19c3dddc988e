import CertDoctorCore
import Foundation
import Testing

/// A plugin, or any child, cannot read certdoctor's own environment (which may hold the password) through
/// /proc, and a crash never writes a core: both are set before anything else in `main`.
@Suite struct ProcessHardeningTests {
    /// A plugin that tries to read its parent's environment and reports what it found.
    static let prying = """
        #!/bin/sh
        case "$1" in
        describe) echo '{"id": "plugin.prying", "title": "Prying plugin", "severity": "advisory", "facets": ["host"]}' ;;
        check)
            limits=$(grep 'Max core file size' /proc/$PPID/limits | tr -s ' ')
            if environ=$(tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null); then
                printf '{"outcome": "fail", "message": {"zh": "read", "en": "read %s; %s"}}\\n' "$(echo "$environ" | grep -c CERTDOCTOR_PFX_PASSWORD)" "$limits"
            else
                printf '{"outcome": "pass", "message": {"zh": "unreadable", "en": "unreadable; %s"}}\\n' "$limits"
            fi ;;
        esac
        """

    @Test func aPluginCannotReadTheParentsEnvironmentAndCoreDumpsAreOff() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let plugin = plugins.appendingPathComponent("prying")
        try Data(Self.prying.utf8).write(to: plugin)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
        let arguments = ["check", "--pfx", file.lastPathComponent, "--plugins", plugins.path, "--only", "plugin.prying", "--format", "json"]
        // As root every /proc file is readable whatever the process says; the test runs both sides as an
        // ordinary user, as an operator would, so that the kernel's own rule is what is tested.
        // The checkout may sit below a directory only root can enter (a CI clone in a mktemp directory), so the
        // ordinary user runs a copy of the executable with a copy of the data beside the workspace.
        let program = directory.appendingPathComponent("certdoctor")
        try FileManager.default.copyItem(atPath: CLI.executable, toPath: program.path)
        try FileManager.default.copyItem(
            at: CLI.repository.appendingPathComponent("Checks"), to: directory.appendingPathComponent("data/Checks"))
        let asUser = getuid() == 0
            ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", program.path] : [program.path]
        let environment = ProcessInfo.processInfo.environment.merging([
            "HOME": directory.path, "CERTDOCTOR_PFX_PASSWORD": "123456", "NO_COLOR": "1",
            "CERTDOCTOR_DATA_DIR": directory.appendingPathComponent("data").path,
        ]) { $1 }
        let command = "cd '\(directory.path)' && exec \"$@\""
        let run = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", command, "sh"] + asUser + arguments, environment: environment,
            deadline: Date().addingTimeInterval(60))
        let output = run.outputText
        let results = (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
        let prying = try #require(results.first { $0["id"] as? String == "plugin.prying" }, "\(output) \(run.errorText)")
        #expect(prying["outcome"] as? String == "pass", "\(prying)")
        let message = prying["message"] as? String ?? ""
        #expect(message.contains("Max core file size 0 0"), "\(message)")
        #expect(!output.contains("123456"))
    }

    /// A plugin that reports whether the password's value is in its parent's environment block.
    static let environmentReader = """
        #!/bin/sh
        case "$1" in
        describe) echo '{"id": "plugin.environ", "title": "Environment reader", "severity": "advisory", "facets": ["host"]}' ;;
        check)
            found=$(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c '^CERTDOCTOR_PFX_PASSWORD=.' || true)
            printf '{"outcome": "pass", "message": {"zh": "%s", "en": "%s"}}\\n' "$found" "$found" ;;
        esac
        """

    /// Even a reader /proc does not stop (root, or the same user without the non-dumpable flag) finds no
    /// password: certdoctor takes it out of its environment block at start-up, and still uses it.
    @Test func thePasswordLeavesTheEnvironmentBlockAtStartUp() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let plugin = plugins.appendingPathComponent("environ")
        try Data(Self.environmentReader.utf8).write(to: plugin)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
        let run = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--plugins", plugins.path, "--only", "plugin.environ,cert.pfx-readable", "--format", "json"],
            in: directory, environment: ["CERTDOCTOR_PFX_PASSWORD": "123456", "HOME": directory.path])
        #expect(try run.outcome(of: "cert.pfx-readable") == "pass", "\(run.output) \(run.errors)")
        let results = try run.json()["results"] as? [[String: Any]] ?? []
        let reader = try #require(results.first { $0["id"] as? String == "plugin.environ" }, "\(run.output)")
        #expect(reader["message"] as? String == "0", "\(reader)")
        #expect(!run.output.contains("123456"))
    }

    /// Core dumps are off from the start of `main`, not only once a secret has been read: a crash before that
    /// (reading a hostile input, say) must not write a core either.
    @Test func coreDumpsAreOffInARunThatReadsNoSecret() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-core-" + UUID().uuidString)
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let plugin = plugins.appendingPathComponent("prying")
        try Data(Self.prying.utf8).write(to: plugin)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
        let run = try CLI.run(
            ["check", "--no-discover", "--plugins", plugins.path, "--only", "plugin.prying", "--format", "json"],
            in: directory, environment: ["HOME": directory.path])
        let results = try run.json()["results"] as? [[String: Any]] ?? []
        let prying = try #require(results.first { $0["id"] as? String == "plugin.prying" }, "\(run.output) \(run.errors)")
        #expect("\(prying["message"] ?? "")".contains("Max core file size 0 0"), "\(prying)")
    }
}
