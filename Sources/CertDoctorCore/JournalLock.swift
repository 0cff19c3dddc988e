import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One certdoctor at a time changes files: two fixes or renewals interleaving could undo each other, and one
/// could remove the other's temporary file before it is renamed into place. The lock is an `flock` on
/// `journal/.lock`, released by the kernel if the process dies.
struct JournalLock {
    private let descriptor: Int32

    init(directory: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError.cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        let path = directory.appendingPathComponent(".lock").path
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CoreError.cannotWrite(path: path, reason: errnoText()) }
        // Wait a little for a run that is finishing, rather than failing at once.
        let deadline = Date().addingTimeInterval(10)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(descriptor)
                throw CoreError.journalBusy(path: path)
            }
            usleep(50_000)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
