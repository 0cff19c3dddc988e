import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One `fix` (or renewal) as the journal remembers it: which files it backed up and what became of it.
public struct JournalEntry: Sendable, Codable {
    public enum State: String, Sendable, Codable {
        /// Backups taken, nothing replaced yet (or the process died before it could say more).
        case prepared
        case applied
        /// Some step failed; the backups still hold every original.
        case failed
        /// An undo began: files marked `restored` are back; a later undo finishes the rest.
        case undoing
        case undone
    }

    public struct File: Sendable, Codable {
        public var path: String
        /// The backup's name inside the entry directory; nil when the file did not exist before.
        public var backup: String?
        public var mode: UInt32
        public var owner: UInt32
        public var group: UInt32
        /// A record of what the fix left (a copy, or the planned record when the file is still what the fix
        /// placed), so that `undo` can tell whether someone changed the file since; nil when the fix left no file
        /// (or for entries written before this was recorded).
        public var after: String?
        public var removedByFix: Bool?
        /// What the fix was to write (a copy, or the new file's own inode: `plannedStamp`), saved before the file
        /// was replaced, so that `undo` of a fix killed before it recorded `after` can tell its planned result
        /// from someone's later change.
        public var planned: String?
        /// When `planned` is kept as the fixed file's own inode (a file anyone may read): that inode as it was
        /// written, since equal bytes say nothing there and being unwritten since says everything.
        public var plannedStamp: FileStamp?
        /// The fix was to remove the file.
        public var plannedRemoval: Bool?
        /// The symbolic link the plan named, when `path` is the file it points to (the link itself is kept).
        public var link: String?
        /// An undo has put this file back.
        public var restored: Bool?
    }

    public var id: String
    public var created: Date
    public var command: String
    public var state: State
    public var files: [File]
    /// The planned changes, as the plan printed them (English, for the record).
    public var changes: [String]
    /// Outcome of each affected check when it was run again after the fix.
    public var rechecked: [String: Outcome]
    public var failures: [String]
    /// Changes outside the files, in the order they were made; nil for entries that made none.
    public var actions: [JournalAction]? = nil
}

/// A file's inode, and what writing it in place changes (its size, its modification time).
public struct FileStamp: Sendable, Codable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int64
    public var modifiedNanoseconds: Int64

    /// The part of the file's identity that a journal entry can keep (the change time moves when the entry
    /// links the inode, so it is left out).
    init?(_ path: String) {
        guard let identity = FileIdentity(path) else { return nil }
        device = identity.device
        inode = identity.inode
        size = identity.size
        modifiedSeconds = Int64(identity.modified.tv_sec)
        modifiedNanoseconds = Int64(identity.modified.tv_nsec)
    }

    func isSameInode(as other: FileStamp) -> Bool { device == other.device && inode == other.inode }
}

/// A change the journal cannot make or take back itself (objects renamed on a token): its owner records what it did
/// as `record`, and `undo` hands that to the undoer the command registered for `kind`. The core knows neither.
public struct JournalAction: Sendable, Codable, Equatable {
    public var kind: String
    public var record: Data
    /// An undo has taken it back.
    public var undone: Bool?

    public init(kind: String, record: Data) {
        self.kind = kind
        self.record = record
    }
}

/// Backups and undo for every change certdoctor makes (`$XDG_STATE_HOME/certdoctor/journal/<entry>/`).
public final class Journal: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// `$XDG_STATE_HOME/certdoctor/journal`, or `~/.local/state/certdoctor/journal` as the XDG spec says.
    public static func defaultDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let state: URL
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            state = URL(fileURLWithPath: xdg)
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            state = URL(fileURLWithPath: home).appendingPathComponent(".local/state")
        }
        return state.appendingPathComponent("certdoctor/journal")
    }

    /// The result of applying plans: the entry, and each plan's error if it had one.
    public struct Application: Sendable {
        public var entry: JournalEntry
        public var errors: [String: String]
    }

    /// Backs up every file the plans touch, then applies them. Preflight refusals throw before any backup.
    ///
    /// The steps run in memory first, each seeing what the steps before it left; then each file is replaced
    /// once with its final bytes. A process killed at any moment so leaves every file either as it was or
    /// wholly fixed, never with some of several edits of one file (four values set in `user.reg`, say).
    /// `progress` hears of each step that changes its files itself (a Wine program importing a certificate), since
    /// those take more than a moment; the in-memory edits are written together at the end.
    public func apply(_ plans: [FixPlan], command: String, progress: (Localized) -> Void = { _ in }) throws -> Application {
        let lock = try JournalLock(directory: directory)
        defer { lock.release() }
        let steps = plans.flatMap(\.steps)
        // Under the lock, so that no other certdoctor can change a file between this comparison and the write.
        // A file seen by its identity is compared by it, unread; one seen by its bytes is read once for all the
        // steps that saw those bytes (every step editing `user.reg` records it).
        var current: [String: [UInt8]?] = [:]
        // What the plans saw is what the first step editing a file starts from (by the file a link names): bytes
        // kept as the plan's copy, or the identity the file must still have when a step reads it.
        var read: [String: [UInt8]] = [:]
        var expected: [String: FileIdentity] = [:]
        for step in steps {
            for seen in step.seen {
                let unchanged: Bool
                if let identity = seen.identity {
                    unchanged = FileIdentity(seen.path) == identity
                } else {
                    let bytes = current[seen.path] ?? (try? readBytes(URL(fileURLWithPath: seen.path)))
                    current[seen.path] = bytes
                    unchanged = sameBytes(bytes, seen.bytes)
                }
                if !unchanged { throw CoreError.changedSincePlanned(path: seen.path) }
                let target = try Self.resolvingLinks(URL(fileURLWithPath: seen.path)).path
                if let bytes = seen.bytes { read[target] = bytes }
                if let identity = seen.identity { expected[target] = identity }
            }
        }
        current = [:]
        for step in steps {
            try step.preflight()
        }
        var entry = JournalEntry(
            id: Self.newEntryID(), created: Date(), command: command, state: .prepared, files: [],
            changes: plans.flatMap { $0.steps.map(\.description.en) }, rechecked: [:], failures: [])
        let entryDirectory = directory.appendingPathComponent(entry.id)
        try makeDirectory(entryDirectory)

        // A declared file that is a symbolic link is written through: the link stays a link and its target is
        // what gets backed up and replaced (a rename over the link would put a regular file in its place and
        // leave the target unfixed).
        var seen = Set<String>()
        let declared = plans.flatMap(\.touchedFiles).filter { seen.insert($0.standardizedFileURL.path).inserted }
        var targets: [(declared: URL, target: URL)] = []
        var seenTargets = Set<String>()
        for url in declared {
            let target = try Self.resolvingLinks(url)
            if seenTargets.insert(target.path).inserted { targets.append((url, target)) }
        }
        // An earlier run killed mid-write leaves its temporary file beside the target; it was never renamed
        // into place, so it holds nothing anyone needs.
        for directory in Set(targets.map { $0.target.deletingLastPathComponent() }) {
            AtomicFile.removeLeftovers(in: directory)
        }
        // A step that changes its files itself might write them in place, which would change a backup kept as
        // the file's own inode.
        let writtenBySteps = Set(try steps.filter(\.changesFilesItself).flatMap(\.touches).map { try Self.resolvingLinks($0).path })
        for (index, pair) in targets.enumerated() {
            var file = try backUp(
                pair.target, as: "backup-\(index)", into: entryDirectory, mayLink: !writtenBySteps.contains(pair.target.path))
            if pair.declared.standardizedFileURL.path != pair.target.path { file.link = pair.declared.standardizedFileURL.path }
            entry.files.append(file)
        }
        try save(entry)
        FaultInjection.trigger(.afterBackup)

        // A backup kept by a hard link moved the file's change time: a step must find the identity after it, the
        // rest as the plans saw it (a file that differs keeps the old identity, and its steps fail as changed).
        for (path, identity) in expected {
            if let after = FileIdentity(path), after.hasSameContentStamp(as: identity) { expected[path] = after }
        }
        var parts: [String: [[String]]] = [:]
        for step in steps {
            guard let part = step.part, step.touches.count == 1 else { continue }
            let path = try Self.resolvingLinks(step.touches[0]).path
            if !(parts[path]?.contains(part) ?? false) { parts[path, default: []].append(part) }
        }
        let staging = StagingWriter(allowed: Set(targets.map(\.target.path)), read: read, expected: expected, parts: parts)
        read = [:]
        // Each file as this run placed it, to know at the end that no one has written it since without reading it.
        var placed: [String: FileIdentity] = [:]
        var errors: [String: String] = [:]
        func fail(_ checkIDs: [String], _ error: any Error) {
            let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            for checkID in checkIDs where errors[checkID] == nil {
                errors[checkID] = text
                entry.failures.append("\(checkID): \(text)")
            }
        }
        for plan in plans {
            // A plan whose step fails leaves none of its changes: its earlier steps were written for the later ones.
            var checkpoint = staging.checkpoint()
            staging.currentPlan = plan.checkID
            do {
                for step in plan.steps {
                    if step.changesFilesItself {
                        progress(step.description)
                        let paths = try step.touches.map { try Self.resolvingLinks($0).path }
                        for path in paths { checkpoint[path] = nil }
                        for failure in try writeOut(paths, staging: staging, entry: &entry, placed: &placed, in: entryDirectory) {
                            fail(failure.checkIDs, failure.error)
                        }
                    }
                    // The step writes the disk: what was read before is no longer the file.
                    if step.changesFilesItself { staging.forgetRead(try step.touches.map { try Self.resolvingLinks($0).path }) }
                    try step.apply(staging)
                }
            } catch {
                staging.restore(checkpoint)
                fail([plan.checkID], error)
            }
        }
        for failure in try writeOut(entry.files.map(\.path), staging: staging, entry: &entry, placed: &placed, in: entryDirectory) {
            fail(failure.checkIDs, failure.error)
        }
        // A backup kept as the original's inode is that only while the file is a new one; a file left in place
        // (its fix failed, or changed nothing) gets a copy, which later writes to the file do not reach.
        for file in entry.files {
            guard let backup = file.backup else { continue }
            try Self.separate(entryDirectory.appendingPathComponent(backup), from: URL(fileURLWithPath: file.path))
        }

        for index in entry.files.indices {
            let url = URL(fileURLWithPath: entry.files[index].path)
            if let planned = entry.files[index].planned, let identity = placed[url.path], FileIdentity(url.path) == identity {
                // The file is the inode this run placed, unwritten since: the planned bytes, without reading either.
                entry.files[index].after = planned
            } else if FileManager.default.fileExists(atPath: url.path) {
                let current = try readBytes(url)
                // Most files are what was planned for them: that copy serves as the record, and a 40 MB hive is
                // not written and synced a third time. A file a later step or someone else changed gets its own.
                if let planned = entry.files[index].planned,
                   let plannedBytes = try? readBytes(entryDirectory.appendingPathComponent(planned)),
                   sameBytes(plannedBytes, current) {
                    entry.files[index].after = planned
                } else {
                    let name = "after-\(index)"
                    try AtomicFile.write(current, to: entryDirectory.appendingPathComponent(name), forcedMode: 0o600)
                    entry.files[index].after = name
                }
            } else {
                entry.files[index].removedByFix = true
            }
        }
        entry.state = errors.isEmpty ? .applied : .failed
        try save(entry)
        return Application(entry: entry, errors: errors)
    }

    /// Saves what each of `paths` is to become, then replaces each once. The planned bytes are saved before the
    /// first replacement, so that `undo` after a fix killed mid-way can tell the planned result from a change
    /// someone made since. A file that cannot be replaced fails the plans that changed it, which are returned
    /// (not recorded here: the caller's record is the entry this function holds `inout`).
    private func writeOut(
        _ paths: [String], staging: StagingWriter, entry: inout JournalEntry, placed: inout [String: FileIdentity],
        in entryDirectory: URL
    ) throws -> [(checkIDs: [String], error: any Error)] {
        let indices = entry.files.indices.filter { paths.contains(entry.files[$0].path) && staging.hasChange(for: entry.files[$0].path) }
        guard !indices.isEmpty else { return [] }
        // The new file of one anyone may read is written beside it first and its inode kept as the planned
        // record, then renamed into place: a 40 MB hive is written once, not once more into the journal. A model
        // that gives its bytes in pieces (a hive with a few sections edited) is written from them, never put
        // together in memory.
        var prepared: [Int: AtomicFile.Temporary] = [:]
        for index in indices {
            let path = entry.files[index].path
            entry.files[index].planned = nil
            entry.files[index].plannedStamp = nil
            entry.files[index].plannedRemoval = nil
            var temporary: AtomicFile.Temporary? = nil
            if let (pieces, newFileMode) = staging.pieces(for: path) {
                temporary = Self.worldReadableReplacement(pieces, for: path, newFileMode: newFileMode)
            }
            if temporary == nil, case .write(let bytes, let newFileMode)? = staging.change(for: path) {
                temporary = Self.worldReadableReplacement({ write in try bytes.withUnsafeBytes { try write($0) } }, for: path, newFileMode: newFileMode)
            }
            if let temporary {
                // A name no earlier record of this entry has (a file written again after a step changed it): the
                // saved entry names the old one until it is saved again.
                var name = "planned-\(index)"
                var round = 0
                while FileManager.default.fileExists(atPath: entryDirectory.appendingPathComponent(name).path) {
                    round += 1
                    name = "planned-\(index).\(round)"
                }
                let record = entryDirectory.appendingPathComponent(name)
                if (try? temporary.link(as: record)) == true, let stamp = FileStamp(record.path) {
                    prepared[index] = temporary
                    entry.files[index].plannedStamp = stamp
                    entry.files[index].planned = name
                    continue
                }
            }
            switch staging.change(for: path) {
            case .write(let bytes, _)?:
                let name = "planned-\(index)"
                try AtomicFile.write(bytes, to: entryDirectory.appendingPathComponent(name), forcedMode: 0o600)
                entry.files[index].planned = name
            case .remove?:
                entry.files[index].plannedRemoval = true
            case nil:
                break
            }
        }
        try save(entry)
        var failures: [(checkIDs: [String], error: any Error)] = []
        for index in indices {
            let path = entry.files[index].path
            placed[path] = nil
            do {
                if let temporary = prepared[index] {
                    _ = staging.discard(path)
                    FaultInjection.trigger(.afterTemporaryWrite)
                    try temporary.rename()
                    placed[path] = FileIdentity(path)
                } else {
                    guard let change = staging.take(path) else { continue }
                    try Self.commit(change, to: URL(fileURLWithPath: path))
                    if case .write = change { placed[path] = FileIdentity(path) }
                }
                FaultInjection.trigger(.afterFirstReplace)
            } catch {
                failures.append((staging.writers(of: path).sorted(), error))
            }
        }
        return failures
    }

    /// The new bytes of an existing file anyone may read, written and flushed beside it; nil for any other file,
    /// or when that cannot be done now (the replacement then fails, or not, as it would have).
    private static func worldReadableReplacement(
        _ pieces: StagingWriter.Pieces, for path: String, newFileMode: mode_t
    ) -> AtomicFile.Temporary? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o004 != 0 else { return nil }
        return try? AtomicFile.Temporary(pieces: pieces, replacing: URL(fileURLWithPath: path), newFileMode: newFileMode)
    }

    private static func commit(_ change: StagingWriter.Change, to url: URL) throws {
        switch change {
        case .write(let bytes, let newFileMode):
            // A fix's folder (fix files, a browser's policy directory) gets 0755 whatever the umask.
            try AtomicFile.createDirectories(url.deletingLastPathComponent())
            try AtomicFile.write(
                bytes, to: url, newFileMode: newFileMode, beforeRename: { FaultInjection.trigger(.afterTemporaryWrite) })
        case .remove:
            if FileManager.default.fileExists(atPath: url.path), unlink(url.path) != 0 {
                throw CoreError.cannotWrite(path: url.path, reason: errnoText())
            }
        }
    }

    /// The file a path names once every symbolic link on its last component is followed (a relative link from
    /// the link's own directory); a path that is no link is returned as it is. The journal backs up and writes
    /// this file; a step that changes a declared file itself must write here too, or it replaces the link.
    public static func resolvingLinks(_ url: URL) throws(CoreError) -> URL {
        var path = url.standardizedFileURL.path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else {
                return URL(fileURLWithPath: path).standardizedFileURL
            }
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) }
            guard count >= 0 else { throw .cannotRead(path: path, reason: errnoText()) }
            let destination = String(decoding: buffer[..<count], as: UTF8.self)
            path = destination.hasPrefix("/")
                ? destination : URL(fileURLWithPath: path).deletingLastPathComponent().path + "/" + destination
            path = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        throw .cannotWrite(path: url.path, reason: String(cString: strerror(ELOOP)))
    }

    /// Stores what the checks said when run again after the fix.
    public func record(rechecked: [String: Outcome], in entry: JournalEntry) throws {
        var updated = entry
        updated.rechecked = rechecked
        try save(updated)
    }

    /// An entry whose `entry.json` cannot be read, with the reason.
    public struct DamagedEntry: Sendable, Equatable {
        /// The entry's directory name (its id), which orders it among the others.
        public var id: String
        public var path: String
        public var reason: String
    }

    /// Every readable entry, oldest first, and the damaged ones beside them: one damaged file must not hide
    /// the rest of the journal.
    public func listing() -> (entries: [JournalEntry], damaged: [DamagedEntry]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var entries: [JournalEntry] = []
        var damaged: [DamagedEntry] = []
        for name in names.sorted() {
            let file = directory.appendingPathComponent(name).appendingPathComponent("entry.json")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            do {
                entries.append(try load(file))
            } catch {
                let reason: String
                switch error as? CoreError {
                case .journalCorrupt(_, let why)?: reason = why
                default: reason = "\(error)"
                }
                damaged.append(DamagedEntry(id: name, path: file.path, reason: reason))
            }
        }
        return (entries, damaged)
    }

    /// Every readable entry, oldest first.
    public func entries() -> [JournalEntry] {
        listing().entries
    }

    /// Starts an entry for changes outside the files, before the first is made; ``record(_:in:)`` keeps it up to
    /// date after each, so a process killed in between leaves what was done on record.
    public func begin(command: String, change: String) throws -> JournalEntry {
        let lock = try JournalLock(directory: directory)
        defer { lock.release() }
        let entry = JournalEntry(
            id: Self.newEntryID(), created: Date(), command: command, state: .prepared, files: [], changes: [change],
            rechecked: [:], failures: [], actions: [])
        try makeDirectory(directory.appendingPathComponent(entry.id))
        try save(entry)
        return entry
    }

    /// Records `action` (replacing the entry's last action of the same kind, which it supersedes) and `state`.
    public func record(_ action: JournalAction, state: JournalEntry.State, in entry: inout JournalEntry) throws {
        var actions = entry.actions ?? []
        if let last = actions.indices.last, actions[last].kind == action.kind { actions[last] = action } else { actions.append(action) }
        entry.actions = actions
        entry.state = state
        try save(entry)
    }

    /// Restores the files of the newest entry not yet undone, byte for byte, mode included.
    /// A file changed after the fix (someone put a newer certificate there, say) is not overwritten unless
    /// `force` is given: undoing must not lose work done since. An undo that was interrupted is finished by the
    /// next one: a file already back to its backup counts as restored, not as changed.
    ///
    /// `preflight` sees the entry chosen, under the lock and before anything is restored, and may refuse by
    /// throwing; the core knows nothing of the programs (a wineserver) that may hold its files.
    @discardableResult
    ///
    /// `undoers` take back the entry's actions by kind, newest first; an entry with an action no undoer takes is
    /// refused before anything is restored.
    public func undoLast(
        force: Bool = false, preflight: (JournalEntry) throws -> Void = { _ in }, undoers: [String: (Data) throws -> Void] = [:]
    ) throws -> JournalEntry {
        let lock = try JournalLock(directory: directory)
        defer { lock.release() }
        let (entries, damaged) = listing()
        // A damaged entry newer than the one to undo may have changed the same files since: undoing past it
        // could restore the wrong bytes, so it stops undo; damaged older ones do not matter to it.
        let target = entries.last(where: { $0.state != .undone })
        if let newestDamaged = damaged.last, target.map({ newestDamaged.id > $0.id }) ?? true {
            throw CoreError.journalCorrupt(path: newestDamaged.path, reason: newestDamaged.reason)
        }
        guard var entry = target else { throw CoreError.journalEmpty }
        try preflight(entry)
        if let action = entry.actions?.first(where: { $0.undone != true && undoers[$0.kind] == nil }) {
            throw CoreError.noUndoer(kind: action.kind)
        }
        let entryDirectory = directory.appendingPathComponent(entry.id)
        if !force {
            for file in entry.files where try !isAsTheJournalLeftIt(file, in: entryDirectory) {
                throw CoreError.changedSinceFix(path: file.path)
            }
        }
        // An undo killed mid-write left its temporary file beside the file; never renamed into place, it holds
        // nothing anyone needs (and the lock keeps out any other certdoctor writing there now).
        for directory in Set(entry.files.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent() }) {
            AtomicFile.removeLeftovers(in: directory)
        }
        // Recorded before the first restore, so that a killed undo is seen as one to finish, not as a fix.
        entry.state = .undoing
        try save(entry)
        var wroteOne = false
        for index in entry.files.indices {
            let wrote = try restore(entry.files[index], from: entryDirectory)
            entry.files[index].restored = true
            try save(entry)
            if wrote && !wroteOne {
                wroteOne = true
                FaultInjection.trigger(.afterFirstRestore)
            }
        }
        for index in (entry.actions ?? []).indices.reversed() where entry.actions?[index].undone != true {
            guard let action = entry.actions?[index], let undo = undoers[action.kind] else { continue }
            try undo(action.record)
            entry.actions?[index].undone = true
            try save(entry)
        }
        entry.state = .undone
        try save(entry)
        return entry
    }

    /// Puts one file back as its backup holds it; false when it already was (an interrupted undo got that far).
    private func restore(_ file: JournalEntry.File, from entryDirectory: URL) throws -> Bool {
        guard let backup = file.backup else {
            guard FileManager.default.fileExists(atPath: file.path) else { return false }
            guard unlink(file.path) == 0 else { throw CoreError.cannotWrite(path: file.path, reason: errnoText()) }
            return true
        }
        let bytes = try readBytes(entryDirectory.appendingPathComponent(backup))
        var info = stat()
        if stat(file.path, &info) == 0, UInt32(info.st_mode & 0o7777) == file.mode, sameBytes(try? readBytes(URL(fileURLWithPath: file.path)), bytes) {
            return false
        }
        let target = URL(fileURLWithPath: file.path)
        try AtomicFile.write(bytes, to: target, forcedMode: mode_t(file.mode))
        if geteuid() == 0 { _ = chown(file.path, file.owner, file.group) }
        guard sameBytes(try? readBytes(target), bytes) else { throw CoreError.backupMismatch(path: file.path) }
        return true
    }

    /// Whether the file is in a state this journal entry explains: the original (never changed, or restored
    /// by an interrupted undo), what the fix left, or, for a fix killed before it could record that, the
    /// bytes it planned. Anything else is someone's later work.
    private func isAsTheJournalLeftIt(_ file: JournalEntry.File, in entryDirectory: URL) throws -> Bool {
        let current: [UInt8]? = FileManager.default.fileExists(atPath: file.path) ? try readBytes(URL(fileURLWithPath: file.path)) : nil
        let original = try file.backup.map { try readBytes(entryDirectory.appendingPathComponent($0)) }
        if sameBytes(current, original) { return true }
        func isRecord(_ name: String) throws -> Bool {
            // A planned record that is the file's own inode has its bytes whatever was written into it since.
            if name == file.planned, let stamp = file.plannedStamp, let now = FileStamp(file.path), now.isSameInode(as: stamp) {
                return now == stamp
            }
            return sameBytes(current, try readBytes(entryDirectory.appendingPathComponent(name)))
        }
        if let after = file.after { return try isRecord(after) }
        if file.removedByFix == true { return current == nil }
        if let planned = file.planned { return try isRecord(planned) }
        if file.plannedRemoval == true { return current == nil }
        return false
    }

    // MARK: - Files

    /// `mayLink`: nothing but the journal's own rename will replace the file, so its inode, kept under the
    /// backup's name, stays the original. That is how a file anyone may read (a Wine hive) is backed up: a 40 MB
    /// hive is then neither read nor written again. Other files (key material, a file with a second name that
    /// someone could write through) are copied, mode 0600.
    private func backUp(_ url: URL, as name: String, into entryDirectory: URL, mayLink: Bool) throws -> JournalEntry.File {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            return JournalEntry.File(path: url.path, backup: nil, mode: 0, owner: 0, group: 0)
        }
        let backup = entryDirectory.appendingPathComponent(name)
        if mayLink, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o004 != 0, info.st_nlink == 1,
           link(url.path, backup.path) == 0 {
            AtomicFile.syncDirectory(entryDirectory.path)
            return JournalEntry.File(
                path: url.path, backup: name, mode: UInt32(info.st_mode & 0o7777), owner: info.st_uid, group: info.st_gid)
        }
        // Another file system, or one that has no hard links: a copy.
        let bytes = try readBytes(url)
        try AtomicFile.write(bytes, to: backup, forcedMode: 0o600)
        return JournalEntry.File(
            path: url.path, backup: name, mode: UInt32(info.st_mode & 0o7777), owner: info.st_uid, group: info.st_gid)
    }

    /// Replaces a backup that is still the file's own inode (the file was not replaced) with a copy of it.
    private static func separate(_ backup: URL, from file: URL) throws {
        var backupInfo = stat(), fileInfo = stat()
        guard stat(backup.path, &backupInfo) == 0, stat(file.path, &fileInfo) == 0,
              backupInfo.st_dev == fileInfo.st_dev, backupInfo.st_ino == fileInfo.st_ino
        else { return }
        try AtomicFile.write(try readBytes(backup), to: backup, forcedMode: 0o600)
    }

    private func save(_ entry: JournalEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(entry)
        let file = directory.appendingPathComponent(entry.id).appendingPathComponent("entry.json")
        try AtomicFile.write(Array(data), to: file, forcedMode: 0o600)
    }

    private func load(_ file: URL) throws -> JournalEntry {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(JournalEntry.self, from: Data(readBytes(file)))
        } catch let error as CoreError {
            throw error
        } catch {
            throw CoreError.journalCorrupt(path: file.path, reason: "\(error)")
        }
    }

    private func makeDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Sortable by creation time, unique within a second.
    private static func newEntryID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.string(from: Date()) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }
}

/// The only way fix steps write: into memory, and only to files the plan declared (and the journal backed up).
/// The journal replaces each file once with what the steps left. A class, so that the steps share one state;
/// `@unchecked Sendable` because `FileWriter` must be, and every access goes through `lock`.
final class StagingWriter: FileWriter, @unchecked Sendable {
    enum Change {
        case write([UInt8], newFileMode: mode_t)
        case remove
    }

    /// What the steps left for a file: a change, or a step's decoded model, encoded when its bytes are first
    /// needed (`encoded`) and kept as them from then on.
    enum Staged {
        case change(Change)
        case model(any Sendable, encode: @Sendable () -> [UInt8], pieces: Pieces?, newFileMode: mode_t)
    }

    /// Writes a staged model's bytes in pieces, in order, through its argument.
    typealias Pieces = @Sendable ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

    private let allowed: Set<String>
    private let lock = NSLock()
    private var changes: [String: Staged] = [:]
    private var writersByPath: [String: Set<String>] = [:]
    private var plan = ""

    /// Files as the journal read them under its lock, until a step or the journal writes them.
    private var read: [String: [UInt8]]
    /// Files the plans saw by their identity, which they must still have when a step first reads them from the
    /// disk (the journal compared them without reading them).
    private var expected: [String: FileIdentity]

    /// The parts of each file that the fix's steps edit (`FixStep.part`), by the file's path.
    private let parts: [String: [[String]]]

    init(
        allowed: Set<String>, read: [String: [UInt8]] = [:], expected: [String: FileIdentity] = [:],
        parts: [String: [[String]]] = [:]
    ) {
        self.allowed = allowed
        self.read = read
        self.expected = expected
        self.parts = parts
    }

    func plannedParts(of url: URL) -> [[String]] {
        (try? declaredTarget(url)).flatMap { parts[$0.path] } ?? []
    }

    func forgetRead(_ paths: [String]) {
        lock.withLock {
            for path in paths {
                read[path] = nil
                expected[path] = nil
            }
        }
    }

    /// The check whose steps run now, to know whose fix a failed replacement spoils.
    var currentPlan: String {
        get { lock.withLock { plan } }
        set { lock.withLock { plan = newValue } }
    }

    func checkpoint() -> [String: Staged] { lock.withLock { changes } }
    func restore(_ checkpoint: [String: Staged]) { lock.withLock { changes = checkpoint } }
    /// The change, a model encoded (and kept as its bytes from then on).
    func change(for path: String) -> Change? { encoded(path) }
    /// Whether the steps left a change for the file (nothing is encoded to say so).
    func hasChange(for path: String) -> Bool { lock.withLock { changes[path] != nil } }
    /// A staged model that writes itself in pieces, and the mode of a new file, without encoding it.
    func pieces(for path: String) -> (pieces: Pieces, newFileMode: mode_t)? {
        guard case .model(_, _, let pieces?, let newFileMode)? = lock.withLock({ changes[path] }) else { return nil }
        return (pieces, newFileMode)
    }
    /// The change removed without being encoded (its replacement was written from its pieces); whether it wrote.
    func discard(_ path: String) -> Bool {
        lock.withLock {
            let removed = changes.removeValue(forKey: path)
            read[path] = nil
            expected[path] = nil
            if case .change(.remove)? = removed { return false }
            return removed != nil
        }
    }
    /// The change, removed: once on disk, the file itself is what later steps read.
    func take(_ path: String) -> Change? {
        let change = encoded(path)
        lock.withLock {
            _ = changes.removeValue(forKey: path)
            read[path] = nil
            expected[path] = nil
        }
        return change
    }

    /// Encodes outside the lock (a 40 MB hive takes a while); only this journal's thread runs steps.
    private func encoded(_ path: String) -> Change? {
        switch lock.withLock({ changes[path] }) {
        case .change(let change)?:
            return change
        case .model(_, let encode, _, let newFileMode)?:
            let change = Change.write(encode(), newFileMode: newFileMode)
            lock.withLock { changes[path] = .change(change) }
            return change
        case nil:
            return nil
        }
    }
    func writers(of path: String) -> Set<String> { lock.withLock { writersByPath[path] ?? [] } }

    func contents(of url: URL) throws -> [UInt8]? {
        let target = try declaredTarget(url)
        switch encoded(target.path) {
        case .write(let bytes, _)?: return bytes
        case .remove?: return nil
        case nil:
            if let bytes = lock.withLock({ read[target.path] }) { return bytes }
            return try unchangedFile(target, readBytes)
        }
    }

    func mappedContents(of url: URL) throws -> MappedFile? {
        let target = try declaredTarget(url)
        switch encoded(target.path) {
        case .write(let bytes, _)?: return MappedFile(copy: Data(bytes))
        case .remove?: return nil
        case nil:
            if let bytes = lock.withLock({ read[target.path] }) { return MappedFile(copy: Data(bytes)) }
            return try unchangedFile(target) { url throws(CoreError) in try MappedFile(url, populate: false) }
        }
    }

    /// A file no step has changed, from the disk: nil when it does not exist, and only as the plans saw it when
    /// they recorded its identity (it keeps that identity while it is read).
    private func unchangedFile<Bytes>(_ target: URL, _ read: (URL) throws(CoreError) -> Bytes) throws -> Bytes? {
        guard let identity = lock.withLock({ expected[target.path] }) else {
            return FileManager.default.fileExists(atPath: target.path) ? try read(target) : nil
        }
        guard FileIdentity(target.path) == identity else { throw CoreError.changedSincePlanned(path: target.path) }
        let bytes = try read(target)
        guard FileIdentity(target.path) == identity else { throw CoreError.changedSincePlanned(path: target.path) }
        return bytes
    }

    func model<Model: Sendable>(of url: URL, as type: Model.Type) throws -> Model? {
        let target = try declaredTarget(url)
        guard case .model(let model, _, _, _)? = lock.withLock({ changes[target.path] }) else { return nil }
        return model as? Model
    }

    func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8], newFileMode: mode_t
    ) throws {
        let target = try declaredTarget(url)
        lock.withLock {
            changes[target.path] = .model(model, encode: { encode(model) }, pieces: nil, newFileMode: newFileMode)
            writersByPath[target.path, default: []].insert(plan)
        }
    }

    func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8],
        pieces: @escaping @Sendable (Model, (UnsafeRawBufferPointer) throws -> Void) throws -> Void, newFileMode: mode_t
    ) throws {
        let target = try declaredTarget(url)
        lock.withLock {
            changes[target.path] = .model(
                model, encode: { encode(model) }, pieces: { write in try pieces(model, write) }, newFileMode: newFileMode)
            writersByPath[target.path, default: []].insert(plan)
        }
    }

    func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws {
        let target = try declaredTarget(url)
        lock.withLock {
            changes[target.path] = .change(.write(bytes, newFileMode: newFileMode))
            writersByPath[target.path, default: []].insert(plan)
        }
    }

    func remove(_ url: URL) throws {
        let target = try declaredTarget(url)
        lock.withLock {
            changes[target.path] = .change(.remove)
            writersByPath[target.path, default: []].insert(plan)
        }
    }

    /// A step names the file as it declared it; a link among those is the file it points to.
    private func declaredTarget(_ url: URL) throws -> URL {
        let target = try Journal.resolvingLinks(url)
        guard allowed.contains(target.path) else {
            throw CoreError.cannotWrite(path: url.path, reason: "not among the files the fix declared and backed up")
        }
        return target
    }
}

/// Whether two byte arrays are equal, compared with `memcmp`: the arrays' `==` compares a 40 MB hive a byte at
/// a time, which a fix did twice per hive.
func sameBytes(_ a: [UInt8]?, _ b: [UInt8]?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { a in b.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
}

/// A whole regular file mapped read-only (anything else, or an empty file, is read), knowing whether it is a
/// mapping: a 40 MB hive that a fix copies mostly as it is need not be copied into memory first, and only a
/// mapping's pages can be given back to the page cache while it is still used. The file must not be written in
/// place while the mapping is used (Wine replaces its hives by rename; the journal compares a file's identity
/// before and after); one that is, and shrinks, ends the run with a message (`ShrunkFileGuard`).
public struct MappedFile: @unchecked Sendable {
    public let data: Data
    /// Where the file is mapped (private, read-only); nil for bytes in memory.
    private let mapping: UnsafeRawPointer?
    public var isMapping: Bool { mapping != nil }

    /// Bytes in memory, as a file that is not mapped.
    public init(copy data: Data) {
        self.data = data
        mapping = nil
    }

    /// `populate`: fault the whole mapping in at once (a reader going through all of it once is faster so);
    /// otherwise pages are faulted in as read, and a reader that gives them back as it goes
    /// (`releasePages(below:)`) holds only what it is reading.
    public init(_ url: URL, populate: Bool = true) throws(CoreError) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0,
           let address = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0),
           address != MAP_FAILED {
            // Written in place meanwhile, the file may end before the mapping does: a read there ends the run
            // with a message instead of a crash (ShrunkFileGuard).
            let slot = ShrunkFileGuard.guardMapping(address, length: Int(info.st_size), path: url.path)
            let mapped = Data(bytesNoCopy: address, count: Int(info.st_size), deallocator: .custom { pointer, length in
                ShrunkFileGuard.forget(slot)
                munmap(pointer, length)
            })
            data = mapped
            // A file of a few bytes is copied into the Data itself, and unmapped at once: then there is no mapping.
            mapping = mapped.withUnsafeBytes { $0.baseAddress == UnsafeRawPointer(address) } ? UnsafeRawPointer(address) : nil
        } else {
            data = Data(try readBytes(url))
            mapping = nil
        }
    }

    /// Takes the whole pages below `offset` out of the process's memory (they stay in the page cache): nothing
    /// changes for a reader, as a private mapping never written reads a page touched again from the file.
    /// Memory that is not the mapping is left alone: given back so, it would read as zeros.
    public func releasePages(below offset: Int) {
        guard let mapping else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = min(offset, data.count) / pageSize * pageSize
        guard length > 0 else { return }
        data.withUnsafeBytes { raw in
            // Only where `data` reads the mapping itself.
            guard raw.baseAddress == mapping else { return }
            _ = madvise(UnsafeMutableRawPointer(mutating: mapping), length, MADV_DONTNEED)
        }
    }
}

/// Reads a whole file; the error names the file.
public func readBytes(_ url: URL) throws(CoreError) -> [UInt8] {
    // open/read rather than Data(contentsOf:): a FIFO or `<(…)` is read like a file, and the reason a file
    // cannot be read is the system's own ("is a directory", "permission denied"), not a Cocoa error number.
    let fd = open(url.path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .cannotRead(path: url.path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw .cannotRead(path: url.path, reason: String(cString: strerror(EISDIR)))
    }
    // Read straight into the result, sized by fstat (a FIFO says 0 and grows it): appending 64 KiB chunks
    // copied a 40 MB hive at a fraction of memory speed, once per fix step that touches it.
    let expected = info.st_size > 0 ? Int(info.st_size) : 0
    // The first read goes into uninitialised memory: zeroing 40 MB first cost as much as the read.
    var failure: Int32? = nil
    var bytes = [UInt8](unsafeUninitializedCapacity: expected + 65_536) { buffer, initialized in
        while initialized < buffer.count {
            let count = read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            if count == 0 { break }
            initialized += count
        }
    }
    if let failure { throw .cannotRead(path: url.path, reason: String(cString: strerror(failure))) }
    if bytes.count < expected + 65_536 { return bytes }
    var filled = bytes.count
    while true {
        if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .cannotRead(path: url.path, reason: String(cString: strerror(errno)))
        }
        if count == 0 {
            bytes.removeLast(bytes.count - filled)
            return bytes
        }
        filled += count
    }
}
