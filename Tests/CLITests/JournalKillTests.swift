import CertDoctorCore
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The journal's promises when `fix` or `undo` is interrupted, checked on the real executable: killed at chosen
/// points and at random moments.
///
/// The random tests kill 100 times each (about 20 s). `CERTDOCTOR_KILL_ROUNDS=1000` runs the longer variant;
/// `CERTDOCTOR_KILL_SEED` repeats a failing run, whose seed the failure message names.
@Suite struct JournalKillTests {
    static var rounds: Int { ProcessInfo.processInfo.environment["CERTDOCTOR_KILL_ROUNDS"].flatMap(Int.init) ?? 100 }

    /// Reproducible delays: a failure names its seed.
    static func generator() -> (SplitMix64, UInt64) {
        let seed = ProcessInfo.processInfo.environment["CERTDOCTOR_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        return (SplitMix64(seed: seed), seed)
    }

    static func isolated(_ home: URL) -> [String: String] {
        ["HOME": home.path, "XDG_STATE_HOME": home.appendingPathComponent("state").path,
         "PCSCLITE_CSOCK_NAME": home.appendingPathComponent("no-pcscd.comm").path, "LANG": "en_US.UTF-8"]
    }

    /// A Wine prefix as Wine leaves it before anything is installed: the zone-actions fix sets four values in
    /// its `user.reg`, through four steps.
    static func prefixWorkspace() throws -> (home: URL, prefix: URL) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-kill-" + UUID().uuidString)
        let prefix = home.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win32\n".utf8)
            .write(to: prefix.appendingPathComponent("system.reg"))
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000\n\n#arch=win32\n".utf8)
            .write(to: prefix.appendingPathComponent("user.reg"))
        return (home, prefix)
    }

    static let zoneFix = ["fix", "--only", "browser.zone-actions", "--yes", "--lang", "en"]

    /// A hive without its save times, which differ from run to run.
    static func withoutTimes(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("#time=") }
            .map { line in line.hasPrefix("[") ? String(line[...(line.lastIndex(of: "]") ?? line.startIndex)]) : String(line) }
            .joined(separator: "\n")
    }

    /// The fixed hive without its times, and how long the whole fix took: the writes come at its end.
    static func fullyFixedUserHive() throws -> String {
        try fullyFixedUserHiveAndDuration().hive
    }

    static func fullyFixedUserHiveAndDuration() throws -> (hive: String, duration: Double) {
        let (home, prefix) = try prefixWorkspace()
        let started = Date()
        let run = try CLI.run(zoneFix + ["--wine-prefix", prefix.path], in: home, environment: isolated(home))
        let duration = Date().timeIntervalSince(started)
        #expect(run.status == .exited(1), "the fix runs; other checks keep the verdict 'not ready'")
        let hive = withoutTimes(try readBytes(prefix.appendingPathComponent("user.reg")))
        for action in ["2201", "1004", "1803", "2200"] { #expect(hive.contains("\"\(action)\"=dword:00000000")) }
        return (hive, duration)
    }

    /// Runs the executable through a shell that kills it after `delay` seconds.
    static func killed(after delay: Double, _ arguments: [String], in directory: URL, environment: [String: String]) throws {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let command = "cd '\(directory.path)' && '\(CLI.executable)' \(quoted) >/dev/null 2>&1 & pid=$!; sleep \(String(format: "%.4f", delay)); kill -9 $pid 2>/dev/null; wait $pid"
        _ = try ChildProcess.run("/bin/sh", arguments: ["-c", command], environment: environment.merging(["PATH": "/usr/bin:/bin", "NO_COLOR": "1"]) { $1 },
                                 deadline: Date().addingTimeInterval(60))
    }

    // MARK: - Item 9: all edits of one file in one replacement

    /// Killed right after the first replacement: four steps editing `user.reg` used to leave one value set.
    @Test func killedAfterTheFirstReplacementTheHiveHasAllFourValuesOrNone() throws {
        let fixed = try Self.fullyFixedUserHive()
        let (home, prefix) = try Self.prefixWorkspace()
        let hive = prefix.appendingPathComponent("user.reg")
        let original = try readBytes(hive)
        let run = try CLI.run(Self.zoneFix + ["--wine-prefix", prefix.path], in: home,
                              environment: Self.isolated(home).merging(["CERTDOCTOR_FAULT_INJECTION": "after-first-replace"]) { $1 })
        #expect(run.status == .signalled(9))
        let now = try readBytes(hive)
        #expect(now == original || Self.withoutTimes(now) == fixed, "partly fixed: \(String(decoding: now, as: UTF8.self))")
        let undo = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
        #expect(undo.exitCode == 0, "\(undo.errors)")
        #expect(try readBytes(hive) == original)
    }

    @Test func killedAtRandomMomentsTheHiveIsOriginalOrWhollyFixed() throws {
        let (fixed, duration) = try Self.fullyFixedUserHiveAndDuration()
        var (random, seed) = Self.generator()
        var outcomes = (original: 0, fixed: 0)
        var kills = KillRecord()
        for round in 0..<Self.rounds {
            let (home, prefix) = try Self.prefixWorkspace()
            let hive = prefix.appendingPathComponent("user.reg")
            let original = try readBytes(hive)
            // Odd rounds: a random moment of the write, once the journal says it began (within 0.5 ms: a fix now
            // writes the hive from its mapping and the edited sections, and compares identities instead of reading,
            // so its write is over in about a millisecond). Even rounds: most kills in
            // the run's second half, where the journal writes, some anywhere, some after the end.
            let arguments = Self.zoneFix + ["--wine-prefix", prefix.path]
            let moment: String
            if round % 2 == 1 {
                moment = "in the write"
                try KillRecord.killedWhileWriting(arguments, in: home, environment: Self.isolated(home), within: 0.0005, using: &random) {
                    KillLanding.ofFix(journalIn: Self.isolated(home)) == .midWrite
                }
            } else {
                let delay = round % 4 == 0 ? Double.random(in: 0...(duration * 1.2), using: &random)
                    : Double.random(in: (duration * 0.5)...(duration * 1.1), using: &random)
                moment = "after \(delay) s"
                try Self.killed(after: delay, arguments, in: home, environment: Self.isolated(home))
            }
            kills.record(KillLanding.ofFix(journalIn: Self.isolated(home)))
            let now = try readBytes(hive)
            if now == original { outcomes.original += 1 } else if Self.withoutTimes(now) == fixed { outcomes.fixed += 1 } else {
                Issue.record("round \(round), seed \(seed), killed \(moment): user.reg is partly fixed:\n\(String(decoding: now, as: UTF8.self))")
            }
            // Every tenth round: whatever the kill left, undo brings the original back.
            if round % 10 == 0 {
                let undo = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
                #expect(undo.exitCode == 0 || undo.errors.contains("no entry to undo"), "round \(round), seed \(seed): \(undo.errors)")
                #expect(try readBytes(hive) == original, "round \(round), seed \(seed)")
            }
            try? FileManager.default.removeItem(at: home)
        }
        print("kills: \(outcomes.original) left the original, \(outcomes.fixed) the fixed hive; \(kills.summary) (seed \(seed))")
        // Half the rounds kill in the write; at least half of those must have landed in it.
        #expect(kills.midWrite >= Self.rounds / 4, "too few kills landed while the hive was being replaced: \(kills.summary) (seed \(seed))")
    }

    // MARK: - Item 10: an interrupted undo is finished by the next

    /// Several files of some tens of kilobytes each, fixed through the journal in this process: the undo the
    /// tests interrupt has something to be interrupted in.
    static func fixedFiles(count: Int = 4) throws -> (home: URL, files: [URL], originals: [[UInt8]]) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-undo-kill-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var files: [URL] = [], originals: [[UInt8]] = []
        for index in 0..<count {
            let file = home.appendingPathComponent("file-\(index).bin")
            let bytes = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* (index + 3)) }
            try Data(bytes).write(to: file)
            files.append(file)
            originals.append(bytes)
        }
        let steps = files.map { file in
            FixStep(description: Localized(verbatim: "rewrite \(file.lastPathComponent)"), touches: [file]) { writer in
                try writer.replace(file, with: Array(repeating: 0x5A, count: 50_000))
            }
        }
        let journal = Journal(directory: Journal.defaultDirectory(isolated(home)))
        let application = try journal.apply([FixPlan(checkID: "t.many", summary: Localized(verbatim: "rewrite"), steps: steps)], command: "fix")
        #expect(application.errors.isEmpty)
        return (home, files, originals)
    }

    @Test func undoKilledAfterItsFirstRestoreIsFinishedByTheNext() throws {
        let (home, files, originals) = try Self.fixedFiles()
        let killed = try CLI.run(["undo"], in: home, environment: Self.isolated(home).merging(["CERTDOCTOR_FAULT_INJECTION": "after-first-restore"]) { $1 })
        #expect(killed.status == .signalled(9))
        #expect(try readBytes(files[0]) == originals[0])
        #expect(try readBytes(files[1]) != originals[1], "killed after the first file only")
        let resumed = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
        #expect(resumed.exitCode == 0, "\(resumed.errors)")
        for (file, original) in zip(files, originals) { #expect(try readBytes(file) == original, "\(file.lastPathComponent)") }
        let list = try CLI.run(["undo", "--list"], in: home, environment: Self.isolated(home))
        #expect(list.output.contains("undone"))
    }

    @Test func undoKilledAtRandomMomentsIsFinishedByTheNext() throws {
        var (random, seed) = Self.generator()
        var interrupted = 0
        var kills = KillRecord()
        for round in 0..<Self.rounds {
            let (home, files, originals) = try Self.fixedFiles()
            // Odd rounds: a random moment of the restores, once the journal says the undo began (within 0.5 ms: a
            // restore renames the hard-linked backup into place, and the restores are over in a few milliseconds;
            // aimed up to 50 ms, only 13 of 50 kills landed in them on a loaded machine). Even rounds: any moment.
            let delay = Double.random(in: 0...0.05, using: &random)
            let moment = round % 2 == 1 ? "up to 0.5 ms into the restores" : "after \(delay) s"
            if round % 2 == 1 {
                try KillRecord.killedWhileWriting(["undo"], in: home, environment: Self.isolated(home), within: 0.0005, using: &random) {
                    KillLanding.ofUndo(journalIn: Self.isolated(home)) == .midWrite
                }
            } else {
                try Self.killed(after: delay, ["undo"], in: home, environment: Self.isolated(home))
            }
            kills.record(KillLanding.ofUndo(journalIn: Self.isolated(home)))
            let journal = Journal(directory: Journal.defaultDirectory(Self.isolated(home)))
            if journal.entries().last?.state != .undone {
                interrupted += 1
                let final = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
                #expect(final.exitCode == 0, "round \(round), seed \(seed), killed \(moment): \(final.errors)")
            }
            for (file, original) in zip(files, originals) {
                #expect(try readBytes(file) == original, "round \(round), seed \(seed), killed \(moment): \(file.lastPathComponent)")
            }
            let temporaries = try FileManager.default.contentsOfDirectory(atPath: home.path).filter { $0.hasPrefix(AtomicFile.temporaryPrefix) }
            #expect(temporaries.isEmpty, "round \(round), seed \(seed): a killed undo's temporary file is cleaned up by the next")
            try? FileManager.default.removeItem(at: home)
        }
        print("undo kills: \(interrupted) of \(Self.rounds) left the undo unfinished; \(kills.summary) (seed \(seed))")
        #expect(kills.midWrite >= Self.rounds / 4, "too few kills landed while the undo was restoring: \(kills.summary) (seed \(seed))")
    }

    // MARK: - Item 7: undo of a fix killed before it recorded what it left

    @Test func undoOfAnInterruptedFixRefusesAFileChangedSince() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let original = try readBytes(file)
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes"], in: directory,
                              environment: state.merging(["CERTDOCTOR_FAULT_INJECTION": "after-first-replace"]) { $1 })
        #expect(run.status == .signalled(9))
        #expect(try readBytes(file) != original, "killed after the replacement, before the entry said what it left")
        // Someone puts a newer certificate in place before anyone runs undo.
        let newer = try readBytes(CLI.fixtures.appendingPathComponent("pfx/good-3des/F000504Y0007#0.pfx"))
        try Data(newer).write(to: file)
        let refused = try CLI.run(["undo", "--lang", "en"], in: directory, environment: state)
        #expect(refused.exitCode == 1)
        #expect(refused.errors.contains("changed after the fix") && refused.errors.contains("--force"), "\(refused.errors)")
        #expect(try readBytes(file) == newer)
        let forced = try CLI.run(["undo", "--force"], in: directory, environment: state)
        #expect(forced.exitCode == 0)
        #expect(try readBytes(file) == original)
    }

    // MARK: - Item 13: a symlinked certificate is fixed at its target

    @Test func aSymlinkedCertificateIsFixedAtItsTargetAndTheLinkStays() throws {
        let (directory, real) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx", renameTo: "store-copy.pfx")
        let store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let target = store.appendingPathComponent("gateway.pfx")
        try FileManager.default.moveItem(at: real, to: target)
        let link = directory.appendingPathComponent("F000504Y0007#0.pfx")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "store/gateway.pfx")
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let original = try readBytes(target)

        let fixed = try CLI.run(["fix", "--pfx", link.lastPathComponent, "--password-file", "pw", "--yes", "--lang", "en"], in: directory, environment: state)
        #expect(fixed.exitCode == 0, "\(fixed.errors)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "store/gateway.pfx", "the link is still a link")
        #expect(try readBytes(target) != original)
        let check = try CLI.run(["check", "--pfx", link.lastPathComponent, "--password-file", "pw", "--format", "json"], in: directory)
        #expect(try check.outcome(of: "cert.pfx-compatibility") == "pass", "the target, read through the link, is fixed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path) == ["gateway.pfx"], "no temporary file left beside the target")

        let undo = try CLI.run(["undo", "--lang", "en"], in: directory, environment: state)
        #expect(undo.exitCode == 0, "\(undo.errors)")
        #expect(try readBytes(target) == original)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "store/gateway.pfx")
    }

    // MARK: - Item 8: no hive restored while its wineserver runs

    /// Holds the lock a wineserver holds on its server directory's `lock` file, as Wine does (an fcntl write
    /// lock), in the directory Debian's wine names through the prefix's `wineserver` file.
    final class PretendWineserver {
        let directory: URL
        let descriptor: Int32

        init(prefix: URL) throws {
            let name = "certdoctor-test-" + UUID().uuidString
            try Data(name.utf8).write(to: prefix.appendingPathComponent("wineserver"))
            var info = stat()
            guard stat(prefix.path, &info) == 0 else { throw CoreError.cannotRead(path: prefix.path, reason: "stat") }
            directory = URL(fileURLWithPath: "/tmp/" + name)
            let server = directory.appendingPathComponent("server-" + String(UInt64(info.st_dev), radix: 16) + "-" + String(UInt64(info.st_ino), radix: 16))
            try FileManager.default.createDirectory(at: server, withIntermediateDirectories: true)
            descriptor = open(server.appendingPathComponent("lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = 0
            lock.l_len = 1
            guard descriptor >= 0, fcntl(descriptor, F_SETLK, &lock) == 0 else { throw CoreError.cannotWrite(path: server.path, reason: "lock") }
        }

        func stop() {
            close(descriptor)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func undoRefusesToRestoreHivesWhileTheirWineserverRuns() throws {
        let (home, prefix) = try Self.prefixWorkspace()
        let hive = prefix.appendingPathComponent("user.reg")
        let original = try readBytes(hive)
        _ = try CLI.run(Self.zoneFix + ["--wine-prefix", prefix.path], in: home, environment: Self.isolated(home))
        let fixed = try readBytes(hive)
        #expect(fixed != original)

        let server = try PretendWineserver(prefix: prefix)
        let refused = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
        server.stop()
        #expect(refused.exitCode == 75, "\(refused.errors)")
        #expect(refused.errors.contains("wineserver (pid \(getpid()))"), "\(refused.errors)")
        #expect(try readBytes(hive) == fixed)

        let undo = try CLI.run(["undo", "--lang", "en"], in: home, environment: Self.isolated(home))
        #expect(undo.exitCode == 0, "\(undo.errors)")
        #expect(try readBytes(hive) == original)
    }
}

/// Item 12 end to end: the hive changes while `fix` waits for its "apply?" answer, so the plan was made for
/// bytes that are gone. The answer "y" must not write the plan's result over the other change.
@Suite struct PlanStalenessTests {
    static let driver = PseudoTerminal.driver(#"""
        program, workdir, prefix, hive, change = sys.argv[1:6]
        pid, master, slave = start(program, ["fix", "--wine-prefix", prefix, "--only", "browser.zone-actions", "--lang", "en"], workdir)
        # Only the child keeps the terminal's other end, so that reading ends when it exits.
        os.close(slave)
        seen = read_until(master, lambda seen: b"Apply these changes?" in seen)
        with open(hive, "ab") as f: f.write(change.encode())
        os.write(master, b"y\n")
        seen += read_until(master, lambda seen: False)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(seen.decode("utf-8", "replace"))
        print("\nexit=%s" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else "signal"))
        """#)

    @Test func aHiveChangedWhileTheQuestionWaitedIsNotWrittenAndTheExitIs75() throws {
        let (home, prefix) = try JournalKillTests.prefixWorkspace()
        let hive = prefix.appendingPathComponent("user.reg")
        let change = "\n[Software\\\\Another\\\\Run] 1796225542\n\"Value\"=dword:00000001\n"
        var environment = ProcessInfo.processInfo.environment.merging(JournalKillTests.isolated(home)) { $1 }
        environment["NO_COLOR"] = "1"
        environment.removeValue(forKey: "WINEPREFIX")
        let run = try ChildProcess.run(
            "/usr/bin/python3", arguments: ["-c", Self.driver, CLI.executable, home.path, prefix.path, hive.path, change],
            environment: environment, deadline: Date().addingTimeInterval(60))
        #expect(run.outputText.contains("Apply these changes?"), "\(run.outputText) \(run.errorText)")
        #expect(run.outputText.contains("exit=75"), "\(run.outputText)")
        #expect(run.outputText.contains("changed after the checks read it"), "\(run.outputText)")
        let hiveText = String(decoding: try readBytes(hive), as: UTF8.self)
        #expect(hiveText.hasSuffix(change), "the other run's change is kept")
        #expect(!hiveText.contains("\"1004\""), "the plan's result was not written")
        #expect(Journal(directory: Journal.defaultDirectory(JournalKillTests.isolated(home))).entries().isEmpty)
    }
}
