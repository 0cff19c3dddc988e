import CertDoctorCore
import Foundation
@testable import SSCCChecks
import WindowsRegistry
import WindowsTarget
import Testing
import TestSupport

/// The journal hands the steps of one fix that edit one hive a decoded model, so the hive is decoded and encoded
/// once per fix. On a real Wine prefix, that gives the hives byte for byte what the steps gave when each
/// decoded the bytes the one before it wrote and encoded its own result.
@Suite(.serialized) struct HiveDecodedOnceTests {
    /// Writes each step's result to the disk at once and keeps no model: each step decodes and encodes the hive.
    private struct StepByStepWriter: FileWriter {
        func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws {
            try AtomicFile.write(bytes, to: url, newFileMode: newFileMode)
        }
        func remove(_ url: URL) throws { try FileManager.default.removeItem(at: url) }
    }

    @Test func multiStepFixOfOneHiveIsByteIdenticalToStepByStep() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        // The personal-store fix runs a Windows program rather than editing a hive.
        let ids = WindowsCheckExampleTests.checks.map(\.description.id).filter { $0 != "store.personal-cert" }
        let hives = WineTestPrefix.hiveNames
        let stepByStep: [[UInt8]] = try WineTestPrefix.windows.withPrefix { prefix in
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let plans = try WindowsFixTests.plans(environment, failing: WindowsFixTests.results(environment, only: ids))
            let userSteps = plans.flatMap(\.steps).filter { $0.touches.contains { $0.lastPathComponent == "user.reg" } }
            #expect(userSteps.count >= 3, "a fix that edits user.reg in several steps: \(plans.map(\.checkID))")
            let writer = StepByStepWriter()
            for step in plans.flatMap(\.steps) {
                try step.apply(writer)
            }
            return try hives.map { try WineTestPrefix.windows.hive($0) }
        }
        let (original, journalled): ([[UInt8]], [[UInt8]]) = try WineTestPrefix.windows.withPrefix { prefix in
            let original = try hives.map { try WineTestPrefix.windows.hive($0) }
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let plans = try WindowsFixTests.plans(environment, failing: WindowsFixTests.results(environment, only: ids))
            let journal = Journal(directory: try WindowsFixTests.temporaryDirectory())
            let applied = try journal.apply(plans, command: "fix")
            #expect(applied.errors.isEmpty, "\(applied.errors)")
            let journalled = try hives.map { try WineTestPrefix.windows.hive($0) }
            try journal.undoLast()
            #expect(try hives.map { try WineTestPrefix.windows.hive($0) } == original, "undo restores the exact bytes")
            return (original, journalled)
        }
        for (index, name) in hives.enumerated() {
            let journalledText = Self.lines(journalled[index], timesAgainst: original[index])
            let stepByStepText = Self.lines(stepByStep[index], timesAgainst: original[index])
            #expect(journalledText.count == stepByStepText.count, "\(name)")
            for (line, (oneDecode, perStep)) in zip(journalledText, stepByStepText).enumerated() where oneDecode != perStep {
                Issue.record("\(name) line \(line + 1): one decode per fix wrote \(oneDecode), one per step \(perStep)")
                break
            }
        }
        #expect(journalled[hives.firstIndex(of: "user.reg")!] != original[hives.firstIndex(of: "user.reg")!], "the fix edited user.reg")
    }

    /// The hive's lines, every key's write time (`[key] seconds`, `#time=`) replaced by whether it is the
    /// original's: the two runs edit at different moments, and both must mark the same keys written.
    static func lines(_ hive: [UInt8], timesAgainst original: [UInt8]) -> [String] {
        func split(_ bytes: [UInt8]) -> [String] { String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n") }
        func keyHeader(_ line: String) -> (key: String, time: String)? {
            guard line.hasPrefix("["), let close = line.range(of: "] ", options: .backwards) else { return nil }
            return (String(line[..<close.upperBound]), String(line[close.upperBound...]))
        }
        var originalTimes: [String: String] = [:]
        var key = ""
        for line in split(original) {
            if let header = keyHeader(line) {
                key = header.key
                originalTimes[key] = header.time
            } else if line.hasPrefix("#time=") {
                originalTimes[key + "#time"] = line
            }
        }
        key = ""
        return split(hive).map { line in
            if let header = keyHeader(line) {
                key = header.key
                return key + (originalTimes[key] == header.time ? "<original time>" : "<written>")
            }
            if line.hasPrefix("#time=") { return originalTimes[key + "#time"] == line ? "#time=<original>" : "#time=<written>" }
            return line
        }
    }
}
