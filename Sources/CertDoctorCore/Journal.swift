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
        case undone
    }

    public struct File: Sendable, Codable {
        public var path: String
        /// The backup's name inside the entry directory; nil when the file did not exist before.
        public var backup: String?
        public var mode: UInt32
        public var owner: UInt32
        public var group: UInt32
        /// A copy of what the fix left, so that `undo` can tell whether someone changed the file since;
        /// nil when the fix left no file (or for entries written before this was recorded).
        public var after: String?
        public var removedByFix: Bool?
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
    public func apply(_ plans: [FixPlan], command: String) throws -> Application {
        let lock = try JournalLock(directory: directory)
        defer { lock.release() }
        for step in plans.flatMap(\.steps) {
            try step.preflight()
        }
        var entry = JournalEntry(
            id: Self.newEntryID(), created: Date(), command: command, state: .prepared, files: [],
            changes: plans.flatMap { $0.steps.map(\.description.en) }, rechecked: [:], failures: [])
        let entryDirectory = directory.appendingPathComponent(entry.id)
        try makeDirectory(entryDirectory)

        var seen = Set<String>()
        let touched = plans.flatMap(\.touchedFiles).filter { seen.insert($0.standardizedFileURL.path).inserted }
        // An earlier run killed mid-write leaves its temporary file beside the target; it was never renamed
        // into place, so it holds nothing anyone needs.
        for directory in Set(touched.map { $0.deletingLastPathComponent() }) {
            AtomicFile.removeLeftovers(in: directory)
        }
        for (index, url) in touched.enumerated() {
            entry.files.append(try backUp(url, as: "backup-\(index)", into: entryDirectory))
        }
        try save(entry)
        FaultInjection.trigger(.afterBackup)

        let writer = JournalFileWriter(allowed: Set(touched.map(\.standardizedFileURL.path)))
        var errors: [String: String] = [:]
        for plan in plans {
            do {
                for step in plan.steps {
                    try step.apply(writer)
                    FaultInjection.trigger(.afterFirstReplace)
                }
            } catch {
                let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                errors[plan.checkID] = text
                entry.failures.append("\(plan.checkID): \(text)")
            }
        }
        for index in entry.files.indices {
            let url = URL(fileURLWithPath: entry.files[index].path)
            if FileManager.default.fileExists(atPath: url.path) {
                let name = "after-\(index)"
                try AtomicFile.write(try readBytes(url), to: entryDirectory.appendingPathComponent(name), forcedMode: 0o600)
                entry.files[index].after = name
            } else {
                entry.files[index].removedByFix = true
            }
        }
        entry.state = errors.isEmpty ? .applied : .failed
        try save(entry)
        return Application(entry: entry, errors: errors)
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

    /// Restores the files of the newest entry not yet undone, byte for byte, mode included.
    /// A file changed after the fix (someone put a newer certificate there, say) is not overwritten unless
    /// `force` is given: undoing must not lose work done since.
    @discardableResult
    public func undoLast(force: Bool = false) throws -> JournalEntry {
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
        let entryDirectory = directory.appendingPathComponent(entry.id)
        if !force {
            for file in entry.files where try changedSinceFix(file, in: entryDirectory) {
                throw CoreError.changedSinceFix(path: file.path)
            }
        }
        for file in entry.files {
            let target = URL(fileURLWithPath: file.path)
            if let backup = file.backup {
                let bytes = try readBytes(entryDirectory.appendingPathComponent(backup))
                try AtomicFile.write(bytes, to: target, forcedMode: mode_t(file.mode))
                if geteuid() == 0 { _ = chown(file.path, file.owner, file.group) }
                guard (try? readBytes(target)) == bytes else { throw CoreError.backupMismatch(path: file.path) }
            } else if FileManager.default.fileExists(atPath: file.path) {
                guard unlink(file.path) == 0 else { throw CoreError.cannotWrite(path: file.path, reason: errnoText()) }
            }
        }
        entry.state = .undone
        try save(entry)
        return entry
    }

    private func changedSinceFix(_ file: JournalEntry.File, in entryDirectory: URL) throws -> Bool {
        let exists = FileManager.default.fileExists(atPath: file.path)
        if let after = file.after {
            guard exists else { return true }
            let current = try readBytes(URL(fileURLWithPath: file.path))
            return try current != readBytes(entryDirectory.appendingPathComponent(after))
        }
        return file.removedByFix == true && exists
    }

    // MARK: - Files

    private func backUp(_ url: URL, as name: String, into entryDirectory: URL) throws -> JournalEntry.File {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            return JournalEntry.File(path: url.path, backup: nil, mode: 0, owner: 0, group: 0)
        }
        let bytes = try readBytes(url)
        try AtomicFile.write(bytes, to: entryDirectory.appendingPathComponent(name), forcedMode: 0o600)
        return JournalEntry.File(
            path: url.path, backup: name, mode: UInt32(info.st_mode & 0o7777), owner: info.st_uid, group: info.st_gid)
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

/// The only way fix steps write: atomically, and only to files the plan declared (and the journal backed up).
struct JournalFileWriter: FileWriter {
    let allowed: Set<String>

    func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws {
        try requireDeclared(url)
        let directory = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CoreError.cannotWrite(path: directory.path, reason: error.localizedDescription)
            }
        }
        try AtomicFile.write(
            bytes, to: url, newFileMode: newFileMode, beforeRename: { FaultInjection.trigger(.afterTemporaryWrite) })
    }

    func remove(_ url: URL) throws {
        try requireDeclared(url)
        if FileManager.default.fileExists(atPath: url.path), unlink(url.path) != 0 {
            throw CoreError.cannotWrite(path: url.path, reason: errnoText())
        }
    }

    private func requireDeclared(_ url: URL) throws {
        guard allowed.contains(url.standardizedFileURL.path) else {
            throw CoreError.cannotWrite(path: url.path, reason: "not among the files the fix declared and backed up")
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
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .cannotRead(path: url.path, reason: String(cString: strerror(errno)))
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[..<count])
    }
}
