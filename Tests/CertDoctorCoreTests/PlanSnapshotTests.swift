import Foundation
import Testing
@testable import CertDoctorCore

/// Plans made together share one read of an unchanged file; any change the file's identity shows is read again.
@Suite struct PlanSnapshotTests {
    static func file(_ contents: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-snapshot-\(UUID().uuidString)")
        try Data(contents.utf8).write(to: url)
        return url
    }

    static func step(touching url: URL) -> FixStep {
        FixStep(description: Localized(verbatim: "edit"), touches: [url]) { _ in }
    }

    @Test func plansOfAnUnchangedFileSeeWhatTheFileHolds() throws {
        let url = try Self.file("first")
        defer { try? FileManager.default.removeItem(at: url) }
        let one = Self.step(touching: url), two = Self.step(touching: url)
        #expect(one.seen == two.seen)
        #expect(one.seen == [SeenFile(now: url)])
        #expect(one.seen.first?.bytes == Array("first".utf8))
    }

    @Test func aReplacedOrRewrittenFileIsReadAgain() throws {
        let url = try Self.file("first")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = Self.step(touching: url)
        // Replaced as the journal replaces files: a new inode.
        // (rename(2) itself: Foundation's replaceItemAt sometimes says the file does not exist on Linux.)
        let replacement = try Self.file("second")
        #expect(rename(replacement.path, url.path) == 0)
        #expect(Self.step(touching: url).seen.first?.bytes == Array("second".utf8))
        // Rewritten in place with another length.
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data("third, longer".utf8))
        try handle.close()
        #expect(Self.step(touching: url).seen.first?.bytes == Array("third, longer".utf8))
    }

    /// A file last changed before the clock's current tick (with room for its file system's granularity) is
    /// recorded by its identity, unread: no 40 MB copy of a hive per run. One changed moments ago is recorded by
    /// its bytes, as a write in the same tick could leave its identity as it was.
    @Test func aSettledFileIsRecordedByItsIdentityAndAFreshOneByItsBytes() throws {
        let url = try Self.file("settled")
        defer { try? FileManager.default.removeItem(at: url) }
        let identity = try #require(FileIdentity(url.path))
        #expect(!identity.isSettled(now: identity.changed))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(identity.isSettled())
        let seen = try #require(Self.step(touching: url).seen.first)
        #expect(seen.bytes == nil)
        #expect(seen.identity == identity)
        // Whole-second times (a file system without fractions) need two seconds.
        var whole = identity
        whole.changed.tv_nsec = 0
        whole.modified.tv_nsec = 0
        var soon = whole.changed
        soon.tv_sec += 1
        #expect(!whole.isSettled(now: soon))
        soon.tv_sec += 2
        #expect(whole.isSettled(now: soon))
    }

    /// Recorded by its identity, a settled file rewritten in place with bytes of the same length is still told
    /// apart (its change time moves), and the journal refuses the plan without writing.
    @Test func aSettledFileRewrittenInPlaceWithTheSameLengthIsRefused() throws {
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("user.reg")
        try Data("as planned".utf8).write(to: url)
        Thread.sleep(forTimeInterval: 0.1)
        let step = FixStep(description: Localized(verbatim: "edit"), touches: [url]) { writer in
            try writer.replace(url, with: Array("the fix".utf8))
        }
        #expect(step.seen.first?.bytes == nil)
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: Data("as changed".utf8))
        try handle.close()
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        #expect(throws: CoreError.changedSincePlanned(path: url.path)) {
            try journal.apply([FixPlan(checkID: "t.fix", summary: Localized(verbatim: "x"), steps: [step])], command: "fix")
        }
        #expect(try readBytes(url) == Array("as changed".utf8))
    }

    /// The step reads a file the journal compared by its identity only when the file still has it.
    @Test func aSettledFileIsFixedFromItsBytesAsTheyAre() throws {
        let directory = try temporaryDirectory()
        let url = directory.appendingPathComponent("user.reg")
        try Data("as planned".utf8).write(to: url)
        Thread.sleep(forTimeInterval: 0.1)
        let step = FixStep(description: Localized(verbatim: "edit"), touches: [url]) { writer in
            try writer.replace(url, with: (try writer.contents(of: url) ?? []) + Array(", fixed".utf8))
        }
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let application = try journal.apply([FixPlan(checkID: "t.fix", summary: Localized(verbatim: "x"), steps: [step])], command: "fix")
        #expect(application.errors.isEmpty)
        #expect(try readBytes(url) == Array("as planned, fixed".utf8))
    }

    @Test func aMissingFileIsNil() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-snapshot-missing-\(UUID().uuidString)")
        #expect(Self.step(touching: url).seen == [SeenFile(url, bytes: nil)])
    }
}
