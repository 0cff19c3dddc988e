import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Wine prefix for the tests: created once (about 11 s) under a file lock in the temp directory, its
/// three hives saved as a template, and restored from the template before each use. Wine is a real component
/// here; nothing is mocked. The registry codec tests and the check and CLI tests each have their own prefix,
/// so that the codec tests, which hold the lock only while the prefix is reset, never meet another's reset.
public struct WineTestPrefix: Sendable {
    /// The codec tests: a suite of them keeps a persistent server running while others run `wine`, so after
    /// `wine …` they wait for the server to exit by itself instead of stopping that suite's server.
    public static let registry = WineTestPrefix(name: "registry", afterWine: .waitForServerExit)
    /// The check and CLI tests, which hold the lock throughout: after `wine …` the server is stopped at once.
    public static let windows = WineTestPrefix(name: "windows", afterWine: .stopServer)

    /// What `wine(_:)` does once the program ends, so that the hives on disk are final when it returns.
    public enum AfterWine: Sendable {
        case waitForServerExit
        case stopServer
    }

    public static let hiveNames = ["system.reg", "user.reg", "userdef.reg"]
    public static var wineIsInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/wine") }

    public let directory: URL
    public let afterWine: AfterWine

    public init(name: String, afterWine: AfterWine) {
        self.afterWine = afterWine
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        directory = URL(fileURLWithPath: base).appendingPathComponent("certdoctor-\(name)-tests-\(getuid())")
    }

    public var prefix: URL { directory.appendingPathComponent("prefix") }
    public var template: URL { directory.appendingPathComponent("template") }

    public var wineEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["WINEPREFIX"] = prefix.path
        environment["WINEDEBUG"] = "-all"
        environment["WINEDLLOVERRIDES"] = "mscoree,mshtml="
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = "C.UTF-8"
        environment.removeValue(forKey: "DISPLAY")
        return environment
    }

    /// Runs `body` on the reset prefix, holding the lock that serialises its users across test processes and suites.
    public func withPrefix<T>(_ body: (URL) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lockFD = open(directory.appendingPathComponent("lock").path, O_CREAT | O_RDWR, 0o600)
        guard lockFD >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        defer { flock(lockFD, LOCK_UN) }
        try reset()
        return try body(prefix)
    }

    /// Resets the prefix under the lock and returns it; the caller then uses it without the lock.
    public func prepare() throws -> URL {
        try withPrefix { $0 }
    }

    /// Makes sure the prefix exists, no server runs for it, and its hives equal the template.
    public func reset() throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: template.appendingPathComponent("user.reg").path) {
            try? manager.removeItem(at: prefix)
            try run(["wineboot", "-i"])
            try run(["wineserver", "-w"])
            try? manager.removeItem(at: template)
            try manager.createDirectory(at: template, withIntermediateDirectories: true)
            for name in Self.hiveNames {
                try manager.copyItem(at: prefix.appendingPathComponent(name), to: template.appendingPathComponent(name))
            }
        }
        stopServer()
        for name in Self.hiveNames {
            let data = try Data(contentsOf: template.appendingPathComponent(name))
            try data.write(to: prefix.appendingPathComponent(name))
        }
    }

    /// `wineserver -k` saves the hives and exits; `-w` waits until it has.
    public func stopServer() {
        _ = try? run(["wineserver", "-k"])
        _ = try? run(["wineserver", "-w"])
    }

    /// A persistent wineserver, as a running Wine program keeps one, in the foreground (`-f`) so that it is
    /// this process's child and `stopServer()` ends it.
    public func startServer() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wineserver", "-f", "-p"]
        process.environment = wineEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// A Wine tool that did not do what a test set up with it needs.
    public struct CommandFailed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs a Wine tool (wine, wineboot, wineserver) against the prefix, or with `environment` instead.
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let output = try FileCapturedRun.run(arguments, environment: environment ?? wineEnvironment, scratch: directory)
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }

    /// `wine …`, then the server waited for or stopped (`afterWine`), so that the hives on disk are final.
    @discardableResult
    public func wine(_ arguments: [String]) throws -> Result {
        let result = try run(["wine"] + arguments)
        switch afterWine {
        case .waitForServerExit: try run(["wineserver", "-w"])
        case .stopServer: stopServer()
        }
        return result
    }

    /// Imports `.reg` files the way a person would, with Wine's own `reg import`, as 64-bit regedit on Windows
    /// imports an export: into the native view, with `Wow6432Node` paths as written. `/reg:64` says so because
    /// with wine32 installed Debian's `wine` is the 32-bit loader, whose `reg` would redirect every
    /// `HKLM\Software` key into `Wow6432Node`. A file Wine refuses stops the test: its fixture is not in place.
    public func importFiles(_ files: [URL]) throws {
        for file in files where file.pathExtension.lowercased() == "reg" {
            let result = try run(["wine", "reg", "import", file.path, "/reg:64"])
            guard result.status == 0 else {
                stopServer()
                throw CommandFailed(description: "wine reg import \(file.lastPathComponent): \(String(decoding: result.stderr, as: UTF8.self))")
            }
        }
        stopServer()
    }

    /// Files a fixture keeps under `drive_c/` (a control's DLL) go to the same place in the prefix; returns
    /// what was copied so that the test can take it away again.
    public func copyDriveFiles(of fixture: URL) throws -> [URL] {
        let source = fixture.appendingPathComponent("drive_c")
        guard FileManager.default.fileExists(atPath: source.path) else { return [] }
        let enumerator = FileManager.default.enumerator(at: source, includingPropertiesForKeys: [.isDirectoryKey])
        var copied: [URL] = []
        for case let file as URL in enumerator?.allObjects ?? [] where !file.hasDirectoryPath {
            let relative = String(file.path.dropFirst(source.path.count + 1))
            let target = prefix.appendingPathComponent("drive_c").appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: file, to: target)
            copied.append(target)
        }
        return copied
    }

    public func hive(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: prefix.appendingPathComponent(name)))
    }
}
