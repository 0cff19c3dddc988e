import Foundation
import Testing
@testable import WindowsRegistry

/// One real Wine prefix for the whole test run, created once (about 11 s) under a file lock in
/// the temp directory and reused by later runs; tests restore its three hives from a template
/// copy before they start. Wine is a real component here: nothing is mocked.
enum WineTestPrefix {
    static let hiveNames = ["system.reg", "user.reg", "userdef.reg"]

    static var directory: URL {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        return URL(fileURLWithPath: base).appendingPathComponent("certdoctor-registry-tests-\(getuid())")
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

    /// Makes sure the prefix exists and its hives equal the template; returns the prefix directory.
    static func prepare() throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lockFD = open(directory.appendingPathComponent("lock").path, O_CREAT | O_RDWR, 0o600)
        guard lockFD >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        defer { flock(lockFD, LOCK_UN) }
        let manager = FileManager.default
        if !manager.fileExists(atPath: template.appendingPathComponent("user.reg").path) {
            try? manager.removeItem(at: prefix)
            _ = try run(["wineboot", "-i"])
            _ = try run(["wineserver", "-w"])
            try? manager.removeItem(at: template)
            try manager.createDirectory(at: template, withIntermediateDirectories: true)
            for name in hiveNames {
                try manager.copyItem(at: prefix.appendingPathComponent(name), to: template.appendingPathComponent(name))
            }
        }
        _ = try? run(["wineserver", "-k"])
        _ = try? run(["wineserver", "-w"])
        for name in hiveNames {
            let data = try Data(contentsOf: template.appendingPathComponent(name))
            try data.write(to: prefix.appendingPathComponent(name))
        }
        return prefix
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a Wine tool (wine, wineboot, wineserver) against the test prefix.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = environment ?? wineEnvironment
        // Files, not pipes: services Wine starts inherit the descriptors and outlive `wine` itself,
        // so reading a pipe to its end would wait for them.
        let base = directory.appendingPathComponent("output-\(getpid())-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL))
    }

    /// `wine …` followed by `wineserver -w`, so the hives on disk are final when it returns.
    @discardableResult
    static func wine(_ arguments: [String]) throws -> Result {
        let result = try run(["wine"] + arguments)
        _ = try run(["wineserver", "-w"])
        return result
    }

    static func hive(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: prefix.appendingPathComponent(name)))
    }
}

/// Repository-relative paths (the shared real-world data sits beside the repository).
enum RepositoryPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let realWorldPolicies = repository.deletingLastPathComponent()
        .appendingPathComponent("shared/realworld/registry-pol")
}
