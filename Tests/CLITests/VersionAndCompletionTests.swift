import Foundation
import Testing

/// `--version` names what a support ticket needs, and the shells' completion asks certdoctor for the values
/// only it knows.
@Suite struct VersionAndCompletionTests {
    @Test func versionNamesTheCommitAndTheLibrariesItRunsWith() throws {
        let run = try CLI.run(["--version"], environment: ["LANG": "C.UTF-8"])
        #expect(run.exitCode == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("certdoctor ") == true, "\(lines)")
        // A test build is not given a commit: it must say so rather than print nothing or guess.
        #expect(lines.contains { $0.hasPrefix("commit ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("OpenSSL 3.") && $0.hasSuffix("(at run time)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("libxml2 2.") && $0.contains("libxslt 1.") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("pcsc-lite ") && $0.contains("compiled against") }, "\(lines)")
    }

    @Test func onlyCompletesCheckIdsAndCategoriesAfterAComma() throws {
        // The arguments bash's completion function passes: the option, the word index, the cursor index, the words.
        let single = try CLI.run(["---completion", "check", "--", "--only", "3", "6", "certdoctor", "check", "--only", "cert.v"], in: CLI.repository)
        #expect(single.output.split(separator: "\n") == ["cert.validity"], "\(single.output) \(single.errors)")
        let list = try CLI.run(
            ["---completion", "fix", "--", "--skip", "3", "15", "certdoctor", "fix", "--skip", "cert.validity,b"], in: CLI.repository)
        let words = list.output.split(separator: "\n").map(String.init)
        #expect(words.contains("cert.validity,browser.trusted-site") && words.contains("cert.validity,browser"), "\(words)")
        #expect(words.allSatisfy { $0.hasPrefix("cert.validity,b") }, "\(words)")
    }

    @Test func completionScriptsOfferFilesDirectoriesAndLists() throws {
        let bash = try CLI.run(["--generate-completion-script", "bash"])
        #expect(bash.output.contains("'!*.@(pfx|p12)'"), "--pfx completes .pfx files")
        #expect(bash.output.contains("'text'$'\\n''json'"), "--format completes the formats")
        let zsh = try CLI.run(["--generate-completion-script", "zsh"])
        #expect(zsh.output.contains("--wine-prefix") && zsh.output.contains("_files -/"), "--wine-prefix completes directories")
        let fish = try CLI.run(["--generate-completion-script", "fish"])
        #expect(fish.output.contains("---completion check -- --only"), "fish asks certdoctor for check ids")
    }
}
