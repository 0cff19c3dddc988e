import Foundation

/// A real pcscd in the foreground with vsmartcard's vpcd reader driver, and virtual cards made by
/// `Emulator/vcard.py`. pcscd's socket path is compiled in (`/run/pcscd`), so one stack runs per
/// machine: a file lock serialises every test that starts one, across suites and processes.
package final class PCSCStack: @unchecked Sendable {
    package enum Failure: Error, CustomStringConvertible {
        case foreignService(pid: Int32)
        case notReady(String)
        package var description: String {
            switch self {
            case let .foreignService(pid): "a pcscd not started by the tests is running (pid \(pid)); stop it first"
            case let .notReady(what): what
            }
        }
    }

    package static let runDirectory = "/run/pcscd"
    package static let socketPath = runDirectory + "/pcscd.comm"
    package static let vpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
    package static let statePrefix = "certdoctor-pcscd"
    /// vpcd's first port; the second reader listens on the next one.
    package static let vpcdPort = 35963

    private let state: URL
    private let daemon: SpawnedProcess
    private let lock: StackLock
    private(set) var cards: [Int: VirtualCard] = [:]
    private var stopped = false

    /// Starts pcscd with the two vpcd readers (`withReaders`) or with no reader at all.
    package static func start(withReaders: Bool = true) async throws -> PCSCStack {
        let lock = try await StackLock.acquire()
        do {
            try stopLeftoverStack()
            let state = try ExternalProcess.temporaryDirectory(statePrefix)
            // pcscd parses every regular file in its -c directory, so the log lives beside it.
            let configuration = state.appendingPathComponent("reader.conf.d")
            try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
            if withReaders {
                let entry = """
                FRIENDLYNAME "Virtual PCD"
                DEVICENAME   /dev/null:0x\(String(vpcdPort, radix: 16, uppercase: true))
                LIBPATH      \(vpcdDriver)
                CHANNELID    0x\(String(vpcdPort, radix: 16, uppercase: true))

                """
                try entry.write(to: configuration.appendingPathComponent("vpcd"), atomically: true, encoding: .utf8)
            }
            // No --auto-exit: it stops pcscd after 60 s even with cards inserted.
            let daemon = try SpawnedProcess(
                "/usr/sbin/pcscd", ["--foreground", "--info", "-c", configuration.path],
                output: state.appendingPathComponent("pcscd.log").path
            )
            let stack = PCSCStack(state: state, daemon: daemon, lock: lock)
            try await stack.waitForService()
            return stack
        } catch {
            lock.release()
            throw error
        }
    }

    /// Holds the machine's PC/SC slot with no pcscd running: the "service not running" host.
    @discardableResult
    package static func withoutService<T>(_ body: () async throws -> T) async throws -> T {
        let lock = try await StackLock.acquire()
        defer { lock.release() }
        try stopLeftoverStack()
        return try await body()
    }

    /// Puts a socket at pcscd's address that accepts connections and never answers: a service
    /// that is installed but hung. (pcsc-lite reads PCSCLITE_CSOCK_NAME once per process, so the
    /// default address is used here rather than moving the client.)
    @discardableResult
    package static func withHungService<T>(_ body: () async throws -> T) async throws -> T {
        try await withoutService {
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: socketPath)
            let state = try ExternalProcess.temporaryDirectory(statePrefix)
            let ready = state.appendingPathComponent("listening")
            let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
            open(sys.argv[2], "w").close()
            held = []
            while True:
                held.append(s.accept()[0])
            """
            let server = try SpawnedProcess(
                TestEnvironment.python, (TestEnvironment.python.hasSuffix("env") ? ["python3"] : []) + ["-c", script, socketPath, ready.path]
            )
            defer {
                server.terminate()
                try? FileManager.default.removeItem(atPath: socketPath)
                try? FileManager.default.removeItem(at: state)
            }
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: ready.path) {
                try await Task.sleep(for: .milliseconds(25))
            }
            return try await body()
        }
    }

    private init(state: URL, daemon: SpawnedProcess, lock: StackLock) {
        self.state = state
        self.daemon = daemon
        self.lock = lock
    }

    deinit {
        stop()
    }

    /// Inserts a virtual card with `atr` into reader `slot` (0 or 1) and waits until pcscd has read it.
    @discardableResult
    package func insertCard(slot: Int, atr: String, pivCertificate: URL? = nil) async throws -> VirtualCard {
        let card = try await VirtualCard.insert(port: Self.vpcdPort + slot, atr: atr, pivCertificate: pivCertificate, state: state)
        cards[slot] = card
        return card
    }

    package func removeCard(slot: Int) {
        cards.removeValue(forKey: slot)?.remove()
    }

    package func stop() {
        guard !stopped else { return }
        stopped = true
        for card in cards.values { card.remove() }
        cards.removeAll()
        daemon.terminate()
        try? FileManager.default.removeItem(at: state)
        lock.release()
    }

    private func waitForService() async throws {
        let pid = daemon.pid
        for _ in 0..<200 {
            guard daemon.isRunning else {
                let log = (try? String(contentsOf: state.appendingPathComponent("pcscd.log"), encoding: .utf8)) ?? ""
                throw Failure.notReady("pcscd exited at start: \(log)")
            }
            if Self.runningDaemon() == pid, FileManager.default.fileExists(atPath: Self.socketPath) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        let log = (try? String(contentsOf: state.appendingPathComponent("pcscd.log"), encoding: .utf8)) ?? ""
        throw Failure.notReady("pcscd did not create \(Self.socketPath) within 5 s (pid file: \(Self.runningDaemon().map(String.init) ?? "none"), ours: \(pid)): \(log)")
    }

    /// The pid in pcscd's pid file if that process is alive (a zombie counts as dead).
    package static func runningDaemon() -> Int32? {
        guard let text = try? String(contentsOfFile: runDirectory + "/pcscd.pid", encoding: .utf8),
              // pcscd writes the pid followed by a newline and a NUL.
              let pid = Int32(String(text.prefix { $0.isNumber })),
              let stat = procFile("/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) })
        else { return nil }
        let fields = stat.split(separator: ")").last?.split(separator: " ")
        return fields?.first == "Z" ? nil : pid
    }

    /// procfs files report size 0, so they are read to EOF rather than by their size.
    private static func procFile(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd()
    }

    /// Stops a pcscd that a test started as a daemon (a fix under test), found by its configuration
    /// directory's name; any other pcscd is left alone.
    package static func stopStartedByTests() {
        try? stopLeftoverStack()
    }

    /// A pcscd left by an earlier test run that crashed is recognised by its configuration
    /// directory and stopped; any other pcscd belongs to someone else and is left alone.
    private static func stopLeftoverStack() throws {
        guard let pid = runningDaemon() else { return }
        let commandLine = procFile("/proc/\(pid)/cmdline").map {
            String(decoding: $0.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        } ?? ""
        guard commandLine.contains(statePrefix) else { throw Failure.foreignService(pid: pid) }
        kill(pid, SIGTERM)
        for _ in 0..<100 where runningDaemon() == pid {
            usleep(20_000)
        }
    }
}

/// One emulator process: the card is in the reader while it runs.
package final class VirtualCard: @unchecked Sendable {
    private let process: SpawnedProcess

    private init(process: SpawnedProcess) {
        self.process = process
    }

    package static func insert(port: Int, atr: String, pivCertificate: URL?, state: URL) async throws -> VirtualCard {
        let ready = state.appendingPathComponent("card-\(port).ready")
        try? FileManager.default.removeItem(at: ready)
        let python = TestEnvironment.python
        var arguments = [TestEnvironment.emulatorScript.path, "--port", String(port), "--atr", atr, "--ready-file", ready.path]
        if python.hasSuffix("env") { arguments.insert("python3", at: 0) }
        if let pivCertificate { arguments += ["--piv-cert", pivCertificate.path] }
        let process = try SpawnedProcess(python, arguments, output: state.appendingPathComponent("card-\(port).log").path)
        let card = VirtualCard(process: process)
        // The ready file appears when vpcd first asks for the ATR; pcscd publishes the reader's
        // new state on its next 400 ms poll.
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: ready.path) {
                try await Task.sleep(for: .milliseconds(150))
                return card
            }
            guard process.isRunning else { throw PCSCStack.Failure.notReady("the card emulator exited (port \(port))") }
            try await Task.sleep(for: .milliseconds(25))
        }
        card.remove()
        throw PCSCStack.Failure.notReady("pcscd did not read the virtual card on port \(port) within 5 s")
    }

    package func remove() {
        process.terminate()
    }
}

/// An exclusive lock on a file in /tmp, shared by every test process that starts pcscd.
package final class StackLock: @unchecked Sendable {
    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    package static func acquire() async throws -> StackLock {
        let descriptor = open("/tmp/certdoctor-pcscd-tests.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PCSCStack.Failure.notReady("cannot open the pcscd test lock") }
        // Polling with LOCK_NB keeps the waiting off a blocked thread.
        for _ in 0..<6000 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return StackLock(descriptor: descriptor) }
            try await Task.sleep(for: .milliseconds(50))
        }
        close(descriptor)
        throw PCSCStack.Failure.notReady("another test held the pcscd lock for 5 minutes")
    }

    package func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }
}
