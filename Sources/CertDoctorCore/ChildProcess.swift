internal import CSystemShims
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs another program with a deadline, in a process group of its own so that a hung program and anything it
/// started can be stopped together, and bound to certdoctor's life: if certdoctor dies, the program is killed.
/// Output is read while the program runs, so a full pipe never blocks it.
public enum ChildProcess {
    public struct Termination: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            case exited(Int32)
            case signalled(Int32)
            case timedOut
        }

        public var reason: Reason
        public var standardOutput: [UInt8]
        public var standardError: [UInt8]

        public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
        public var errorText: String { String(decoding: standardError, as: UTF8.self) }
    }

    public enum LaunchError: Error, Sendable, Equatable {
        case cannotStart(path: String, reason: String)
    }

    /// Output beyond this is dropped: evidence must stay bounded whatever a program prints.
    public static let outputLimit = 1 << 20

    /// `endGroupWhenDone`: once the program has exited, whatever it left running in its process group (a
    /// plugin's background job) is killed too, so nothing it started outlives the run.
    public static func run(
        _ executable: String, arguments: [String] = [], environment: [String: String],
        input: [UInt8] = [], deadline: Date, endGroupWhenDone: Bool = false
    ) throws(LaunchError) -> Termination {
        var stdinPipe: [Int32] = [0, 0]
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard makePipe(&stdinPipe), makePipe(&stdoutPipe), makePipe(&stderrPipe) else {
            throw .cannotStart(path: executable, reason: errnoText())
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child dies with us, kill -9 included (its parent-death signal), so that nothing it does — a Wine
        // helper importing into a prefix — goes on after certdoctor and its journal have stopped.
        var pid = pid_t()
        func spawn() -> Int32 {
            cd_spawn_bound_to_parent(executable, argv, envp, stdinPipe[0], stdoutPipe[1], stderrPipe[1], &pid)
        }
        var status = spawn()
        // A file just written may still be open for writing in a child that another thread is starting
        // (it inherited the descriptor and has not reached exec yet); the kernel then says ETXTBSY for a moment.
        var attempts = 0
        while status == ETXTBSY && attempts < 200 {
            usleep(10_000)
            attempts += 1
            status = spawn()
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw .cannotStart(path: executable, reason: String(cString: strerror(status)))
        }
        writeInput(input, to: stdinPipe[1])

        var output: [UInt8] = []
        var errors: [UInt8] = []
        let timedOut = collect(stdout: stdoutPipe[0], stderr: stderrPipe[0], into: &output, &errors, deadline: deadline)
        close(stdoutPipe[0])
        close(stderrPipe[0])
        if timedOut {
            kill(-pid, SIGKILL)
            var ignored: Int32 = 0
            waitpid(pid, &ignored, 0)
            return Termination(reason: .timedOut, standardOutput: output, standardError: errors)
        }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        // The group keeps the leader's id after the leader is gone; its other members are the program's own.
        if endGroupWhenDone { kill(-pid, SIGKILL) }
        let reason: Termination.Reason =
            (waitStatus & 0x7f) == 0 ? .exited((waitStatus >> 8) & 0xff) : .signalled(waitStatus & 0x7f)
        return Termination(reason: reason, standardOutput: output, standardError: errors)
    }

    /// Both ends close on exec, so that programs started by other threads do not inherit them.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    private static func writeInput(_ input: [UInt8], to fd: Int32) {
        if !input.isEmpty {
            // Ignore a program that exits without reading: SIGPIPE would kill us.
            signal(SIGPIPE, SIG_IGN)
            input.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
        close(fd)
    }

    /// Reads both pipes until both are closed or the deadline passes; true when the deadline passed.
    private static func collect(
        stdout: Int32, stderr: Int32, into output: inout [UInt8], _ errors: inout [UInt8], deadline: Date
    ) -> Bool {
        var open = [stdout: true, stderr: true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.values.contains(true) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return true }
            var fds = open.filter(\.value).map { pollfd(fd: $0.key, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 1000)) + 1)
            if ready < 0 && errno != EINTR { return false }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    open[entry.fd] = false
                } else if entry.fd == stdout {
                    if output.count < outputLimit { output += buffer[0..<count] }
                } else if errors.count < outputLimit {
                    errors += buffer[0..<count]
                }
            }
        }
        return false
    }
}

extension ChildProcess.LaunchError: LocalizedMessage {
    public var localizedMessage: Localized {
        switch self {
        case .cannotStart(let path, let reason):
            Localized(zh: "无法启动 \(path)：\(reason)", en: "cannot start \(path): \(reason)")
        }
    }
}
