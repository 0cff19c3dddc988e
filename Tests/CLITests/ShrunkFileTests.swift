import CertDoctorCore
import Foundation
import Testing

/// A hive shortened in place by another program while certdoctor reads it through a mapping (a `cp` over it, an
/// editor saving it) ends the run with a message naming the file and exit 75, in the language asked for; before,
/// the read past the new end was a SIGBUS and the run a crash ("Bus error", exit 135) that named nothing.
@Suite(.serialized) struct ShrunkFileTests {
    /// A prefix whose `user.reg` is about 150 MB of keys the query must go past: long enough to stop the run while
    /// it reads.
    static func prefix() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-shrunk-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win64\n\n[Software\\\\Wine] 1700000000\n\"v\"=\"1\"\n".utf8)
            .write(to: directory.appendingPathComponent("system.reg"))
        var keys = ""
        for index in 0..<50_000 {
            keys += "[Software\\\\Filler\\\\Key\(100_000 + index)] 1700000000\n#time=1da00000000000\n\"v\"=\"0123456789abcdef0123456789abcdef0123456789abcdef\"\n\n"
        }
        let user = FileHandle(forWritingAtPath: {
            let path = directory.appendingPathComponent("user.reg").path
            _ = FileManager.default.createFile(atPath: path, contents: Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000\n\n#arch=win64\n\n".utf8))
            return path
        }())!
        user.seekToEndOfFile()
        let block = Data(keys.utf8)
        for _ in 0..<30 { user.write(block) }
        try user.close()
        return directory
    }

    struct Ending {
        var status: Int32
        var signalled: Bool
        var errors: String
    }

    /// Runs a query for a key that is not there, stops it once `user.reg` is mapped, shortens the file in place,
    /// and lets it go on; nil when the run had ended before it could be stopped, or had read the whole file by
    /// then (it then says the key is not there, exit 1).
    static func queryShortenedWhileRead(_ prefix: URL, language: String) throws -> Ending? {
        let hive = prefix.appendingPathComponent("user.reg")
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("shrunk-errors-" + UUID().uuidString)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = ["registry", "query", "--lang", language, "--wine-prefix", prefix.path, "HKCU\\Software\\CertDoctorMissing"]
        process.environment = ["PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let pid = process.processIdentifier
        var stopped = false
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline {
            let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
            if maps.contains(hive.path) {
                kill(pid, SIGSTOP)
                stopped = true
                break
            }
            usleep(100)
        }
        if stopped {
            // In place, as `truncate` or a `cp` over the file would: the mapping now reaches past the file's end.
            #expect(truncate(hive.path, 1 << 20) == 0)
            kill(pid, SIGCONT)
        }
        process.waitUntilExit()
        guard stopped else { return nil }
        let text = String(decoding: try Data(contentsOf: errors), as: UTF8.self)
        if process.terminationReason == .exit, process.terminationStatus == 1, text.contains("CertDoctorMissing") {
            return nil
        }
        return Ending(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, errors: text)
    }

    @Test(arguments: ["en", "zh"])
    func aHiveShortenedWhileReadEndsTheRunWithAMessageNotACrash(language: String) throws {
        let prefix = try Self.prefix()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let pristine = try Data(contentsOf: prefix.appendingPathComponent("user.reg"))
        var ending: Ending?
        for _ in 0..<5 where ending == nil {
            try pristine.write(to: prefix.appendingPathComponent("user.reg"))
            ending = try Self.queryShortenedWhileRead(prefix, language: language)
        }
        let ended = try #require(ending, "the query was never caught while reading user.reg, in five tries")
        #expect(!ended.signalled && ended.status == 75, "status \(ended.status), signalled \(ended.signalled): \(ended.errors)")
        let hive = prefix.appendingPathComponent("user.reg").path
        #expect(ended.errors.contains(hive))
        #expect(ended.errors.contains(language == "zh" ? "截短或就地改写" : "shortened or rewritten in place"), "\(ended.errors)")
    }
}
