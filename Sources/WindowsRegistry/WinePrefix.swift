import CertDoctorCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The three registry files of a Wine prefix.
public enum WineHiveFile: String, Sendable, CaseIterable {
    case system = "system.reg"
    case user = "user.reg"
    case userDefault = "userdef.reg"
}

/// A Wine prefix on disk: where its hives are, whether a wineserver owns them right now, and
/// loading/saving them. Saving is refused while a wineserver runs for the prefix, because the
/// server rewrites whole hives from memory and would silently undo the change (it saves dirty
/// branches every 30 s and on exit).
public struct WinePrefix: Sendable {
    public let directory: URL

    public init(directory: URL) {
        // Wine uses the absolute path with trailing slashes stripped; so must the stat() below.
        self.directory = directory.standardizedFileURL
    }

    /// The prefix to use: the explicit directory, else `$WINEPREFIX`, else `~/.wine`.
    public static func locate(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WinePrefix {
        let path: String
        if let explicit, !explicit.isEmpty {
            path = explicit
        } else if let fromEnvironment = environment["WINEPREFIX"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.wine"
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let prefix = WinePrefix(directory: URL(fileURLWithPath: absolute, isDirectory: true))
        guard FileManager.default.fileExists(atPath: prefix.url(of: .system).path)
                || FileManager.default.fileExists(atPath: prefix.url(of: .user).path)
        else { throw RegistryError.noHives(prefix: prefix.directory.path) }
        return prefix
    }

    public func url(of file: WineHiveFile) -> URL { directory.appendingPathComponent(file.rawValue) }

    // MARK: wineserver detection

    /// Directories where a wineserver for this prefix keeps `socket` and `lock`: upstream's
    /// `/tmp/.wine-<uid>/server-<dev>-<ino>` and Debian's `/tmp/<name>/server-<dev>-<ino>`, where
    /// `<name>` is stored in the prefix's `wineserver` file.
    public func serverDirectories() -> [URL] {
        var info = stat()
        guard stat(directory.path, &info) == 0 else { return [] }
        let name = "server-" + String(UInt64(info.st_dev), radix: 16) + "-" + String(UInt64(info.st_ino), radix: 16)
        var bases = ["/tmp/.wine-\(getuid())"]
        if let debianName = try? String(contentsOf: directory.appendingPathComponent("wineserver"), encoding: .utf8) {
            let trimmed = debianName.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty && !trimmed.contains("/") {
                bases.append("/tmp/" + trimmed)
                if let tmp = ProcessInfo.processInfo.environment["TMPDIR"], tmp != "/tmp" { bases.append(tmp + "/" + trimmed) }
            }
        }
        return bases.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
    }

    /// The pid of the wineserver that holds the prefix's lock, or nil when none runs. Uses
    /// `fcntl(F_GETLK)` on `lock`, which neither takes the lock nor trusts a stale `socket`.
    public func runningServerPID() -> Int32? {
        for serverDirectory in serverDirectories() {
            let fd = open(serverDirectory.appendingPathComponent("lock").path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = 0
            lock.l_len = 1
            guard fcntl(fd, F_GETLK, &lock) == 0 else { continue }
            if lock.l_type != Int16(F_UNLCK) { return lock.l_pid }
        }
        return nil
    }

    /// Throws `wineserverRunning` (exit 75) when a wineserver owns the hives.
    public func ensureNoServerRunning() throws {
        if let pid = runningServerPID() { throw RegistryError.wineserverRunning(prefix: directory.path, pid: pid) }
    }

    // MARK: Loading and saving

    public func loadHive(_ file: WineHiveFile) throws -> WineHive? {
        guard let data = try hiveData(file) else { return nil }
        return try WineHiveCodec.decode(data, fileName: url(of: file).path)
    }

    /// A hive file's bytes (mapped), or nil when the prefix has none.
    public func hiveData(_ file: WineHiveFile) throws -> Data? {
        try hiveFile(file)?.data
    }

    /// A hive file as mapped, or nil when the prefix has none.
    public func hiveFile(_ file: WineHiveFile, populate: Bool = true) throws -> MappedFile? {
        let url = url(of: file)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try RegistryFileReader.map(url.path, populate: populate)
    }

    public func load() throws -> WinePrefixRegistry {
        let system = try loadHive(.system) ?? WineHive(relativeTo: "REGISTRY\\Machine")
        let user = try loadHive(.user) ?? WineHive(relativeTo: "REGISTRY\\User\\" + RegistrySnapshot.wineUserSID)
        let userDefault = try loadHive(.userDefault)
        return WinePrefixRegistry(system: system, user: user, userDefault: userDefault)
    }

    /// Writes the hives whose bytes changed since `original`, each atomically; refuses while a
    /// wineserver runs. Returns the files written.
    @discardableResult
    public func save(_ registry: WinePrefixRegistry, comparedTo original: WinePrefixRegistry? = nil) throws -> [WineHiveFile] {
        try ensureNoServerRunning()
        var written: [WineHiveFile] = []
        let pairs: [(WineHiveFile, WineHive?, WineHive?)] = [
            (.system, registry.system, original?.system),
            (.user, registry.user, original?.user),
            (.userDefault, registry.userDefault, original?.userDefault),
        ]
        for (file, hive, before) in pairs {
            guard let hive, hive != before else { continue }
            let bytes = WineHiveCodec.encode(hive)
            let url = url(of: file)
            if before == nil {
                let existing = try? RegistryFileReader.read(url.path)
                // Without a reference, write only what differs from the disk, and create no empty hive.
                if existing == bytes || (existing == nil && hive.root.subkeys.isEmpty) { continue }
            }
            try AtomicHiveWriter.write(bytes, to: url.path)
            written.append(file)
        }
        return written
    }
}

/// The hives of one prefix and the registry they form.
public struct WinePrefixRegistry: Sendable, Equatable {
    public var system: WineHive
    public var user: WineHive
    public var userDefault: WineHive?

    public init(system: WineHive, user: WineHive, userDefault: WineHive? = nil) {
        self.system = system
        self.user = user
        self.userDefault = userDefault
    }

    /// The user SID named in user.reg's header (`;; All keys relative to REGISTRY\\User\\S-…`).
    public var userSID: String {
        let header = String(decoding: user.header, as: UTF8.self)
        if let range = header.range(of: "\\\\User\\\\") {
            let rest = header[range.upperBound...].prefix { !$0.isWhitespace }
            if !rest.isEmpty { return String(rest) }
        }
        return RegistrySnapshot.wineUserSID
    }

    /// HKLM = system.reg, HKU\<sid> = user.reg, HKU\.Default = userdef.reg.
    public var snapshot: RegistrySnapshot {
        var users = RegistryKey(name: "")
        var userRoot = user.root
        userRoot.name = userSID
        users.setSubkey(userRoot)
        if var defaultRoot = userDefault?.root {
            defaultRoot.name = ".Default"
            users.setSubkey(defaultRoot)
        }
        return RegistrySnapshot(localMachine: system.root, users: users, currentUserSID: userSID)
    }

    /// Takes changes made to a snapshot back into the hives.
    public mutating func update(from snapshot: RegistrySnapshot) {
        system.root = snapshot.localMachine
        if var userRoot = snapshot.users.subkey(named: userSID) {
            userRoot.name = ""
            user.root = userRoot
        }
        if var defaultRoot = snapshot.users.subkey(named: ".Default") {
            defaultRoot.name = ""
            if userDefault == nil { userDefault = WineHive(relativeTo: "REGISTRY\\User\\.Default") }
            userDefault?.root = defaultRoot
        }
    }
}

/// Reads whole files with errors in the registry domain (66 for missing/unreadable).
enum RegistryFileReader {
    static func read(_ path: String) throws -> [UInt8] { Array(try readData(path)) }

    /// A regular file mapped (`MappedFile`: Foundation's `.mappedIfSafe` copies on Linux), faulted in at once;
    /// anything else (empty, a FIFO) is read. Errors are the registry's (66).
    static func readData(_ path: String) throws -> Data {
        try map(path).data
    }

    /// As `readData`; `populate: false` faults pages in as they are read, for a reader that gives them back.
    static func map(_ path: String, populate: Bool = true) throws -> MappedFile {
        guard FileManager.default.fileExists(atPath: path) else { throw RegistryError.fileNotFound(path: path) }
        do {
            return try MappedFile(URL(fileURLWithPath: path), populate: populate)
        } catch {
            guard case .cannotRead(_, let reason) = error else { throw error }
            throw RegistryError.unreadable(path: path, reason: reason)
        }
    }
}

