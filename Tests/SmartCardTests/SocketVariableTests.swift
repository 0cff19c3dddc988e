import Foundation
import Testing
import TestSupport
@testable import SmartCard

/// `PCSCLITE_CSOCK_NAME` pointed at a socket that accepts and never answers. pcsc-lite reads the
/// variable once per process, so the test runs its check in a fresh copy of this test process.
@Suite struct SocketVariableTests {
    static let childMarker = "CERTDOCTOR_HUNG_SOCKET_RESULT"

    static var isChild: Bool { ProcessInfo.processInfo.environment[childMarker] != nil }

    @Test(.enabled(if: !isChild, "runs only as the parent"))
    func aSocketThatNeverAnswersIsATimeout() async throws {
        let state = try ExternalProcess.temporaryDirectory("certdoctor-hung-socket")
        defer { try? FileManager.default.removeItem(at: state) }
        let socket = state.appendingPathComponent("pcscd.comm").path
        let listening = state.appendingPathComponent("listening").path
        let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
        open(sys.argv[2], "w").close()
        held = []
        while True:
            held.append(s.accept()[0])
        """
        let server = try SpawnedProcess(TestEnvironment.python, (TestEnvironment.python.hasSuffix("env") ? ["python3"] : []) + ["-c", script, socket, listening])
        defer { server.terminate() }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: listening) {
            try await Task.sleep(for: .milliseconds(25))
        }

        let result = state.appendingPathComponent("result").path
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["--testing-library", "swift-testing", "--filter", "SocketVariableTests/childSeesATimeout"]
        child.environment = ProcessInfo.processInfo.environment.merging(
            ["PCSCLITE_CSOCK_NAME": socket, Self.childMarker: result]) { _, new in new }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Should the library ever hang again, the child is killed rather than the test run hanging
        // (SIGKILL: the child inherits the runner's blocked SIGTERM).
        let pid = child.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        child.waitUntilExit()
        watchdog.cancel()
        let written = try String(contentsOfFile: result, encoding: .utf8)
        #expect(written == "timeout SCardEstablishContext")
    }

    @Test(.enabled(if: isChild, "runs only in the child process started by aSocketThatNeverAnswersIsATimeout"))
    func childSeesATimeout() async throws {
        let result = try #require(ProcessInfo.processInfo.environment[Self.childMarker])
        var outcome = "no error"
        do {
            _ = try await ReaderInventory.read(timeout: .seconds(1))
        } catch let .timeout(operation, _) {
            outcome = "timeout \(operation)"
        } catch {
            outcome = "\(error)"
        }
        try outcome.write(toFile: result, atomically: true, encoding: .utf8)
        #expect(outcome == "timeout SCardEstablishContext")
    }
}
