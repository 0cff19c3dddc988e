import CertDoctorCore
import Foundation
import WindowsRegistry

/// A Wine prefix's hives as read for a check run: the keys the Windows-side checks read, parsed from files
/// that stay mapped, and the whole registry parsed only when something outside those keys is asked for.
///
/// A 40 MB `user.reg` parses in about a second; the checks read a few hundred keys of it. The keys kept are
/// whole subtrees below `Software` (`Classes`, `Microsoft`, `Policies`, `Wine`, `Wow6432Node`) and
/// `Wow6432Node`: every key the built-in checks and zone rules read is below one of them, and so is every
/// key a lookup in either view walks through (the only partial keys are the root and `Software`, whose
/// `Wow6432Node` children are kept whole). The targets of the symbolic links in what is kept are read too
/// (Wine links `Software\Wow6432Node\…` keys to their native ones, some elsewhere): a link is followed
/// literally, so its target's subtree is all a lookup through it needs.
public final class PrefixHives: @unchecked Sendable {
    /// Subtrees every lookup of the checks lies in, relative to a hive's root.
    public static let subtrees: [[String]] = [
        ["Software", "Classes"], ["Software", "Microsoft"], ["Software", "Policies"], ["Software", "Wine"],
        ["Software", "Wow6432Node"], ["Wow6432Node"],
    ]

    /// Whether `components` (relative to a hive's root) lie in a subtree that was read whole.
    public static func covers(_ components: [String]) -> Bool {
        covers(components, in: subtrees)
    }

    static func covers(_ components: [String], in subtrees: [[String]]) -> Bool {
        subtrees.contains { subtree in
            components.count >= subtree.count && zip(subtree, components).allSatisfy { RegistryName.equal($0, $1) }
        }
    }

    let prefix: WinePrefix
    let system: Data?
    let user: Data?
    /// The registry the checks read: the covered subtrees of system.reg and user.reg, userdef.reg whole; nil
    /// when a link points where a partial read cannot follow (another user's tree), and only the whole will do.
    public let filtered: WinePrefixRegistry?
    private let lock = NSLock()
    private var whole: Result<WinePrefixRegistry, any Error>?

    init(prefix: WinePrefix) throws {
        self.prefix = prefix
        system = try prefix.hiveData(.system)
        user = try prefix.hiveData(.user)
        var read = Self.subtrees
        var registry = WinePrefixRegistry(
            system: try Self.decode(system, of: prefix, .system, below: read) ?? WineHive(relativeTo: "REGISTRY\\Machine"),
            user: try Self.decode(user, of: prefix, .user, below: read) ?? WineHive(relativeTo: "REGISTRY\\User\\" + RegistrySnapshot.wineUserSID))
        // Each round reads the link targets the last one found, and only those; Wine's own links need one round.
        for _ in 0..<8 {
            guard let targets = Self.linkTargets(registry) else { break }
            var seen = Set<String>()
            let unread = targets.filter { !Self.covers($0, in: read) && seen.insert($0.joined(separator: "\\").lowercased()).inserted }
            if unread.isEmpty {
                registry.userDefault = try prefix.loadHive(.userDefault)
                filtered = registry
                return
            }
            for child in try Self.decode(system, of: prefix, .system, below: unread)?.root.subkeys ?? [] { registry.system.root.mergeSubkey(child) }
            for child in try Self.decode(user, of: prefix, .user, below: unread)?.root.subkeys ?? [] { registry.user.root.mergeSubkey(child) }
            read += unread
        }
        filtered = nil
    }

    private static func decode(_ data: Data?, of prefix: WinePrefix, _ file: WineHiveFile, below subtrees: [[String]]) throws -> WineHive? {
        try data.map { try WineHiveCodec.decode($0, fileName: prefix.url(of: file).path, onlyBelowAny: subtrees) }
    }

    /// The targets of every link in `registry` (relative to the hive they are in; a link in either hive may
    /// point into either, and both are read with the same subtrees); nil when one cannot be read partly.
    static func linkTargets(_ registry: WinePrefixRegistry) -> [[String]]? {
        var targets: [[String]] = []
        var followable = true
        let sid = registry.userSID
        func visit(_ key: RegistryKey) {
            if key.isSymbolicLink {
                if let target = RegistrySnapshot.linkTarget(of: key) {
                    if target.isMachine {
                        targets.append(target.components)
                    } else if let first = target.components.first, RegistryName.equal(first, sid) {
                        targets.append(Array(target.components.dropFirst()))
                    } else {
                        followable = false
                    }
                }
            }
            key.subkeys.forEach(visit)
        }
        visit(registry.system.root)
        visit(registry.user.root)
        return followable ? targets : nil
    }

    /// The whole registry, parsed on first use (once per run).
    public func wholeRegistry() throws -> WinePrefixRegistry {
        lock.lock()
        defer { lock.unlock() }
        if let whole { return try whole.get() }
        let result = Result { try prefix.load() }
        whole = result
        return try result.get()
    }

    private var decodedText: [PluginResidue.Hive: HiveFileText] = [:]

    /// Whether anything in one hive file can mention `clsid` (`ClassIDScan`); false also when there is no file.
    func mayMention(_ clsid: String, in hive: PluginResidue.Hive) -> Bool {
        guard let data = hive == .machine ? system : user else { return false }
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let decoded = lock.withLock {
                if let known = decodedText[hive] { return known }
                let text = HiveFileText(bytes)
                decodedText[hive] = text
                return text
            }
            return ClassIDScan(clsid).mayBeIn(hiveFile: bytes, decoded: decoded)
        }
    }

    /// One hive's whole tree, parsed on first use.
    func wholeRoot(of hive: PluginResidue.Hive) throws -> RegistryKey {
        let registry = try wholeRegistry()
        return hive == .machine ? registry.system.root : registry.user.root
    }
}
