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

    @Test func aMissingFileIsNil() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-snapshot-missing-\(UUID().uuidString)")
        #expect(Self.step(touching: url).seen == [SeenFile(url, bytes: nil)])
    }
}
