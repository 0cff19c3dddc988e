import CertDoctorCore
import Foundation
import SmartCard

/// The renaming on the token as the journal keeps it (a ``JournalAction`` of `kind`): which token, through which
/// module, and the installer's record of the steps made, so that `undo` gives the old certificate its name back.
public struct TokenRelabelRecord: Sendable, Codable, Equatable {
    public static let kind = "token-relabel"

    public var modulePath: String
    public var tokenLabel: String
    public var steps: TokenCertificateInstaller.Record

    public init(modulePath: String, tokenLabel: String, steps: TokenCertificateInstaller.Record) {
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.steps = steps
    }

    var action: JournalAction {
        get throws { JournalAction(kind: Self.kind, record: try JSONEncoder().encode(self)) }
    }

    /// What `undo` runs for this kind: a session on the recorded token, logged in with `pin` (asked only now), and
    /// the installer's steps taken back, newest first.
    public static func undoer(pin: @escaping () throws -> Secret) -> (Data) throws -> Void {
        { data in
            let saved = try JSONDecoder().decode(TokenRelabelRecord.self, from: data)
            do {
                let module = try PKCS11Module(path: saved.modulePath)
                guard let slot = try module.slot(tokenLabel: saved.tokenLabel) else {
                    throw RenewalError.tokenUnusable(
                        reason: Localized(zh: "找不到令牌“\(saved.tokenLabel)”，请插入它", en: "the token '\(saved.tokenLabel)' is not there; insert it"),
                        pin: false)
                }
                let session = try PKCS11Session(module: module, slot: slot.id, pin: try pin().reveal())
                defer { session.close() }
                try TokenCertificateInstaller.revert(saved.steps, in: session)
            } catch let error as PKCS11Error {
                throw RenewalError.tokenUnusable(reason: error.localizedMessage, pin: error.isAboutThePIN)
            }
        }
    }
}

/// Puts each step of one installation on record before it is made and again once made, in one journal entry begun
/// before the first: a process killed at any moment of the installation leaves an entry that `undo` takes back.
/// `@unchecked Sendable`: the installer calls it from its own closure; every access is locked.
final class TokenRelabelJournal: @unchecked Sendable {
    private let lock = NSLock()
    private let journal: Journal
    private let target: GatedToken
    private let command: String
    private let change: @Sendable (TokenCertificateInstaller.Record, GatedToken) -> String
    private var entry: JournalEntry?

    init(journal: Journal, target: GatedToken, command: String = "renew --token",
         change: @escaping @Sendable (TokenCertificateInstaller.Record, GatedToken) -> String = { steps, target in
             "\(target.gateway) on the token \(target.tokenLabel): serial \(steps.oldSerial) set aside as \(steps.setAsideLabel), \(steps.newSerial) named \(target.gateway)"
         }) {
        self.journal = journal
        self.target = target
        self.command = command
        self.change = change
    }

    var entryID: String? { lock.withLock { entry?.id } }

    /// The entry is `prepared` while a step is under way, `applied` once it is made, and `undone` when the run took
    /// its steps back itself after a failure.
    func record(_ steps: TokenCertificateInstaller.Record) throws {
        try lock.withLock {
            var current = try entry ?? journal.begin(
                command: command, change: change(steps, target))
            var action = try TokenRelabelRecord(modulePath: target.modulePath, tokenLabel: target.tokenLabel, steps: steps).action
            let state: JournalEntry.State
            if steps.takenBack == true {
                action.undone = true
                state = .undone
            } else {
                state = steps.begun == nil ? .applied : .prepared
            }
            try journal.record(action, state: state, in: &current)
            entry = current
        }
    }
}
