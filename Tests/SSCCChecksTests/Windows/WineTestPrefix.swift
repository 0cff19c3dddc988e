import Foundation
import Testing

/// One real Wine prefix for the whole test run: created once (about 11 s) under a file lock in the temp
/// directory, its three hives saved as a template, and restored from the template before each test. Wine is
/// a real component here; nothing is mocked.
enum WineTestPrefix {
    static let hiveNames = ["system.reg", "user.reg", "userdef.reg"]

    static var directory: URL {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        return URL(fileURLWithPath: base).appendingPathComponent("certdoctor-windows-tests-\(getuid())")
    }

    static var prefix: URL { directory.appendingPathComponent("prefix") }
    static var template: URL { directory.appendingPathComponent("template") }

    static var wineEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["WINEPREFIX"] = prefix.path
        environment["WINEDEBUG"] = "-all"
        environment["WINEDLLOVERRIDES"] = "mscoree,mshtml="
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = "C.UTF-8"
        environment.removeValue(forKey: "DISPLAY")
        return environment
    }

    static var wineIsInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/wine") }

    /// Serialises the tests that use the prefix across test processes and suites.
    static func withPrefix<T>(_ body: (URL) throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lockFD = open(directory.appendingPathComponent("lock").path, O_CREAT | O_RDWR, 0o600)
        guard lockFD >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        defer { flock(lockFD, LOCK_UN) }
        try reset()
        return try body(prefix)
    }

    /// Makes sure the prefix exists, no server runs for it, and its hives equal the template.
    static func reset() throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: template.appendingPathComponent("user.reg").path) {
            try? manager.removeItem(at: prefix)
            try run(["wineboot", "-i"])
            try run(["wineserver", "-w"])
            try? manager.removeItem(at: template)
            try manager.createDirectory(at: template, withIntermediateDirectories: true)
            for name in hiveNames {
                try manager.copyItem(at: prefix.appendingPathComponent(name), to: template.appendingPathComponent(name))
            }
        }
        stopServer()
        for name in hiveNames {
            let data = try Data(contentsOf: template.appendingPathComponent(name))
            try data.write(to: prefix.appendingPathComponent(name))
        }
    }

    /// `wineserver -k` saves the hives and exits; `-w` waits until it has.
    static func stopServer() {
        _ = try? run(["wineserver", "-k"])
        _ = try? run(["wineserver", "-w"])
    }

    /// A persistent wineserver, as a running Wine program keeps one, in the foreground (`-f`) so that it is
    /// this process's child and `stopServer()` ends it.
    static func startServer() throws -> Process {
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

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = wineEnvironment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: outData, stderr: errData)
    }

    /// `wine …`, then the server is stopped so the hives on disk are final.
    @discardableResult
    static func wine(_ arguments: [String]) throws -> Result {
        let result = try run(["wine"] + arguments)
        stopServer()
        return result
    }

    /// Imports `.reg` files the way a person would, with Wine's own `reg import`, as 64-bit regedit on Windows
    /// imports an export: into the native view, with `Wow6432Node` paths as written. `/reg:64` says so because
    /// with wine32 installed Debian's `wine` is the 32-bit loader, whose `reg` would redirect every
    /// `HKLM\Software` key into `Wow6432Node`.
    static func importFiles(_ files: [URL]) throws {
        for file in files where file.pathExtension.lowercased() == "reg" {
            let result = try run(["wine", "reg", "import", file.path, "/reg:64"])
            #expect(result.status == 0, "wine reg import \(file.lastPathComponent): \(String(decoding: result.stderr, as: UTF8.self))")
        }
        stopServer()
    }

    /// Files a fixture keeps under `drive_c/` (a control's DLL) go to the same place in the prefix; returns
    /// what was copied so that the test can take it away again.
    static func copyDriveFiles(of fixture: URL) throws -> [URL] {
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

    static func hive(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: prefix.appendingPathComponent(name)))
    }
}
