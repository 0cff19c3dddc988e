import CertDoctorCore
import Foundation
import Testing

/// External plugins are real executables written into a temporary directory and run for real.
@Suite struct PluginTests {
    /// The facets a run knows: the host and one target facet, as the doctor passes its own.
    static let facets: [Facet] = [.host, .testFile]
    func plugin(_ body: String) throws -> URL {
        let file = try temporaryDirectory().appendingPathComponent("probe")
        try Data(("#!/bin/sh\n" + body).utf8).write(to: file)
        chmod(file.path, 0o755)
        return file
    }

    func evaluate(_ plugin: ExternalPlugin, timeout: TimeInterval = 5) throws -> CheckResult {
        let results = try Runner(timeout: timeout).run(CheckRegistry([plugin]), in: CheckContext(environment: Environment()))
        return try #require(results.first)
    }

    @Test func jsonPluginDescribesAndChecks() throws {
        let file = try plugin("""
            if [ "$1" = describe ]; then
              echo '{"id": "site.probe", "title": {"zh": "探测", "en": "Probe"}, "severity": "required", "requirements": ["R7"]}'
            else
              echo '{"outcome": "fail", "message": "down", "evidence": [{"name": "port", "value": "443"}], "remedy": {"zh": "修", "en": "mend"}}'
            fi
            """)
        let loaded = ExternalPlugin.load(file, facets: Self.facets)
        #expect(loaded.description.id == "site.probe")
        #expect(loaded.description.severity == .required)
        #expect(loaded.description.source == .plugin(path: file.path))
        let result = try evaluate(loaded)
        #expect(result.outcome == .fail)
        #expect(result.evidence == [Evidence("port", "443")])
        #expect(result.remedy?.zh == "修")
    }

    /// The README allows every text as one string: a plain-string title keeps the plugin's own id and severity,
    /// so its required failure blocks as it should.
    @Test func aPlainStringTitleIsTheDocumentedForm() throws {
        let file = try plugin("""
            if [ "$1" = describe ]; then
              echo '{"id": "site.plain", "title": "Plain title", "summary": "Plain summary", "severity": "required"}'
            else
              echo '{"outcome": "fail", "message": "down"}'
            fi
            """)
        let loaded = ExternalPlugin.load(file, facets: Self.facets)
        #expect(loaded.description.id == "site.plain")
        #expect(loaded.description.title.en == "Plain title")
        #expect(loaded.description.severity == .required)
        let result = try evaluate(loaded)
        #expect(result.outcome == .fail && result.severity == .required)
    }

    /// JSON that is not the protocol is refused with the plugin named and what is wrong; a required plugin's
    /// problem stays required.
    @Test func describeJSONOutsideTheProtocolIsAnErrorThatKeepsTheSeverity() throws {
        let file = try plugin("""
            if [ "$1" = describe ]; then echo '{"id": 5, "title": "x", "severity": "required"}'; else echo '{"outcome": "pass", "message": "ok"}'; fi
            """)
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .error)
        #expect(result.severity == .required)
        #expect(result.message.en.contains("plugin probe"), "\(result.message.en)")
        #expect(result.message.en.contains("'id'"), "\(result.message.en)")
    }

    /// A background job a plugin leaves behind is ended with it, not left running after the run.
    @Test func whatAPluginLeavesRunningIsEnded() throws {
        let marker = try temporaryDirectory().appendingPathComponent("outlived")
        let file = try plugin("""
            if [ "$1" = describe ]; then echo '{"id": "site.spawner", "title": "Spawner"}'; exit 0; fi
            ( sleep 2; touch \(marker.path) ) >/dev/null 2>&1 </dev/null &
            echo '{"outcome": "pass", "message": "ok"}'
            """)
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .pass)
        Thread.sleep(forTimeInterval: 3)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the plugin's background job outlived it")
    }

    /// A plugin cannot claim certdoctor's own `fixed`, nor print a result and then fail: both are errors.
    @Test(arguments: [("fixed", 0), ("pass", 2)])
    func aResultOutsideTheProtocolIsAnError(outcome: String, status: Int) throws {
        let file = try plugin("""
            if [ "$1" = describe ]; then echo '{"id": "site.liar", "title": "Liar", "severity": "required"}'; exit 0; fi
            echo '{"outcome": "\(outcome)", "message": "all good"}'
            exit \(status)
            """)
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .error, "\(result.message.en)")
        #expect(result.severity == .required)
    }

    @Test(arguments: [(0, Outcome.pass, Severity.advisory), (1, .fail, .advisory), (2, .fail, .required), (3, .error, .advisory)])
    func nagiosPluginStatusMapsToOutcome(status: Int, outcome: Outcome, severity: Severity) throws {
        let file = try plugin("echo 'DISK STATUS - one line'\nexit \(status)\n")
        let loaded = ExternalPlugin.load(file, facets: Self.facets)
        #expect(loaded.description.id == "plugin.probe")
        let result = try evaluate(loaded)
        #expect(result.outcome == outcome)
        #expect(result.severity == severity)
        #expect(result.message.en == "DISK STATUS - one line")
    }

    /// The timed-out plugin and the `sleep` it waits on are both gone when the run returns: each writes its pid
    /// first, and the test looks at the pids themselves (a marker written after the sleep could never appear
    /// within the test, so it proved nothing).
    @Test func hangingPluginIsKilledAndReportedAsError() throws {
        let directory = try temporaryDirectory()
        let shellPID = directory.appendingPathComponent("shell.pid"), childPID = directory.appendingPathComponent("child.pid")
        let file = try plugin("""
            [ "$1" = describe ] && { echo notjson; exit 0; }
            echo $$ > \(shellPID.path)
            sleep 30 &
            echo $! > \(childPID.path)
            wait
            """)
        let started = Date()
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets), timeout: 1)
        #expect(result.outcome == .error)
        #expect(Date().timeIntervalSince(started) < 10)
        let pids = try [shellPID, childPID].map { try #require(pid_t(String(contentsOf: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))) }
        // The orphaned sleep is reaped by init, not by us: give that a moment, but no more than that.
        let deadline = Date().addingTimeInterval(2)
        while pids.contains(where: isRunning) && Date() < deadline { usleep(20_000) }
        for pid in pids { #expect(!isRunning(pid), "pid \(pid) of the timed-out plugin's process group is still running") }
    }

    /// Alive and not a zombie waiting to be reaped.
    func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }

    @Test func crashingPluginIsAnErrorNamingTheSignal() throws {
        let file = try plugin("[ \"$1\" = describe ] && { echo notjson; exit 0; }\nkill -SEGV $$\n")
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .error)
        #expect(result.message.en.contains("signal 11"))
    }

    @Test func garbageOutputIsAnErrorQuotingIt() throws {
        let file = try plugin("[ \"$1\" = describe ] && { echo notjson; exit 0; }\nprintf 'line one\\nline two\\n'\nexit 0\n")
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .error)
        #expect(result.message.en.contains("line one"))
    }

    @Test func malformedJSONResultIsAnError() throws {
        let file = try plugin("[ \"$1\" = describe ] && { echo notjson; exit 0; }\necho '{\"outcome\": \"maybe\"}'\n")
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.outcome == .error)
    }

    @Test func describeThatHangsStillRegistersAndReportsTheProblem() throws {
        let file = try plugin("sleep 30\n")
        let loaded = ExternalPlugin.load(file, facets: Self.facets, timeout: 0.5)
        #expect(loaded.loadProblem != nil)
        #expect(try evaluate(loaded).outcome == .error)
    }

    @Test func pluginNeverSeesASecretVariable() throws {
        let base = [
            "PATH": "/usr/bin:/bin", "CERTDOCTOR_PFX_PASSWORD": "987654", "CERTDOCTOR_TOKEN_PIN": "1357",
            "CERTDOCTOR_NEW_KEY_PASSWORD": "keypw", "CERTDOCTOR_AUTH_CODE": "auth", "CERTDOCTOR_REFERENCE_CODE": "ref",
            "CERTDOCTOR_FUTURE_PASSPHRASE": "later", "CERTDOCTOR_PLUGIN_PATH": "/srv/plugins",
        ]
        let passed = ExternalPlugin.pluginEnvironment(Environment(language: .zh), base: base)
        #expect(passed["PATH"] == "/usr/bin:/bin")
        #expect(passed["CERTDOCTOR_PLUGIN_PATH"] == "/srv/plugins")
        #expect(passed["CERTDOCTOR_LANG"] == "zh")
        for secret in ["987654", "1357", "keypw", "auth", "ref", "later"] {
            #expect(!passed.values.contains(secret), "\(secret) reached the plugin")
        }
    }

    @Test func pluginNamingAnUnknownFacetIsAProtocolMistake() throws {
        let file = try plugin("""
            [ "$1" = describe ] && { echo '{"id": "site.probe", "title": "Probe", "severity": "required", "facets": ["test-file", "pfz"]}'; exit 0; }
            echo '{"outcome": "pass", "message": "fine"}'
            """)
        let loaded = ExternalPlugin.load(file, facets: Self.facets)
        #expect(loaded.loadProblem?.en.contains("unknown facet 'pfz' (known: host, test-file)") == true)
        #expect(loaded.description.severity == .required)
        #expect(try evaluate(loaded).outcome == .error)
    }

    @Test func pluginHearsOfATargetFromCertdoctorAlone() throws {
        let base = ["PATH": "/usr/bin:/bin", "CERTDOCTOR_TEST_FILE": "inherited"]
        var environment = Environment()
        #expect(ExternalPlugin.pluginEnvironment(environment, base: base)["CERTDOCTOR_TEST_FILE"] == "inherited")
        environment[TestFileKey.self] = nil
        #expect(ExternalPlugin.pluginEnvironment(environment, base: base)["CERTDOCTOR_TEST_FILE"] == nil)
        environment[TestFileKey.self] = "/srv/given"
        #expect(ExternalPlugin.pluginEnvironment(environment, base: base)["CERTDOCTOR_TEST_FILE"] == "/srv/given")
    }

    @Test func pluginReadsOnlyWhatItIsTold() throws {
        let file = try plugin("[ \"$1\" = describe ] && { echo notjson; exit 0; }\necho \"pfx:${CERTDOCTOR_PFX:-none} lang:$CERTDOCTOR_LANG\"\n")
        let result = try evaluate(ExternalPlugin.load(file, facets: Self.facets))
        #expect(result.message.en == "pfx:none lang:en")
    }

    @Test func discoverySkipsNonExecutablesAndHiddenFiles() throws {
        let directory = try temporaryDirectory()
        for (name, mode) in [("b-check", 0o755), ("a-check", 0o755), ("README.md", 0o644), (".hidden", 0o755)] {
            let file = directory.appendingPathComponent(name)
            try Data("#!/bin/sh\n".utf8).write(to: file)
            chmod(file.path, mode_t(mode))
        }
        #expect(ExternalPlugin.discover(in: [directory]).map(\.lastPathComponent) == ["a-check", "b-check"])
    }
}
