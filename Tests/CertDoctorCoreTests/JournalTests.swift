import CertDoctorCore
import Foundation
import Synchronization
import Testing

@Suite struct JournalTests {
    func plan(_ file: URL, _ bytes: [UInt8], id: String = "t.fix") -> FixPlan {
        FixPlan(checkID: id, summary: Localized(verbatim: "rewrite"), steps: [
            FixStep(description: Localized(verbatim: "rewrite \(file.lastPathComponent)"), touches: [file]) { writer in
                try writer.replace(file, with: bytes)
            },
        ])
    }

    /// Every step of a fix learns the parts of its file that all the fix's steps edit (so that the first to
    /// search the file finds them all at once), through a link to the file too, and nothing of other files.
    @Test func eachStepIsToldThePartsOfItsFileThatTheFixsStepsEdit() throws {
        let directory = try temporaryDirectory()
        let hive = directory.appendingPathComponent("user.reg"), other = directory.appendingPathComponent("system.reg")
        let link = directory.appendingPathComponent("linked.reg")
        for file in [hive, other] { try Data("x".utf8).write(to: file) }
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: hive)
        let told = Mutex<[[[String]]]>([])
        func step(_ file: URL, part: [String]?) -> FixStep {
            FixStep(description: Localized(verbatim: "edit"), touches: [file], part: part) { writer in
                told.withLock { $0.append(writer.plannedParts(of: file)) }
                try writer.replace(file, with: Array("y".utf8))
            }
        }
        let plans = [
            FixPlan(checkID: "t.a", summary: Localized(verbatim: "a"), steps: [step(hive, part: ["A", "B"]), step(other, part: ["S"])]),
            FixPlan(checkID: "t.b", summary: Localized(verbatim: "b"), steps: [step(link, part: ["C"]), step(hive, part: ["A", "B"])]),
            FixPlan(checkID: "t.c", summary: Localized(verbatim: "c"), steps: [step(hive, part: nil)]),
        ]
        let application = try Journal(directory: directory.appendingPathComponent("journal")).apply(plans, command: "fix")
        #expect(application.errors.isEmpty)
        let parts = told.withLock { $0 }
        #expect(parts == [[["A", "B"], ["C"]], [["S"]], [["A", "B"], ["C"]], [["A", "B"], ["C"]], [["A", "B"], ["C"]]])
    }

    @Test func applyBacksUpReplacesAndUndoRestoresByteForByteWithMode() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("F000504Y0007#0.pfx")
        let original: [UInt8] = (0..<4096).map { UInt8($0 % 251) }
        try Data(original).write(to: file)
        chmod(file.path, 0o640)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))

        let application = try journal.apply([plan(file, Array("new contents".utf8))], command: "fix")
        #expect(application.errors.isEmpty)
        #expect(application.entry.state == .applied)
        #expect(try readBytes(file) == Array("new contents".utf8))
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o640)

        let backup = journal.directory.appendingPathComponent(application.entry.id).appendingPathComponent("backup-0")
        #expect(try FileManager.default.attributesOfItem(atPath: backup.path)[.posixPermissions] as? Int == 0o600)

        let undone = try journal.undoLast()
        #expect(undone.id == application.entry.id)
        #expect(try readBytes(file) == original)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o640)
        #expect(journal.entries().last?.state == .undone)
        #expect(throws: CoreError.journalEmpty) { try journal.undoLast() }
    }

    /// A damaged older entry is skipped and named; the newest entry still undoes. A damaged entry newer than
    /// the one to undo stops undo, since it may have changed the same files.
    @Test func aDamagedOlderEntryDoesNotBlockUndoingTheNewest() throws {
        let directory = try temporaryDirectory()
        let first = directory.appendingPathComponent("a.txt"), second = directory.appendingPathComponent("b.txt")
        try Data("a".utf8).write(to: first)
        try Data("b".utf8).write(to: second)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let older = try journal.apply([plan(first, Array("A".utf8))], command: "fix").entry
        let newer = try journal.apply([plan(second, Array("B".utf8))], command: "fix").entry
        #expect(older.id < newer.id)
        let olderJSON = journal.directory.appendingPathComponent(older.id).appendingPathComponent("entry.json")
        try Data("{\"id\": ".utf8).write(to: olderJSON)

        let listing = journal.listing()
        #expect(listing.entries.map(\.id) == [newer.id])
        #expect(listing.damaged.map(\.path) == [olderJSON.path])
        #expect(try journal.undoLast().id == newer.id)
        #expect(try readBytes(second) == Array("b".utf8))

        // Now the damaged entry is the newest not undone: undo refuses rather than skip past it.
        do {
            _ = try journal.undoLast()
            Issue.record("undo went past a damaged entry")
        } catch let error as CoreError {
            guard case .journalCorrupt(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == olderJSON.path)
        }
    }

    @Test func undoRemovesAFileTheFixCreated() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("created.json")
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        _ = try journal.apply([plan(file, Array("{}".utf8))], command: "fix")
        #expect(FileManager.default.fileExists(atPath: file.path))
        try journal.undoLast()
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test func preflightRefusalTouchesNothingAndTakesNoEntry() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("hive.reg")
        try Data("before".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let refused = FixPlan(checkID: "t.refused", summary: Localized(verbatim: "x"), steps: [
            FixStep(description: Localized(verbatim: "x"), touches: [file],
                    preflight: { throw CoreError.cannotWrite(path: file.path, reason: "wineserver running") }) { writer in
                try writer.replace(file, with: [1, 2, 3])
            },
        ])
        #expect(throws: CoreError.self) { try journal.apply([refused], command: "fix") }
        #expect(try readBytes(file) == Array("before".utf8))
        #expect(journal.entries().isEmpty)
    }

    /// The plan was made from the file as the checks read it; another run changed it before the fix ran. Writing
    /// the plan's result would lose that run's work: refused as a temporary failure (75), nothing written.
    @Test func aFileChangedAfterThePlanWasMadeIsRefusedAsTemporary() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        try Data("as the checks read it".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let planned = plan(file, Array("the plan's result".utf8))
        try Data("another run's change".utf8).write(to: file)
        do {
            _ = try journal.apply([planned], command: "fix")
            Issue.record("a plan for older bytes was applied")
        } catch {
            #expect((error as? CommandEndingProviding)?.ending == .temporaryFailure, "\(error)")
            #expect(error.localizedDescription.contains(file.path))
        }
        #expect(try readBytes(file) == Array("another run's change".utf8))
        #expect(journal.entries().isEmpty)
    }

    /// A declared file that is a symbolic link: the target is backed up and replaced in its own directory, the
    /// link stays a link, and undo restores the target.
    @Test func aSymlinkIsWrittenThroughAndUndoRestoresItsTarget() throws {
        let directory = try temporaryDirectory()
        let store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let target = store.appendingPathComponent("real.pfx")
        try Data("original".utf8).write(to: target)
        chmod(target.path, 0o640)
        let link = directory.appendingPathComponent("F000504Y0007#0.pfx")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "store/real.pfx")
        let journal = Journal(directory: directory.appendingPathComponent("journal"))

        let application = try journal.apply([plan(link, Array("fixed".utf8))], command: "fix")
        #expect(application.errors.isEmpty)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "store/real.pfx")
        #expect(try readBytes(target) == Array("fixed".utf8))
        #expect(try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path) == ["real.pfx"])

        try journal.undoLast()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "store/real.pfx")
        #expect(try readBytes(target) == Array("original".utf8))
    }

    /// Steps editing one file see what the steps before them left (through the writer), the file is written
    /// once with all of it, and a plan whose later step fails leaves none of its changes.
    @Test func stepsOnOneFileBuildOnEachOtherAndAFailedPlanLeavesNothing() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        try Data("start".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        func appending(_ text: String) -> FixStep {
            FixStep(description: Localized(verbatim: "append \(text)"), touches: [file]) { writer in
                try writer.replace(file, with: (try writer.contents(of: file) ?? []) + Array(text.utf8))
            }
        }
        struct Refused: Error {}
        let failing = FixPlan(checkID: "t.failing", summary: Localized(verbatim: "x"), steps: [
            appending("+bad"), FixStep(description: Localized(verbatim: "fail"), touches: [file]) { _ in throw Refused() },
        ])
        let good = FixPlan(checkID: "t.good", summary: Localized(verbatim: "x"), steps: ["+1", "+2", "+3", "+4"].map(appending))
        let application = try journal.apply([failing, good], command: "fix")
        #expect(application.errors.keys.sorted() == ["t.failing"])
        #expect(try readBytes(file) == Array("start+1+2+3+4".utf8))
        let entryDirectory = journal.directory.appendingPathComponent(application.entry.id)
        #expect(try readBytes(entryDirectory.appendingPathComponent(try #require(application.entry.files.first?.planned)))
            == Array("start+1+2+3+4".utf8), "the planned bytes are kept in the entry")
        try journal.undoLast()
        #expect(try readBytes(file) == Array("start".utf8))
    }

    /// Steps that leave a model: the next step gets that model (not a decoding of its bytes), a step that reads
    /// bytes gets it encoded, a failed plan's model is dropped with its other changes, and the file is written
    /// once, encoded, with the entry's `after` record pointing at the planned copy rather than a third one.
    @Test func stepsSharingAModelEncodeItOnceAndAFailedPlanLeavesNothing() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        try Data("start".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let encodings = Counter()
        /// The model is the text's pieces; a step that finds no model decodes the bytes into one piece.
        func appending(_ text: String) -> FixStep {
            FixStep(description: Localized(verbatim: "append \(text)"), touches: [file]) { writer in
                let pieces = try writer.model(of: file, as: [String].self)
                    ?? [String(decoding: try writer.contents(of: file) ?? [], as: UTF8.self)]
                try writer.replace(file, model: pieces + [text]) { pieces in
                    encodings.increment()
                    return Array(pieces.joined().utf8)
                }
            }
        }
        let bytesStep = FixStep(description: Localized(verbatim: "append as bytes"), touches: [file]) { writer in
            #expect(try writer.model(of: file, as: [String].self) == ["start", "+1", "+2"])
            try writer.replace(file, with: (try writer.contents(of: file) ?? []) + Array("+bytes".utf8))
            #expect(try writer.model(of: file, as: [String].self) == nil, "bytes replace the model")
        }
        struct Refused: Error {}
        let failing = FixPlan(checkID: "t.failing", summary: Localized(verbatim: "x"), steps: [
            appending("+bad"), FixStep(description: Localized(verbatim: "fail"), touches: [file]) { _ in throw Refused() },
        ])
        let good = FixPlan(checkID: "t.good", summary: Localized(verbatim: "x"), steps: [
            appending("+1"), appending("+2"), bytesStep, appending("+3"), appending("+4"),
        ])
        let application = try journal.apply([failing, good], command: "fix")
        #expect(application.errors.keys.sorted() == ["t.failing"])
        #expect(try readBytes(file) == Array("start+1+2+bytes+3+4".utf8))
        #expect(encodings.value == 2, "once for the step that reads bytes, once for the write")
        let record = try #require(application.entry.files.first)
        #expect(record.after == record.planned, "the planned copy is the record of what the fix left")
        try journal.undoLast()
        #expect(try readBytes(file) == Array("start".utf8))
    }

    /// A model that gives its bytes in pieces (a hive with a few sections edited) is written from them into the
    /// new file of one anyone may read, never encoded into one array; a later step that reads bytes still gets
    /// them encoded, and undo restores the original.
    @Test func aModelWithPiecesIsWrittenFromThemWithoutEncoding() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        try Data("start".utf8).write(to: file)
        chmod(file.path, 0o644)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let encodings = Counter()
        func appending(_ text: String) -> FixStep {
            FixStep(description: Localized(verbatim: "append \(text)"), touches: [file]) { writer in
                let pieces = try writer.model(of: file, as: [String].self)
                    ?? [String(decoding: try writer.mappedContents(of: file)?.data ?? Data(), as: UTF8.self)]
                try writer.replace(
                    file, model: pieces + [text],
                    encode: { pieces in
                        encodings.increment()
                        return Array(pieces.joined().utf8)
                    },
                    pieces: { pieces, write in
                        for piece in pieces { try Array(piece.utf8).withUnsafeBytes { try write($0) } }
                    },
                    newFileMode: 0o600)
            }
        }
        let application = try journal.apply(
            [FixPlan(checkID: "t.fix", summary: Localized(verbatim: "x"), steps: [appending("+1"), appending("+2")])], command: "fix")
        #expect(application.errors.isEmpty)
        #expect(try readBytes(file) == Array("start+1+2".utf8))
        #expect(encodings.value == 0, "written from its pieces")
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o644)
        let record = try #require(application.entry.files.first)
        #expect(record.after == record.planned && record.plannedStamp != nil, "the new file's inode is the planned record")
        try journal.undoLast()
        #expect(try readBytes(file) == Array("start".utf8))

        // A file only its owner may read is copied into the journal as planned: its bytes are encoded for that.
        chmod(file.path, 0o600)
        _ = try journal.apply(
            [FixPlan(checkID: "t.fix", summary: Localized(verbatim: "x"), steps: [appending("+3")])], command: "fix")
        #expect(try readBytes(file) == Array("start+3".utf8))
        #expect(encodings.value == 1)
    }

    /// A step that changes its file itself (a program run under Wine) runs on what the earlier steps left, and
    /// the journal's final write does not put older bytes back over its work.
    @Test func aStepThatChangesItsFileItselfBuildsOnEarlierStepsAndKeepsItsWork() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("user.reg")
        try Data("start".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let edit = FixPlan(checkID: "t.edit", summary: Localized(verbatim: "x"), steps: [
            FixStep(description: Localized(verbatim: "edit"), touches: [file]) { writer in
                try writer.replace(file, with: (try writer.contents(of: file) ?? []) + Array("+edit".utf8))
            },
        ])
        let program = FixPlan(checkID: "t.program", summary: Localized(verbatim: "x"), steps: [
            FixStep(description: Localized(verbatim: "program"), touches: [file], changesFilesItself: true) { _ in
                try AtomicFile.write(try readBytes(file) + Array("+program".utf8), to: file)
            },
        ])
        // Progress is told of the step that runs a program (it takes a moment), before it runs; not of the edit.
        var heard: [String] = []
        let application = try journal.apply([edit, program], command: "fix", progress: { step in
            heard.append(step.en + ((try? readBytes(file)) == Array("start".utf8) ? " (before)" : ""))
        })
        #expect(heard == ["program (before)"])
        #expect(application.errors.isEmpty)
        #expect(try readBytes(file) == Array("start+edit+program".utf8))
        try journal.undoLast()
        #expect(try readBytes(file) == Array("start".utf8))
    }

    /// Undo's preflight sees the entry it is about to undo and can stop it before anything is restored.
    @Test func undoPreflightRefusalRestoresNothing() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("system.reg")
        try Data("before".utf8).write(to: file)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let applied = try journal.apply([plan(file, Array("after".utf8))], command: "fix").entry
        struct ServerRuns: Error {}
        #expect(throws: ServerRuns.self) {
            try journal.undoLast(preflight: { entry in
                #expect(entry.id == applied.id)
                #expect(entry.files.map(\.path) == [file.standardizedFileURL.path])
                throw ServerRuns()
            })
        }
        #expect(try readBytes(file) == Array("after".utf8))
        #expect(journal.entries().last?.state == .applied)
    }

    /// A file that cannot be replaced fails the plans that changed it; the others' files are still written.
    @Test func aFileThatCannotBeReplacedFailsOnlyItsPlan() throws {
        let directory = try temporaryDirectory()
        let blocker = directory.appendingPathComponent("blocker")
        try Data("a file, not a directory".utf8).write(to: blocker)
        let blocked = blocker.appendingPathComponent("policy.json")
        let fine = directory.appendingPathComponent("fine.txt")
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let application = try journal.apply([plan(blocked, [1], id: "t.blocked"), plan(fine, [2], id: "t.fine")], command: "fix")
        #expect(application.errors.keys.sorted() == ["t.blocked"])
        #expect(application.entry.state == .failed)
        #expect(try readBytes(fine) == [2])
    }

    @Test func stepMayOnlyWriteFilesItDeclared() throws {
        let directory = try temporaryDirectory()
        let declared = directory.appendingPathComponent("declared")
        let undeclared = directory.appendingPathComponent("undeclared")
        try Data("keep".utf8).write(to: undeclared)
        let journal = Journal(directory: directory.appendingPathComponent("journal"))
        let sneaky = FixPlan(checkID: "t.sneaky", summary: Localized(verbatim: "x"), steps: [
            FixStep(description: Localized(verbatim: "x"), touches: [declared]) { writer in
                try writer.replace(undeclared, with: [0])
            },
        ])
        let application = try journal.apply([sneaky], command: "fix")
        #expect(application.errors["t.sneaky"] != nil)
        #expect(application.entry.state == .failed)
        #expect(try readBytes(undeclared) == Array("keep".utf8))
    }

    @Test func atomicWriteLeavesNoTemporaryFileAndKeepsMode() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("target")
        try AtomicFile.write([1, 2, 3], to: file)
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        chmod(file.path, 0o644)
        try AtomicFile.write([4, 5], to: file)
        #expect(try readBytes(file) == [4, 5])
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["target"])
    }

    @Test func atomicWriteIntoMissingDirectoryFailsNamingThePath() throws {
        let target = URL(fileURLWithPath: "/nonexistent-certdoctor-dir/file")
        do {
            try AtomicFile.write([1], to: target)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect(error.text(.en).contains("/nonexistent-certdoctor-dir/file"))
            #expect(error.ending == .cannotCreate)
        }
    }

    @Test func defaultDirectoryFollowsXDG() {
        #expect(Journal.defaultDirectory(["XDG_STATE_HOME": "/srv/state", "HOME": "/home/u"]).path == "/srv/state/certdoctor/journal")
        #expect(Journal.defaultDirectory(["HOME": "/home/u"]).path == "/home/u/.local/state/certdoctor/journal")
    }
}

/// Counts calls from `@Sendable` closures.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
