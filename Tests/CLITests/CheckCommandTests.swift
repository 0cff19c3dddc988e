import CertDoctorCore
import Foundation
import Testing

/// `certdoctor check --pfx … --password-file pw --format json` on every kind of file a user brings.
@Suite struct CheckCommandTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var fixture: String
        var password = "123456"
        var expected: [String: String]
        var exitCode: Int32
        var testDescription: String { name }
    }

    static let allPass = ["cert.pfx-readable": "pass", "cert.pfx-name": "pass", "cert.validity": "pass", "cert.key-pair": "pass"]
    static let unreadable = ["cert.pfx-readable": "fail", "cert.pfx-name": "notchecked", "cert.validity": "notchecked", "cert.key-pair": "notchecked"]

    static let scenarios: [Scenario] = [
        Scenario(name: "good AES file", fixture: "pfx/good-aes/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.pfx-compatibility": "fail"]) { $1 }, exitCode: 0),
        Scenario(name: "good 3DES/SHA-1 file", fixture: "pfx/good-3des/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.pfx-compatibility": "pass"]) { $1 }, exitCode: 0),
        Scenario(name: "RC2-40 legacy file", fixture: "pfx/legacy-rc2/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.pfx-compatibility": "pass"]) { $1 }, exitCode: 0),
        Scenario(name: "wrong password", fixture: "pfx/good-3des/F000504Y0007#0.pfx", password: "654321", expected: unreadable, exitCode: 1),
        Scenario(name: "truncated file", fixture: "pfx/truncated/F000504Y0007#0.pfx", expected: unreadable, exitCode: 1),
        Scenario(name: "random bytes", fixture: "pfx/random/F000504Y0007#0.pfx", expected: unreadable, exitCode: 1),
        Scenario(name: "PEM renamed .pfx", fixture: "pfx/pem/F000504Y0007#0.pfx", expected: unreadable, exitCode: 1),
        Scenario(name: "trailing garbage", fixture: "pfx/trailing-garbage/F000504Y0007#0.pfx", expected: unreadable, exitCode: 1),
        Scenario(name: "name without #0", fixture: "pfx/no-suffix/F000504Y0007.pfx",
                 expected: allPass.merging(["cert.pfx-name": "fail"]) { $1 }, exitCode: 1),
        Scenario(name: "Chinese file name", fixture: "pfx/chinese-name/网关证书.pfx",
                 expected: allPass.merging(["cert.pfx-name": "fail"]) { $1 }, exitCode: 1),
        Scenario(name: "expired certificate", fixture: "pfx/expired/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.validity": "fail"]) { $1 }, exitCode: 1),
        Scenario(name: "not yet valid", fixture: "pfx/not-yet-valid/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.validity": "fail"]) { $1 }, exitCode: 1),
        Scenario(name: "key of another certificate", fixture: "pfx/mismatched-key/F000504Y0007#0.pfx",
                 expected: allPass.merging(["cert.key-pair": "fail"]) { $1 }, exitCode: 1),
    ]

    @Test(arguments: scenarios)
    func scenarioGivesTheRightOutcomes(_ scenario: Scenario) throws {
        let (directory, file) = try CLI.workspace(fixture: scenario.fixture, password: scenario.password)
        // Only the certificate's checks decide the exit status here: on a host with a browser installed,
        // browser.downloads also has a say (R1), which other tests cover.
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--format", "json", "--only", "certificate"], in: directory)
        #expect(run.exitCode == scenario.exitCode, "\(run.errors)")
        for (id, outcome) in scenario.expected {
            #expect(try run.outcome(of: id) == outcome, "\(id)")
        }
        let json = try run.json()
        #expect(json["tool"] as? String == "certdoctor")
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["ready_to_renew"] as? Bool == (scenario.exitCode == 0))
        for key in ["version", "profile", "started", "finished", "results"] { #expect(json[key] != nil, "\(key)") }
        let first = try #require((json["results"] as? [[String: Any]])?.first)
        for key in ["id", "outcome", "severity", "requirements", "title", "message", "evidence", "remedy", "fixable"] {
            #expect(first.keys.contains(key), "result lacks \(key)")
        }
    }

    @Test func wrongPasswordAndCorruptFileSayDifferentThings() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx", password: "654321")
        let wrong = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--lang", "en"], in: directory)
        #expect(wrong.output.contains("wrong password"))
        let (corruptDirectory, corrupt) = try CLI.workspace(fixture: "pfx/truncated/F000504Y0007#0.pfx")
        let damaged = try CLI.run(["check", "--pfx", corrupt.lastPathComponent, "--password-file", "pw", "--lang", "en"], in: corruptDirectory)
        #expect(damaged.output.contains("damaged or is not a PKCS#12"))
        #expect(!damaged.output.contains("wrong password"))
    }

    @Test(arguments: ["12345", "1234567", "12345a", "passwd"])
    func passwordThatIsNotSixDigitsIsAUsageErrorNamingTheRule(password: String) throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx", password: password)
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--lang", "en"], in: directory)
        #expect(run.exitCode == 64)
        #expect(run.errors.contains("exactly 6 digits"))
        #expect(!run.errors.contains(password) && !run.output.contains(password))
    }

    @Test func passwordFromTheEnvironmentWorksAndArgvHasNoPasswordOption() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--format", "json", "--only", "certificate"], in: directory,
                              environment: ["CERTDOCTOR_PFX_PASSWORD": "123456"])
        #expect(run.exitCode == 0)
        let misuse = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password", "123456"], in: directory)
        #expect(misuse.exitCode == 64)
    }

    @Test func noPasswordSourceWithoutATerminalIsAUsageError() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        // setsid: no controlling terminal, so there is nobody to ask.
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--lang", "en"], in: directory, detached: true)
        #expect(run.exitCode == 64)
        #expect(run.errors.contains("CERTDOCTOR_PFX_PASSWORD"))
    }

    @Test func missingFileIsExit66() throws {
        let run = try CLI.run(["check", "--pfx", "/nonexistent/F000504Y0007#0.pfx", "--password-file", "/dev/null"])
        #expect(run.exitCode == 66)
        #expect(run.errors.contains("/nonexistent/F000504Y0007#0.pfx"))
    }

    @Test func canaryPasswordNeverAppearsInAnyOutput() throws {
        let canary = "582047"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-canary-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pfx = directory.appendingPathComponent("F000504Y0007#0.pfx")
        let source = CLI.fixtures.appendingPathComponent("pfx/good-aes/F000504Y0007#0.pfx")
        // Re-encrypt a fixture under the canary password with the openssl CLI, passwords passed by file.
        let shell = try ChildProcess.run("/bin/sh", arguments: ["-c", "cd '\(directory.path)' && printf 123456 > old && printf '\(canary)' > new && openssl pkcs12 -in '\(source.path)' -passin file:old -nodes -out all.pem && openssl pkcs12 -export -in all.pem -passout file:new -name F000504Y0007 -out 'F000504Y0007#0.pfx' && rm all.pem old"], environment: ["PATH": "/usr/bin:/bin"], deadline: Date().addingTimeInterval(30))
        #expect(shell.reason == .exited(0), "\(shell.errorText)")
        try Data((canary + "\n").utf8).write(to: directory.appendingPathComponent("pw"))
        let state = directory.appendingPathComponent("state")
        var outputs: [String] = []
        for arguments in [
            ["check", "--pfx", pfx.lastPathComponent, "--password-file", "pw", "--format", "json", "-v"],
            ["check", "--pfx", pfx.lastPathComponent, "--password-file", "pw", "-v", "--lang", "zh"],
            ["fix", "--pfx", pfx.lastPathComponent, "--password-file", "pw", "--yes", "-v"],
            ["check", "--pfx", pfx.lastPathComponent, "--password-file", "new", "--format", "json"],
            ["undo", "--list"],
        ] {
            let run = try CLI.run(arguments, in: directory, environment: ["XDG_STATE_HOME": state.path])
            outputs += [run.output, run.errors]
        }
        let wrong = try CLI.run(["check", "--pfx", pfx.lastPathComponent, "--format", "json"], in: directory,
                                environment: ["CERTDOCTOR_PFX_PASSWORD": "731946", "XDG_STATE_HOME": state.path])
        outputs += [wrong.output, wrong.errors]
        #expect(try wrong.outcome(of: "cert.pfx-readable") == "fail")
        for output in outputs {
            #expect(!output.contains(canary))
            #expect(!output.contains("731946"))
        }
        let journalFiles = FileManager.default.enumerator(atPath: state.path)?.compactMap { $0 as? String } ?? []
        #expect(!journalFiles.isEmpty)
        for name in journalFiles {
            let bytes = (try? Data(contentsOf: state.appendingPathComponent(name))) ?? Data()
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(name)")
        }
    }

    @Test func textOutputIsForPeopleAndHonoursLanguage() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/no-suffix/F000504Y0007.pfx")
        let english = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--lang", "en"], in: directory)
        #expect(english.output.contains("✘ fail  cert.pfx-name"))
        #expect(english.output.contains("Not ready to renew"))
        #expect(!english.output.contains("\u{1B}["), "NO_COLOR is honoured")
        let chinese = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw"], in: directory,
                                  environment: ["LANG": "zh_CN.UTF-8"])
        #expect(chinese.output.contains("文件名缺少“#0”"))
        #expect(chinese.output.contains("暂不能更新文件证书 F000504Y0007"))
    }

    @Test func outputFileReceivesTheReport() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--format", "json", "--output", "out.json"], in: directory)
        #expect(run.exitCode == 0)
        #expect(run.output.isEmpty)
        let data = try Data(contentsOf: directory.appendingPathComponent("out.json"))
        #expect((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["tool"] as? String == "certdoctor")
    }

    @Test func helpDocumentsTheExitCodes() throws {
        let run = try CLI.run(["check", "--help"])
        for code in ["64", "65", "66", "69", "70", "73", "75"] {
            #expect(run.output.contains("  \(code)\t"), "\(code)")
        }
    }
}
