import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What fix plans record of the files they touch (`FixStep.seen`), read once for the plans of one run: every
/// step that touches a Wine hive took its own copy, so a 40 MB `user.reg` was read, and kept, once per step.
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
struct FileIdentity: Equatable {
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
