import CertDoctorCore
import Foundation
import Testing

/// A signal during the no-echo password prompt ends certdoctor with the terminal's echo back on: the person
/// who pressed Ctrl-C must not be left typing blind.
struct TerminalPromptTests {
    /// Runs certdoctor on a new pseudo-terminal as its controlling terminal, waits for the prompt, sends the
    /// signal, and prints whether echo is on afterwards and how the process ended.
    static let driver = PseudoTerminal.driver(#"""
        program, workdir, signame = sys.argv[1], sys.argv[2], sys.argv[3]
        pid, master, slave = start(program, ["check", "--pfx", "F000504Y0007#0.pfx", "--lang", "en"], workdir)
        seen = read_until(master, lambda seen: b"password" in seen.lower())
        time.sleep(0.3)
        echo_during = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
        os.kill(pid, getattr(signal, signame))
        _, status = os.waitpid(pid, 0)
        echo_after = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
        print("prompted=%s during=%s after=%s signaled=%s" % (b"password" in seen.lower(), echo_during, echo_after,
              os.WTERMSIG(status) if os.WIFSIGNALED(status) else "no"))
        """#)

    @Test(arguments: ["SIGINT", "SIGTERM"])
    func theTerminalGetsItsEchoBack(_ signal: String) throws {
        let (directory, _) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "CERTDOCTOR_PFX_PASSWORD")
        environment["HOME"] = directory.path
        environment["NO_COLOR"] = "1"
        let run = try ChildProcess.run(
            "/usr/bin/python3", arguments: ["-c", Self.driver, CLI.executable, directory.path, signal],
            environment: environment, deadline: Date().addingTimeInterval(60))
        let expectedSignal = signal == "SIGINT" ? "2" : "15"
        #expect(run.outputText.contains("prompted=True during=False after=True signaled=\(expectedSignal)"), "\(run.outputText) \(run.errorText)")
    }
}
