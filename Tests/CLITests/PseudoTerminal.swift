/// certdoctor on a new pseudo-terminal that is its controlling terminal, as a person at a terminal runs it,
/// driven by Python's `pty`: one opening that every terminal test shares, then the test's own steps.
enum PseudoTerminal {
    /// `start(program, arguments, workdir)` forks the program onto a new terminal and returns its pid and the
    /// terminal's two ends; `read_until(master, wanted)` reads the program's output until `wanted(output)`
    /// holds, the terminal closes, or 30 s pass, and returns what it read.
    static let opening = #"""
        import fcntl, os, pty, signal, sys, termios, time
        def start(program, arguments, workdir):
            master, slave = pty.openpty()
            pid = os.fork()
            if pid == 0:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2): os.dup2(slave, fd)
                os.chdir(workdir)
                os.execv(program, [program] + arguments)
            return pid, master, slave
        def read_until(master, wanted):
            seen, deadline = b"", time.time() + 30
            while not wanted(seen) and time.time() < deadline:
                try: chunk = os.read(master, 4096)
                except OSError: break
                if not chunk: break
                seen += chunk
            return seen
        """#

    /// The driver for `steps`, which follow the opening.
    static func driver(_ steps: String) -> String {
        opening + "\n" + steps
    }
}
