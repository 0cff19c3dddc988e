import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What fix plans record of the files they touch (`FixStep.seen`) when a file's identity cannot stand for its
/// bytes (it changed moments ago), read once for the plans of one run: every step that touches a Wine hive took
/// its own copy, so a 40 MB `user.reg` was read, and kept, once per step.
///
/// A later plan gets the earlier read only while the file's identity (device, inode, size, modification and
/// change times) is the same; the journal's own comparison before it writes always reads the file afresh.
/// Sharing therefore never lets a change through: a plan holding an earlier read than it would have taken is
/// refused exactly when the plan that took that read is, and a file the journal replaced is a new inode.
final class PlanSnapshots: @unchecked Sendable {
    static let shared = PlanSnapshots()

    /// Guards `entries`; reads happen outside it.
    private let lock = NSLock()
    private var entries: [String: (identity: FileIdentity, bytes: [UInt8])] = [:]

    /// The file's bytes, or nil when it cannot be read (as `try? readBytes`).
    func bytes(of url: URL) -> [UInt8]? {
        let path = url.path
        // Not a regular file (missing, a FIFO, a directory): read as before, never shared.
        guard let before = FileIdentity(path) else { return try? readBytes(url) }
        let cached = lock.withLock { entries[path] }
        if let cached, cached.identity == before { return cached.bytes }
        guard let bytes = try? readBytes(url) else { return nil }
        // Only a read the file did not change during is shared.
        if FileIdentity(path) == before {
            lock.withLock { entries[path] = (before, bytes) }
        }
        return bytes
    }
}

/// A regular file's identity: device, inode, size, modification and change times. Equal identities at two
/// moments mean no one has replaced or written the file between them.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }

    /// The same inode, size and modification time: the change time aside, which a new link to the file moves.
    func hasSameContentStamp(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode && size == other.size
            && modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec
    }

    /// Whether any later write to the file will change this identity: the file was last changed before the
    /// current tick of the clock the kernel stamps files with, by more than a timestamp's granularity. A write
    /// in the same tick as the last change could leave size and times as they were (racy-git's problem); such
    /// a file is recorded by its bytes instead.
    func isSettled(now: timespec = FileIdentity.coarseNow()) -> Bool {
        // Whole seconds: a file system that keeps no fractions (FAT keeps even seconds). Otherwise two clock ticks
        // (at least 20 ms), more than any file system's fraction and the coarse clock's lag.
        let margin: Int64
        if changed.tv_nsec == 0 && modified.tv_nsec == 0 {
            margin = 2_000_000_000
        } else {
            var resolution = timespec()
            clock_getres(CLOCK_REALTIME_COARSE, &resolution)
            margin = max(20_000_000, 2 * (Int64(resolution.tv_sec) * 1_000_000_000 + Int64(resolution.tv_nsec)))
        }
        let changedAt = Int64(changed.tv_sec) * 1_000_000_000 + Int64(changed.tv_nsec)
        let nowAt = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        return changedAt < nowAt - margin
    }

    /// The clock files are stamped with (the kernel's coarse real-time clock).
    static func coarseNow() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return now
    }

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }
}
