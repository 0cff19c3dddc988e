import SSCCProfile
import CertDoctorCore
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

    /// The hives a wineserver holds in memory and writes back over any change made beside it.
    public static let hiveNames: Set<String> = ["system.reg", "user.reg", "userdef.reg"]

    /// The preflight of `undo` (passed to `Journal.undoLast`, which cannot know Wine): restoring a hive while
    /// its prefix's wineserver runs is lost at the server's next save, or half-seen by it. Refuses with exit 75.
    public static func requireStopped(forUndoing entry: JournalEntry) throws {
        let hives = entry.files.flatMap { [$0.path] + ($0.link.map { [$0] } ?? []) }.filter { hiveNames.contains(URL(fileURLWithPath: $0).lastPathComponent) }
        for prefix in Set(hives.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }).sorted() {
            try requireStopped(prefix: URL(fileURLWithPath: prefix))
        }
    }
}
