import CertDoctorCore
import Foundation
import Testing

/// A file anyone may read is backed up as its own inode (the journal replaces it by rename, so that inode keeps the
/// original); anything else, or a file the fix leaves in place, is backed up as a copy.
@Suite struct JournalBackupLinkTests {
    func plan(_ file: URL, _ bytes: [UInt8], fails: Bool = false) -> FixPlan {
        FixPlan(checkID: "t.fix", summary: Localized(verbatim: "rewrite"), steps: [
            FixStep(description: Localized(verbatim: "rewrite \(file.lastPathComponent)"), touches: [file]) { writer in
                if fails { throw CoreError.cannotWrite(path: file.path, reason: "refused by the test") }
                try writer.replace(file, with: bytes)
            },
        ])
    }

    func inode(_ url: URL) throws -> UInt64 {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? UInt64)
    }

    @Test func aWorldReadableFileIsBackedUpAsItsOriginalInode() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        let original = Array("WINE REGISTRY Version 2\n".utf8)
        try Data(original).write(to: file)
        chmod(file.path, 0o644)
        let originalInode = try inode(file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))

        let application = try journal.apply([plan(file, Array("fixed".utf8))], command: "fix")
        #expect(application.errors.isEmpty)
        let backup = journal.directory.appendingPathComponent(application.entry.id).appendingPathComponent("backup-0")
        #expect(try inode(backup) == originalInode, "kept, not copied")
        #expect(try inode(file) != originalInode, "the file is a new one")
        #expect(try readBytes(backup) == original)

        try journal.undoLast()
        #expect(try readBytes(file) == original)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o644)
    }

    @Test func aFileTheFixLeftInPlaceGetsACopyThatLaterWritesDoNotReach() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        let original = Array("original".utf8)
        try Data(original).write(to: file)
        chmod(file.path, 0o644)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))

        let application = try journal.apply([plan(file, Array("fixed".utf8), fails: true)], command: "fix")
        #expect(application.entry.state == .failed)
        let backup = journal.directory.appendingPathComponent(application.entry.id).appendingPathComponent("backup-0")
        #expect(try inode(backup) != inode(file))
        #expect(try FileManager.default.attributesOfItem(atPath: backup.path)[.posixPermissions] as? Int == 0o600)
        // Someone writes the file in place afterwards: the backup still holds the original, and undo does not
        // overwrite their change.
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data("theirs!!".utf8))
        try handle.close()
        #expect(try readBytes(backup) == original)
        #expect(throws: CoreError.changedSinceFix(path: file.path)) { try journal.undoLast() }
    }

    @Test func aFileOnlyItsOwnerMayReadIsCopiedWithMode0600() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("F000504Y0007#0.pfx")
        try Data("key material".utf8).write(to: file)
        chmod(file.path, 0o640)
        let originalInode = try inode(file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let application = try journal.apply([plan(file, Array("fixed".utf8))], command: "fix")
        let backup = journal.directory.appendingPathComponent(application.entry.id).appendingPathComponent("backup-0")
        #expect(try inode(backup) != originalInode)
        #expect(try FileManager.default.attributesOfItem(atPath: backup.path)[.posixPermissions] as? Int == 0o600)
    }
}

/// The planned record of a file anyone may read is the new file's own inode, written once beside the file and
/// renamed into place; undo tells it from a later change by the inode having been written since.
@Suite struct JournalPlannedLinkTests {
    func plan(_ file: URL, _ bytes: [UInt8]) -> FixPlan {
        FixPlan(checkID: "t.fix", summary: Localized(verbatim: "rewrite"), steps: [
            FixStep(description: Localized(verbatim: "rewrite \(file.lastPathComponent)"), touches: [file]) { writer in
                try writer.replace(file, with: bytes)
            },
        ])
    }

    func inode(_ url: URL) throws -> UInt64 {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? UInt64)
    }

    func hive(in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("user.reg")
        try Data("original".utf8).write(to: file)
        chmod(file.path, 0o644)
        return file
    }

    @Test func theFixedFileIsThePlannedRecordAndUndoRestoresIt() throws {
        let directory = try temporaryDirectory()
        let file = try hive(in: directory)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let application = try journal.apply([plan(file, Array("fixed".utf8))], command: "fix")
        let entryDirectory = journal.directory.appendingPathComponent(application.entry.id)
        let planned = try #require(application.entry.files.first?.planned)
        #expect(application.entry.files.first?.after == planned)
        #expect(try inode(entryDirectory.appendingPathComponent(planned)) == inode(file), "written once")
        #expect(try readBytes(file) == Array("fixed".utf8))
        try journal.undoLast()
        #expect(try readBytes(file) == Array("original".utf8))
    }

    @Test func aWriteInPlaceAfterTheFixIsNotUndone() throws {
        let directory = try temporaryDirectory()
        let file = try hive(in: directory)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        _ = try journal.apply([plan(file, Array("fixed".utf8))], command: "fix")
        // Same size, through the same inode the planned record is. The modification time ticks coarsely (a few
        // milliseconds): a write in the fix's own tick would not be told apart, so this one comes a tick later.
        usleep(20_000)
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data("FIXED".utf8))
        try handle.close()
        #expect(throws: CoreError.changedSinceFix(path: file.path)) { try journal.undoLast() }
        #expect(try readBytes(file) == Array("FIXED".utf8))
    }
}
