import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file so that a reader, or a crash, sees either the old bytes or the new ones, never a mix:
/// a temporary file in the same directory, written and flushed, then renamed over the target.
public enum AtomicFile {
    /// Prefix of the temporary files, so that leftovers of an interrupted write can be recognised.
    public static let temporaryPrefix = ".certdoctor-tmp-"

    /// Writes `bytes` to `url`. An existing file keeps its mode (and owner, when run as root); a new file gets
    /// `newFileMode`, which defaults to 0600 because what we write is often key material.
    public static func write(
        _ bytes: [UInt8], to url: URL, newFileMode: mode_t = 0o600, forcedMode: mode_t? = nil,
        beforeRename: () -> Void = {}
    ) throws(CoreError) {
        let temporary = try Temporary(bytes, replacing: url, newFileMode: newFileMode, forcedMode: forcedMode)
        beforeRename()
        try temporary.rename()
    }

    /// The first half of a replacement: the new bytes written and flushed under a temporary name beside the
    /// target, with the target's mode and owner. The caller may read it back before it takes the target's place
    /// (`rename`) or a name of its own (`link`); one that is neither is removed when it goes.
    public final class Temporary {
        public let path: String
        public let target: URL
        private var placed = false

        public convenience init(_ bytes: [UInt8], replacing target: URL, newFileMode: mode_t = 0o600, forcedMode: mode_t? = nil) throws(CoreError) {
            try self.init(replacing: target, newFileMode: newFileMode, forcedMode: forcedMode) { (fd: Int32) throws(CoreError) in
                try AtomicFile.writeAll(fd, bytes, path: target.path)
            }
        }

        /// As `init(_:replacing:…)`, for bytes that `pieces` gives in order (each written as it comes), so that a
        /// large file put together from parts is never one array in memory.
        public convenience init(
            pieces: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void, replacing target: URL, newFileMode: mode_t = 0o600
        ) throws(CoreError) {
            try self.init(replacing: target, newFileMode: newFileMode, forcedMode: nil) { (fd: Int32) throws(CoreError) in
                do {
                    try pieces { piece in try AtomicFile.writeAll(fd, piece, path: target.path) }
                } catch let error as CoreError {
                    throw error
                } catch {
                    throw CoreError.cannotWrite(path: target.path, reason: "\(error)")
                }
            }
        }

        private init(
            replacing target: URL, newFileMode: mode_t, forcedMode: mode_t?, write: (Int32) throws(CoreError) -> Void
        ) throws(CoreError) {
            self.target = target
            let directory = target.deletingLastPathComponent().path
            var existing = stat()
            let exists = stat(target.path, &existing) == 0
            let mode = forcedMode ?? (exists ? existing.st_mode & 0o7777 : newFileMode)
            path = directory + "/" + AtomicFile.temporaryPrefix + target.lastPathComponent + "." + AtomicFile.randomSuffix()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { throw .cannotWrite(path: target.path, reason: errnoText()) }
            defer { close(fd) }
            do throws(CoreError) {
                // The mode given to open() is filtered by the umask; set it exactly.
                guard fchmod(fd, mode) == 0 else { throw CoreError.cannotWrite(path: target.path, reason: errnoText()) }
                if exists && geteuid() == 0 {
                    _ = fchown(fd, existing.st_uid, existing.st_gid)
                }
                try write(fd)
                guard fsync(fd) == 0 else { throw CoreError.cannotWrite(path: target.path, reason: errnoText()) }
            } catch {
                unlink(path)
                throw error
            }
        }

        deinit {
            if !placed { unlink(path) }
        }

        /// The bytes as they are on disk now, to verify before they take the target's place.
        public func readBack() throws(CoreError) -> [UInt8] {
            try readBytes(URL(fileURLWithPath: path))
        }

        /// Takes the target's place in one step, then flushes the directory so that the rename is durable.
        public func rename() throws(CoreError) {
            guard Glibc.rename(path, target.path) == 0 else { throw .cannotWrite(path: target.path, reason: errnoText()) }
            placed = true
            AtomicFile.syncDirectory(target.deletingLastPathComponent().path)
        }

        /// Takes `name` only if nothing has it yet (a hard link fails on an existing name, whatever a concurrent
        /// writer does); false when the name is taken. An archive is never overwritten this way.
        public func link(as name: URL) throws(CoreError) -> Bool {
            guard Glibc.link(path, name.path) == 0 else {
                if errno == EEXIST { return false }
                throw .cannotWrite(path: name.path, reason: errnoText())
            }
            AtomicFile.syncDirectory(name.deletingLastPathComponent().path)
            return true
        }
    }

    /// Creates `directory` and its missing parents with `mode`, whatever the umask (000 would leave them
    /// writable by anyone); a failure says the system's reason.
    public static func createDirectories(_ directory: URL, mode: mode_t = 0o755) throws(CoreError) {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path), current.path != "/" {
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        for url in missing.reversed() {
            guard mkdir(url.path, mode) == 0 || errno == EEXIST, chmod(url.path, mode) == 0 else {
                throw .cannotWrite(path: url.path, reason: errnoText())
            }
        }
    }

    /// Removes temporary files that an interrupted write left in `directory`.
    public static func removeLeftovers(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(temporaryPrefix) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(CoreError) {
        // Array's withUnsafeBytes rethrows untyped: the failure is carried out as a value.
        let failure = bytes.withUnsafeBytes { buffer -> CoreError? in
            do throws(CoreError) {
                try writeAll(fd, buffer, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(CoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, reason: errnoText())
            }
            offset += written
        }
    }

    /// A rename is durable only once the directory entry is flushed too.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}

func errnoText() -> String {
    String(cString: strerror(errno))
}

/// Points where tests kill the process on purpose, to prove that an interrupted fix loses nothing.
/// Set `CERTDOCTOR_FAULT_INJECTION` to a point's name; nothing happens otherwise.
public enum FaultInjection: String, Sendable {
    case afterBackup = "after-backup"
    /// In a renewal, once the new PFX is written beside the working one and verified, before the rename.
    case renewalBeforeRename = "renewal-before-rename"
    case afterTemporaryWrite = "after-temp-write"
    case afterFirstReplace = "after-first-replace"
    /// In `undo`, once the first file is back and recorded as restored.
    case afterFirstRestore = "after-first-restore"

    public static func trigger(_ point: FaultInjection) {
        if ProcessInfo.processInfo.environment["CERTDOCTOR_FAULT_INJECTION"] == point.rawValue {
            kill(getpid(), SIGKILL)
        }
    }
}
