import CertDoctorCore
import Foundation
import Testing

/// Changes outside the files: the journal keeps the owner's record, and undo hands it to the undoer registered for
/// its kind, newest first; without one, undo refuses and restores nothing.
@Suite struct JournalActionTests {
    private func journalWithActions() throws -> (Journal, JournalEntry) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-actions-" + UUID().uuidString)
        let journal = Journal(directory: directory)
        var entry = try journal.begin(command: "renew --token", change: "renamed on the token")
        try journal.record(JournalAction(kind: "relabel", record: Data("step 1".utf8)), state: .prepared, in: &entry)
        // The same kind again supersedes the record so far (the installer's record grows step by step).
        try journal.record(JournalAction(kind: "relabel", record: Data("steps 1-2".utf8)), state: .applied, in: &entry)
        try journal.record(JournalAction(kind: "other", record: Data("other".utf8)), state: .applied, in: &entry)
        return (journal, entry)
    }

    @Test func undoHandsEachRecordToItsUndoerNewestFirst() throws {
        let (journal, entry) = try journalWithActions()
        #expect(journal.entries().last?.actions?.map(\.kind) == ["relabel", "other"])
        var seen: [String] = []
        let undone = try journal.undoLast(undoers: [
            "relabel": { seen.append("relabel " + String(decoding: $0, as: UTF8.self)) },
            "other": { seen.append("other " + String(decoding: $0, as: UTF8.self)) },
        ])
        #expect(undone.id == entry.id)
        #expect(seen == ["other other", "relabel steps 1-2"])
        #expect(journal.entries().last?.state == .undone)
        #expect(journal.entries().last?.actions?.allSatisfy { $0.undone == true } == true)
        #expect(throws: CoreError.journalEmpty) { try journal.undoLast(undoers: [:]) }
    }

    @Test func anEntryNoUndoerTakesIsRefusedWithNothingRestored() throws {
        let (journal, _) = try journalWithActions()
        var called = false
        #expect(throws: CoreError.noUndoer(kind: "other")) {
            try journal.undoLast(undoers: ["relabel": { _ in called = true }])
        }
        #expect(!called)
        #expect(journal.entries().last?.state == .applied)
    }

    /// A failing undoer leaves the entry to undo again: the actions before it stay marked, it does not.
    @Test func aFailingUndoerLeavesItsActionForTheNextUndo() throws {
        struct Gone: Error {}
        let (journal, _) = try journalWithActions()
        #expect(throws: Gone.self) {
            try journal.undoLast(undoers: ["other": { _ in }, "relabel": { _ in throw Gone() }])
        }
        #expect(journal.entries().last?.state == .undoing)
        #expect(journal.entries().last?.actions?.map(\.undone) == [nil, true])
        var seen = 0
        try journal.undoLast(undoers: ["other": { _ in seen += 10 }, "relabel": { _ in seen += 1 }])
        #expect(seen == 1)
    }
}
