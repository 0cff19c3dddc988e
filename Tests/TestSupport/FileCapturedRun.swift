import Foundation

/// Runs a program through `/usr/bin/env` with its output written to files, not pipes: Wine starts services
/// that inherit the descriptors and outlive `wine` itself, so reading a pipe to its end would wait for them.
/// The files live in `scratch` only while the program runs.
public enum FileCapturedRun {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        /// Empty when the errors went to `stdout` (`mergingErrors`).
        public var stderr: Data
    }

    public static func run(
        _ arguments: [String], environment: [String: String], scratch: URL, workingDirectory: URL? = nil,
        mergingErrors: Bool = false
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = workingDirectory
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let base = scratch.appendingPathComponent("output-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        for url in [outURL, errURL] where !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = mergingErrors ? out : err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(status: process.terminationStatus, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL))
    }
}
