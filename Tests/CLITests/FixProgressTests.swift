import CertDoctorCore
import Foundation
import Testing
import TestSupport

/// `fix` tells a person at a terminal which step is running when a step runs a program (a Wine import of the
/// certificate takes seconds), and says nothing of it in a machine format, terminal or not.
@Suite(.serialized) struct FixProgressTests {
    /// Runs certdoctor on a new pseudo-terminal and prints everything it wrote there, stdout and stderr alike.
    static let driver = PseudoTerminal.driver(#"""
        program, workdir, arguments = sys.argv[1], sys.argv[2], sys.argv[3:]
        pid, master, slave = start(program, arguments, workdir)
        os.close(slave)
        seen, deadline = b"", time.time() + 150
        while time.time() < deadline:
            try: chunk = os.read(master, 4096)
            except OSError: break
            if not chunk: break
            seen += chunk
        _, status = os.waitpid(pid, 0)
        sys.stdout.write("exit=%d\n" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1))
        sys.stdout.write(seen.decode("utf-8", "replace"))
        """#)

    func fixOnATerminal(format: String) throws -> String {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine, wine32 and gcc-mingw-w64-i686-win32")
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        return try WineTestPrefix.windows.withPrefix { prefix in
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = directory.path
            environment["NO_COLOR"] = "1"
            environment.removeValue(forKey: "WINEPREFIX")
            let arguments = ["fix", "--wine-prefix", prefix.path, "--pfx", file.lastPathComponent,
                             "--password-file", "pw", "--only", "certificate,store.personal-cert", "--yes", "--lang", "en", "--format", format]
            let run = try ChildProcess.run(
                "/usr/bin/python3", arguments: ["-c", Self.driver, CLI.executable, directory.path] + arguments,
                environment: environment, deadline: Date().addingTimeInterval(180))
            WineTestPrefix.windows.stopServer()
            return run.outputText + run.errorText
        }
    }

    @Test func aTerminalIsToldOfTheWineImportAsItRuns() throws {
        let output = try fixOnATerminal(format: "text")
        #expect(output.hasPrefix("exit=0"), "\(output)")
        // A terminal ends lines with CR LF, which Swift reads as one character.
        let progress = output.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("  … ") }
        #expect(progress.count == 1 && progress[0].contains("certstore.exe"), "\(output)")
    }

    @Test func aMachineFormatGetsNoProgressEvenOnATerminal() throws {
        let output = try fixOnATerminal(format: "json")
        #expect(output.hasPrefix("exit=0"), "\(output)")
        #expect(output.contains("\"ready_to_renew\""), "\(output)")
        #expect(!output.contains("… "), "\(output)")
    }
}
