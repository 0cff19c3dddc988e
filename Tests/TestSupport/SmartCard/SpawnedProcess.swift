import Foundation

/// A child process spawned with a clean signal mask.
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and the test runner's
/// threads block nearly every signal, so pcscd and the emulators started that way never see
/// SIGTERM. posix_spawn with an empty mask and default dispositions gives them normal signals.
/// Named apart from CertDoctorCore's `ChildProcess` so that the harness also compiles into test
/// targets that import CertDoctorCore and use that one (the CLI tests).
package final class SpawnedProcess: @unchecked Sendable {
    package let pid: pid_t
    private let lock = NSLock()
    private var exited = false

    package init(_ executable: String, _ arguments: [String], output: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let sink = output ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, sink, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard code == 0 else {
            throw PCSCStack.Failure.notReady("cannot start \(executable): \(String(cString: strerror(code)))")
        }
        pid = child
    }

    deinit {
        terminate()
    }

    package var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !reap(block: false)
    }

    /// SIGTERM, then SIGKILL after 5 s; always reaps the child so no zombie is left.
    package func terminate() {
        lock.lock()
        defer { lock.unlock() }
        if exited { return }
        kill(pid, SIGTERM)
        for _ in 0..<250 {
            if reap(block: false) { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        _ = reap(block: true)
    }

    private func reap(block: Bool) -> Bool {
        if exited { return true }
        var status: Int32 = 0
        let result = waitpid(pid, &status, block ? 0 : WNOHANG)
        if result == pid || (result < 0 && errno == ECHILD) { exited = true }
        return exited
    }
}
