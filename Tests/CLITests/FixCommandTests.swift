import CertDoctorCore
import Foundation
import Testing

/// `fix` and `undo` on real files, including a fix killed at every point where it could be interrupted.
@Suite struct FixCommandTests {
    func opensAsWindows7(_ directory: URL, _ file: URL) throws -> Bool {
        let info = try ChildProcess.run(
            "/usr/bin/openssl", arguments: ["pkcs12", "-info", "-noout", "-in", file.path, "-passin", "file:" + directory.appendingPathComponent("pw").path],
            environment: ["PATH": "/usr/bin:/bin"], deadline: Date().addingTimeInterval(30))
        return info.reason == .exited(0) && info.errorText.contains("MAC: sha1") && info.errorText.contains("TripleDES")
    }

    @Test func dryRunShowsThePlanAndChangesNothing() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let before = try readBytes(file)
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--dry-run", "--lang", "en"], in: directory,
                              environment: ["XDG_STATE_HOME": directory.appendingPathComponent("state").path])
        #expect(run.exitCode == 0)
        #expect(run.output.contains("PBE-SHA1-3DES"))
        #expect(try readBytes(file) == before)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("state").path))
    }

    @Test func withoutYesAndWithoutATerminalNothingChanges() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let before = try readBytes(file)
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw"], in: directory,
                              environment: ["XDG_STATE_HOME": directory.appendingPathComponent("state").path], detached: true)
        #expect(run.exitCode == 1)
        #expect(try readBytes(file) == before)
    }

    @Test func fixThenUndoRestoresTheFileByteForByte() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let before = try readBytes(file)
        let fixed = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes", "--format", "json"], in: directory, environment: state)
        #expect(fixed.exitCode == 0)
        // Standard output carries the JSON report alone; the plan went to standard error.
        let report = try fixed.json()
        let results = report["results"] as? [[String: Any]] ?? []
        #expect(results.first { $0["id"] as? String == "cert.pfx-compatibility" }?["outcome"] as? String == "fixed")
        #expect(fixed.errors.contains("PBE-SHA1-3DES"))
        let fixes = report["fixes"] as? [[String: Any]] ?? []
        #expect(fixes.first?["journal_entry"] as? String != nil)
        #expect(try opensAsWindows7(directory, file))
        let again = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--format", "json"], in: directory)
        #expect(try again.outcome(of: "cert.pfx-compatibility") == "pass")

        let undo = try CLI.run(["undo"], in: directory, environment: state)
        #expect(undo.exitCode == 0)
        #expect(try readBytes(file) == before)
        let list = try CLI.run(["undo", "--list"], in: directory, environment: state)
        #expect(list.output.contains("undone"))
        let nothing = try CLI.run(["undo"], in: directory, environment: state)
        #expect(nothing.exitCode == 1)
    }

    /// Killed after the backup, after the new bytes are written to the temporary file, and after the rename:
    /// the certificate file is always either the original or the whole fixed file.
    @Test(arguments: ["after-backup", "after-temp-write", "after-first-replace"])
    func interruptedFixLosesNothing(point: String) throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let before = try readBytes(file)
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes"], in: directory,
                              environment: state.merging(["CERTDOCTOR_FAULT_INJECTION": point]) { $1 })
        #expect(run.status == .signalled(9), "the process was killed at \(point)")
        if point == "after-first-replace" {
            #expect(try opensAsWindows7(directory, file))
        } else {
            #expect(try readBytes(file) == before)
        }
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
        #expect(temporaries.isEmpty == (point != "after-temp-write"), "a write killed before its rename leaves only its temporary file")
        // The journal holds the original whatever happened, and undo brings it back.
        let undo = try CLI.run(["undo"], in: directory, environment: state)
        #expect(undo.exitCode == 0, "\(undo.errors)")
        #expect(try readBytes(file) == before)
        // A later fix cleans up a temporary file the killed one left, and succeeds.
        let retry = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes"], in: directory, environment: state)
        #expect(retry.exitCode == 0)
        #expect(try opensAsWindows7(directory, file))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
        #expect(leftovers.isEmpty)
    }

    /// Kills the fix at arbitrary moments rather than chosen ones.
    /// Kills `fix` at moments spread over the run, and as many times at a random moment of its write (once the
    /// journal says it began); after every kill the file is the original or wholly fixed. At least half the
    /// kills aimed at the write must have landed in it, as the journal the killed run left says: kills that
    /// all miss the write would prove nothing about an interrupted one.
    @Test func killedAtRandomMomentsTheFileIsNeverHalfWritten() throws {
        let arguments = ["fix", "--pfx", "F000504Y0007#0.pfx", "--password-file", "pw", "--yes"]
        var (random, seed) = JournalKillTests.generator()
        var kills = KillRecord()
        func round(_ moment: String, kill: (URL, [String: String]) throws -> Void) throws {
            let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
            let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
            let before = try readBytes(file)
            try kill(directory, state)
            kills.record(KillLanding.ofFix(journalIn: state))
            let intact = try readBytes(file) == before
            let fixed = try opensAsWindows7(directory, file)
            #expect(intact || fixed, "half-written when killed \(moment) (seed \(seed))")
            try? FileManager.default.removeItem(at: directory)
        }
        let delays = [0.005, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25]
        for delay in delays {
            try round("after \(delay) s") { directory, state in
                try JournalKillTests.killed(after: delay, arguments, in: directory, environment: state)
            }
        }
        for index in delays.indices {
            try round("in the write (\(index))") { directory, state in
                try KillRecord.killedWhileWriting(arguments, in: directory, environment: state, within: 0.0005, using: &random) {
                    KillLanding.ofFix(journalIn: state) == .midWrite
                }
            }
        }
        print("fix kills: \(kills.summary) (seed \(seed))")
        #expect(kills.midWrite >= delays.count / 2, "too few kills landed while the file was being replaced: \(kills.summary) (seed \(seed))")
    }
}

@Suite struct ReviewRegressionTests {
    @Test func undoRefusesToOverwriteAFileChangedSinceTheFix() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let original = try readBytes(file)
        #expect(try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes"], in: directory, environment: state).exitCode == 0)
        // Someone puts a newer certificate in place after the fix.
        let newer = try readBytes(CLI.fixtures.appendingPathComponent("pfx/good-3des/F000504Y0007#0.pfx"))
        try Data(newer).write(to: file)
        let refused = try CLI.run(["undo", "--lang", "en"], in: directory, environment: state)
        #expect(refused.exitCode == 1)
        #expect(refused.errors.contains("changed after the fix"))
        #expect(try readBytes(file) == newer)
        let forced = try CLI.run(["undo", "--force"], in: directory, environment: state)
        #expect(forced.exitCode == 0)
        #expect(try readBytes(file) == original)
    }

    @Test func dryRunInJSONPrintsTheReportAndItsReadiness() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/no-suffix/F000504Y0007.pfx")
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--dry-run", "--format", "json"], in: directory,
                              environment: ["XDG_STATE_HOME": directory.appendingPathComponent("state").path])
        #expect(run.exitCode == 1, "a required check fails, so the answer is not 'ready'")
        #expect(try run.outcome(of: "cert.pfx-name") == "fail")
    }

    @Test(arguments: ["1e300", "inf", "nan", "-1"])
    func unreasonableTimeoutIsAUsageError(value: String) throws {
        #expect(try CLI.run(["check", "--timeout", value]).exitCode == 64)
    }

    @Test func unwritableReportDirectoryIsExit73InTheUsersLanguage() throws {
        let run = try CLI.run(["check", "--report", "/proc/certdoctor-report", "--lang", "zh"])
        #expect(run.exitCode == 73)
        #expect(run.errors.contains("无法写入"))
    }

    @Test func textWrittenToAFileIsRedactedAndPrivate() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        _ = try CLI.run(["check", "--pfx", file.path, "--password-file", "pw", "-v", "--output", "out.txt"], in: directory)
        let out = directory.appendingPathComponent("out.txt")
        let text = try String(contentsOf: out, encoding: .utf8)
        #expect(text.contains("cert.pfx-readable"))
        #expect(text.contains("serial: <serial-1>"), "evidence is there (-v), with the serial replaced")
        #expect(!text.contains("serial: 1000"))
        #expect(try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int == 0o600)
    }
}
