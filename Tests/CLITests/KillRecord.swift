import CertDoctorCore
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where a kill landed, as the journal the killed run left says it: before the run began to replace files,
/// while it was replacing them, or after it had finished. A kill test proves atomicity only with kills of the
/// middle kind, so it counts them.
enum KillLanding: Equatable {
    case beforeWrite
    case midWrite
    case afterWrite

    /// For `fix`: the entry is saved with each file's planned result just before the first replacement and
    /// marked `applied` (or `failed`) after the last, so `prepared` with a plan is a kill among the replacements;
    /// no entry, or one without a plan yet, is before them.
    static func ofFix(journalIn environment: [String: String]) -> KillLanding {
        guard let entry = Journal(directory: Journal.defaultDirectory(environment)).entries().last else { return .beforeWrite }
        guard entry.state == .prepared else { return .afterWrite }
        let replacing = entry.files.contains { $0.planned != nil || $0.plannedRemoval == true }
        return replacing ? .midWrite : .beforeWrite
    }

    /// For `undo` of an applied fix: `applied` still is before the undo wrote; `undoing` during it; `undone` after.
    static func ofUndo(journalIn environment: [String: String]) -> KillLanding {
        switch Journal(directory: Journal.defaultDirectory(environment)).entries().last?.state {
        case .undoing?: .midWrite
        case .undone?: .afterWrite
        default: .beforeWrite
        }
    }
}

/// The kills of a kill test and where they landed. Kills after a random delay land in a write of some
/// milliseconds only now and then, so a test also kills some runs a random moment after the journal says the
/// write began, and fails when too few kills landed in a write: such a run proves nothing about atomicity.
struct KillRecord {
    private(set) var landings: [KillLanding] = []

    mutating func record(_ landing: KillLanding) {
        landings.append(landing)
    }

    var midWrite: Int { landings.filter { $0 == .midWrite }.count }

    var summary: String {
        let before = landings.filter { $0 == .beforeWrite }.count, after = landings.filter { $0 == .afterWrite }.count
        return "\(landings.count) kills: \(before) before the write, \(midWrite) during it, \(after) after it"
    }

    /// Runs the executable with `arguments` in `directory` and kills it with SIGKILL at a random moment up to
    /// `within` seconds after `writing()` first holds (the journal says the write began), polling every 0.2 ms.
    /// A run that ends before then is not killed.
    static func killedWhileWriting(
        _ arguments: [String], in directory: URL, environment: [String: String], within: Double,
        using random: inout SplitMix64, writing: () -> Bool
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment.merging(["PATH": "/usr/bin:/bin", "NO_COLOR": "1"]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let deadline = Date().addingTimeInterval(60)
        try process.run()
        while process.isRunning && Date() < deadline {
            if writing() {
                usleep(UInt32(Double.random(in: 0...within, using: &random) * 1_000_000))
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(200)
        }
        if Date() >= deadline { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
