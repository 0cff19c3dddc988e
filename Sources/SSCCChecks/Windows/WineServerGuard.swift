import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a wineserver runs for a prefix. A running server loaded the hives at start and rewrites them
/// whole on its next save, so any edit made beside it is lost (wine-in-ci §5); fixes refuse while it runs.
///
/// The WindowsRegistry module's `WinePrefix` will carry the same detection; until it is on this branch the
/// fixes use this one.
public enum WineServerGuard {
    /// The server's pid, or nil when none holds the prefix's lock.
    public static func runningServerPID(prefix: URL) -> Int32? {
        var info = stat()
        guard stat(prefix.path, &info) == 0 else { return nil }
        let serverName = "server-" + String(UInt64(info.st_dev), radix: 16) + "-" + String(UInt64(info.st_ino), radix: 16)
        var candidates: [String] = ["/tmp/.wine-\(getuid())/\(serverName)"]
        // Debian keeps the server directory in a mkdtemp directory whose name the prefix records.
        if let name = try? String(contentsOf: prefix.appendingPathComponent("wineserver"), encoding: .utf8) {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty, !trimmed.contains("/") { candidates.insert("/tmp/\(trimmed)/\(serverName)", at: 0) }
        }
        for directory in candidates {
            if let pid = lockHolder(directory + "/lock") { return pid }
        }
        return nil
    }

    /// F_GETLK reports the holder of the server's write lock without taking it, so it cannot race a
    /// starting server; a stale `socket` left by a killed server is ignored.
    static func lockHolder(_ path: String) -> Int32? {
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 1
        guard fcntl(descriptor, F_GETLK, &lock) == 0 else { return nil }
        return lock.l_type == Int16(F_UNLCK) ? nil : lock.l_pid
    }

    /// The preflight of every fix that edits a prefix's hives.
    public static func requireStopped(prefix: URL) throws {
        if let pid = runningServerPID(prefix: prefix) {
            throw WindowsSideError.wineserverRunning(prefix: prefix.path, pid: pid)
        }
    }
}
