import Foundation

/// Runs command-line tools (openssl, softhsm2-util, pkcs11-tool) to build fixtures.
package enum ExternalProcess {
    package struct Failure: Error, CustomStringConvertible {
        package let command: String
        package let status: Int32
        package let output: String

        package init(command: String, status: Int32, output: String) {
            self.command = command
            self.status = status
            self.output = output
        }
        package var description: String { "\(command) exited \(status): \(output)" }
    }

    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus, output: output)
        }
        return output
    }

    package static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

package enum TestEnvironment {
    package static var isRoot: Bool { getuid() == 0 }

    /// The repository root: the nearest directory above this file holding Package.swift.
    package static let repositoryRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/", !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    package static let emulatorScript = repositoryRoot.appendingPathComponent("Tests/SmartCardTests/Emulator/vcard.py")
    package static let tokenProfile = repositoryRoot.appendingPathComponent("Checks/profiles/sscc-tokens.json")

    package static let ePass3003ATR = "3B 9F 95 81 31 FE 9F 00 66 46 53 05 32 02 25 71 DF 00 00 06 00 00 10"
    /// Another vendor's card (an ATR from pcsc-tools' list that is not an ePass3003).
    package static let otherCardATR = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"

    package static let softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"
    package static let openSCModule = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

    package static var python: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "/usr/bin/env"
    }
}
