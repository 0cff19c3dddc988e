import Foundation
import Testing

/// The default text answer, as `flutter doctor` gives it: one line per area with its mark, the problems in full
/// under their area, what did not apply folded into one line, and a closing digest; `-v` lists everything,
/// `--quiet` the verdict alone, `--color` decides colour beside `NO_COLOR`.
@Suite struct TextOutputTests {
    static let registry = CLI.fixtures.appendingPathComponent("windows/ie-mode/user-list/edge.reg").path

    func goodRun(_ extra: [String]) throws -> CLI.Run {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        return try CLI.run(["check", "--no-discover", "--pfx", file.lastPathComponent, "--password-file", "pw"] + extra, in: directory)
    }

    @Test func areasLeadAndWhatDidNotApplyIsOneLine() throws {
        let run = try goodRun(["--lang", "en"])
        #expect(run.exitCode == 0)
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("✔ file certificate") }, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("✔ host") }, "\(run.output)")
        #expect(lines.contains("- token: not examined — add --token"), "\(run.output)")
        #expect(lines.contains("- Windows side: not examined — add --wine-prefix DIR or --registry FILE"), "\(run.output)")
        // The token's five checks are not listed one by one, nor any other not-applicable check.
        #expect(!run.output.contains("token.present") && !run.output.contains("n/a"), "\(run.output)")
        #expect(run.output.contains("    ✔ pass  cert.validity"), "passing checks one line each, under their area")
        #expect(lines.last == "No problems found.", "\(run.output)")
        #expect(lines.count <= 16, "\(lines.count) lines: \(run.output)")
    }

    @Test func problemsAreUnderTheirAreaAndTheDigestCountsThem() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/no-suffix/F000504Y0007.pfx")
        let arguments = ["check", "--no-discover", "--pfx", file.lastPathComponent, "--password-file", "pw", "--registry", Self.registry]
        let text = try CLI.run(arguments + ["--lang", "en"], in: directory)
        let json = try CLI.run(arguments + ["--format", "json"], in: directory).json()
        let results = json["results"] as? [[String: Any]] ?? []
        let problems = results.filter { ["fail", "error"].contains($0["outcome"] as? String) }
        let fixable = problems.filter { $0["fixable"] as? Bool == true }
        #expect(!problems.isEmpty && !fixable.isEmpty)
        let lines = text.output.split(separator: "\n").map(String.init)
        let digest = "\(problems.count) problems, \(fixable.count) fixable with: certdoctor fix --pfx F000504Y0007.pfx --password-file pw --registry \(Self.registry)"
        #expect(lines.last == digest, "\(text.output)")
        // The name rule's failure sits under the file certificate, before the Windows side begins.
        let certificate = try #require(lines.firstIndex { $0.hasPrefix("✘ file certificate") }, "\(text.output)")
        let windows = try #require(lines.firstIndex { $0.hasPrefix("✘ Windows side") }, "\(text.output)")
        let name = try #require(lines.firstIndex { $0.contains("✘ fail  cert.pfx-name") })
        #expect(certificate < name && name < windows)
        #expect(lines[name + 1].contains("#0"), "its message follows")
        #expect(lines[name + 2].contains("→ "), "then its remedy")
        #expect(text.output.contains("    - 1 not applicable (driver.token-csp: "), "folded with its reason: \(text.output)")
    }

    /// A run that examined no certificate has no failure, and still must not read as green.
    @Test func aRunThatIsNotReadyNeverSaysNoProblems() throws {
        let directory = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx").0
        let run = try CLI.run(["check", "--no-discover", "--lang", "en"], in: directory)
        #expect(run.exitCode == 1)
        #expect(run.output.contains("Not ready") && !run.output.contains("No problems found"), "\(run.output)")
    }

    @Test func verboseListsEveryCheck() throws {
        let run = try goodRun(["--lang", "en", "-v"])
        #expect(run.output.contains("- n/a   token.present"), "\(run.output)")
        #expect(run.output.contains("hardware certificate not requested (--token)"))
    }

    @Test func quietPrintsTheVerdictAlone() throws {
        let run = try goodRun(["--lang", "en", "--quiet"])
        #expect(run.exitCode == 0)
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("Ready to renew the file certificate F000504Y0007"), "\(run.output)")
        #expect(try goodRun(["--quiet", "--verbose"]).exitCode == 64)
    }

    /// The harness sets NO_COLOR; `always` overrides it, `never` and `auto` (not a terminal) give none.
    @Test func colourFollowsTheOption() throws {
        #expect(try goodRun(["--color", "always"]).output.contains("\u{1B}[32m"))
        #expect(!(try goodRun(["--color", "never"]).output.contains("\u{1B}[")))
        #expect(!(try goodRun(["--color", "auto"]).output.contains("\u{1B}[")))
        #expect(try goodRun(["--color", "sometimes"]).exitCode == 64)
    }

    @Test func chineseHasChineseLabelsAndCounts() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/no-suffix/F000504Y0007.pfx")
        let run = try CLI.run(["check", "--no-discover", "--pfx", file.lastPathComponent, "--password-file", "pw", "--lang", "zh"], in: directory)
        #expect(run.output.contains("✘ 未通过 cert.pfx-name"), "\(run.output)")
        #expect(run.output.contains("✔ 通过   cert.validity"), "\(run.output)")
        #expect(run.output.contains("项通过"), "\(run.output)")
        #expect(run.output.contains("- USB Key：未检查 — 加 --token"), "\(run.output)")
        #expect(!run.output.contains(" pass") && !run.output.contains("notapplicable"), "\(run.output)")
    }
}
