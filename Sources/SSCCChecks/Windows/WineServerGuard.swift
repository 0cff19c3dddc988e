import Foundation
import WindowsRegistry

/// Whether a wineserver runs for a prefix. A running server loaded the hives at start and rewrites them
/// whole on its next save, so any edit made beside it is lost (wine-in-ci §5); fixes refuse while it runs.
/// The detection itself (the lock on the server directory's `lock` file, in Debian's and upstream's socket
/// directories) is the registry engine's `WinePrefix`.
public enum WineServerGuard {
    /// The server's pid, or nil when none holds the prefix's lock.
    public static func runningServerPID(prefix: URL) -> Int32? {
        WinePrefix(directory: prefix).runningServerPID()
    }

    /// The preflight of every fix that edits a prefix's hives.
    public static func requireStopped(prefix: URL) throws {
        if let pid = runningServerPID(prefix: prefix) {
            throw WindowsSideError.wineserverRunning(prefix: prefix.path, pid: pid)
        }
    }
}
