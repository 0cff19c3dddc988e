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
/// `Wow6432Node` children are kept whole), less the branches no check reads (`Part`), whose own keys stay as
/// the whole tree has them. The targets of the symbolic links in what is kept are read too, in the hive they
/// point into (Wine links `Software\Wow6432Node\…` keys to their native ones, some elsewhere): a link is
/// followed literally, so its target's subtree is all a lookup through it needs.
public final class PrefixHives: @unchecked Sendable {
    /// Subtrees every lookup of the checks lies in, relative to a hive's root.
    public static let subtrees: [[String]] = [
        ["Software", "Classes"], ["Software", "Microsoft"], ["Software", "Policies"], ["Software", "Wine"],
        ["Software", "Wow6432Node"], ["Wow6432Node"],
    ]

    /// Branches of those subtrees that no check reads, left out: the COM interface registrations are close to
    /// half of the `system.reg` Wine makes (and parsing them a third of a check on it), time zones and
    /// telephony a third of what is left; R17's residue search, which must see all, parses the whole hive.
    public static let excluded: [[String]] = [
        ["Software", "Classes", "Interface"], ["Software", "Classes", "Wow6432Node", "Interface"],
        // Wine links `…\Windows\CurrentVersion\Time Zones` here: a lookup through it reads the whole registry.
        ["Software", "Microsoft", "Windows NT", "CurrentVersion", "Time Zones"],
        ["Software", "Microsoft", "Windows", "CurrentVersion", "Telephony"],
        ["Software", "Wow6432Node", "Microsoft", "Windows", "CurrentVersion", "Telephony"],
    ]

    /// What the first round reads of each hive: subtrees, less branches left out below them (whose own keys
    /// are read, and exist where the whole tree has them, as the lookups that pass them need).
    public struct Part: Sendable {
        public var subtrees: [[String]]
        public var excluded: [[String]]

        public static let standard = Part(subtrees: PrefixHives.subtrees, excluded: PrefixHives.excluded)

        /// The standard part with `CLSID` in both class views left out but for the keys of `classIDs` (the
        /// profile's controls, which are all the ActiveX checks look up there): the other classes are a
        /// quarter of Wine's `system.reg`. A `Wow6432Node` below `CLSID` is read too, as a 32-bit lookup would
        /// turn into it.
        public static func reading(classIDs: [String]) -> Part {
            var part = standard
            for classes in [["Software", "Classes"], ["Software", "Classes", "Wow6432Node"]] {
                part.excluded.append(classes + ["CLSID"])
                part.subtrees.append(classes + ["CLSID", "Wow6432Node"])
                part.subtrees += classIDs.map { classes + ["CLSID", $0] }
            }
            return part
        }

        /// Whether `components` (relative to a hive's root) lie in a subtree read whole: below a subtree and
        /// not at or below a branch left out of it.
        public func covers(_ components: [String]) -> Bool {
            subtrees.contains { subtree in
                PrefixHives.isBelow(components, subtree)
                    && !excluded.contains { $0.count > subtree.count && PrefixHives.isBelow($0, subtree) && PrefixHives.isBelow(components, $0) }
            }
        }
    }

    /// Whether `components` (relative to a hive's root) lie in a subtree the standard first round reads whole.
    public static func covers(_ components: [String]) -> Bool {
        Part.standard.covers(components)
    }

    /// `path` is `ancestor` or lies below it.
    static func isBelow(_ path: [String], _ ancestor: [String]) -> Bool {
        RegistryName.isPrefix(ancestor, of: path)
    }

    static func isBelowAny(_ path: [String], _ ancestors: [[String]]) -> Bool {
        ancestors.contains { isBelow(path, $0) }
    }

    /// Whether a lookup of `components` (relative to a hive's root) is answered by what was read: they lie in
    /// a subtree read whole, and no link read leads from them into a part left out.
    public func covers(_ components: [String]) -> Bool {
        part.covers(components) && !Self.isBelowAny(components, branchesThroughLinks)
    }

    let prefix: WinePrefix
    let system: Data?
    let user: Data?
    let part: Part
    /// The registry the checks read: the covered subtrees of system.reg and user.reg, userdef.reg whole; nil
    /// when a link points where a partial read cannot follow (another user's tree), and only the whole will do.
    public let filtered: WinePrefixRegistry?
    /// The branches left out as a lookup reaches them through the links read (`Software\Wow6432Node\Classes`
    /// is Wine's link to `Software\Classes\Wow6432Node`), and links into a branch left out.
    let branchesThroughLinks: [[String]]
    /// R17's byte scans (`HiveFileText`) of both files, begun when they are mapped: a failed ActiveX check asks
    /// for them when it plans its fix, by which time the scan (as long, for a 40 MB `user.reg`, as reading what
    /// the checks need of both hives) is done on the machine's other core. A run whose controls all pass does not
    /// use them.
    private let scans: BackgroundValue<[PluginResidue.Hive: HiveFileText]>
    private let lock = NSLock()
    private var whole: Result<WinePrefixRegistry, any Error>?

    init(prefix: WinePrefix, part: Part = .standard) throws {
        self.prefix = prefix
        self.part = part
        system = try prefix.hiveData(.system)
        // user.reg is faulted in as it is read, and the pages each of its two readers (the first round's parse
        // below, R17's byte scan on another thread) has gone past are given back to the page cache: nothing else
        // reads most of them again (a lookup outside the part read maps the file anew; R17's scan keeps the
        // few bytes it needs), and a 40 MB hive kept in the process made a fix, which checks again, hold twice its size.
        // The reader behind faults its pages in again from the page cache, as it would without the other.
        let userFile = try prefix.hiveFile(.user, populate: false)
        user = userFile?.data
        let releaseUserPages: @Sendable (Int) -> Void = { userFile?.releasePages(below: $0) }
        scans = BackgroundValue { [system, user] in Self.scan(system: system, user: user, userPassed: releaseUserPages) }
        var registry = WinePrefixRegistry(
            system: try Self.decode(system, of: prefix, .system, below: part.subtrees, excluding: part.excluded)
                ?? WineHive(relativeTo: "REGISTRY\\Machine"),
            user: try Self.decode(user, of: prefix, .user, below: part.subtrees, excluding: part.excluded) { releaseUserPages($0) }
                ?? WineHive(relativeTo: "REGISTRY\\User\\" + RegistrySnapshot.wineUserSID))
        // Each round reads the link targets the last one found, and only those, in the hive they point into;
        // Wine's own links need one round (and none into user.reg, which is then not read again). A target in a
        // branch left out is not read: a lookup through its link reads the whole registry.
        var machineRead: [[String]] = [], userRead: [[String]] = []
        let userSID = registry.userSID
        guard var links = Self.links(registry) else {
            filtered = nil
            branchesThroughLinks = []
            return
        }
        for _ in 0..<8 {
            func unread(intoMachine: Bool, read: [[String]]) -> [[String]] {
                var seen = Set<String>()
                return links.filter { $0.intoMachine == intoMachine }.map(\.target).filter {
                    !(part.covers($0) || Self.isBelowAny($0, read) || Self.isBelowAny($0, part.excluded))
                        && seen.insert($0.joined(separator: "\\").lowercased()).inserted
                }
            }
            let machineUnread = unread(intoMachine: true, read: machineRead), userUnread = unread(intoMachine: false, read: userRead)
            if machineUnread.isEmpty && userUnread.isEmpty {
                registry.userDefault = try prefix.loadHive(.userDefault)
                filtered = registry
                branchesThroughLinks = Self.branches(part.excluded, through: links.map { ($0.link, $0.target) })
                return
            }
            // Only what this round read can hold links not seen yet.
            var followable = true
            if !machineUnread.isEmpty, let read = try Self.decode(system, of: prefix, .system, below: machineUnread) {
                followable = Self.collectLinks(in: read.root, userSID: userSID, into: &links) && followable
                for child in read.root.subkeys { registry.system.root.mergeSubkey(child) }
            }
            if !userUnread.isEmpty, let read = try Self.decode(user, of: prefix, .user, below: userUnread) {
                followable = Self.collectLinks(in: read.root, userSID: userSID, into: &links) && followable
                for child in read.root.subkeys { registry.user.root.mergeSubkey(child) }
            }
            guard followable else { break }
            machineRead += machineUnread
            userRead += userUnread
        }
        filtered = nil
        branchesThroughLinks = []
    }

    /// R17's byte scan of each hive file there is; `userPassed` is told how far it has gone in `user.reg`.
    private static func scan(system: Data?, user: Data?, userPassed: @escaping (Int) -> Void) -> [PluginResidue.Hive: HiveFileText] {
        var scanned: [PluginResidue.Hive: HiveFileText] = [:]
        for (hive, data) in [(PluginResidue.Hive.machine, system), (.user, user)] {
            guard let data else { continue }
            scanned[hive] = data.withUnsafeBytes { raw in
                HiveFileText(raw.bindMemory(to: UInt8.self), passed: hive == .user ? userPassed : { _ in })
            }
        }
        return scanned
    }

    private static func decode(
        _ data: Data?, of prefix: WinePrefix, _ file: WineHiveFile, below subtrees: [[String]], excluding: [[String]] = [],
        passed: ((Int) -> Void)? = nil
    ) throws -> WineHive? {
        try data.map {
            try WineHiveCodec.decode($0, fileName: prefix.url(of: file).path, onlyBelowAny: subtrees, excluding: excluding, passed: passed)
        }
    }

    /// The `leftOut` branches as reached through `links`: a link whose target lies above a branch leads into it
    /// below the link, and a link whose target lies in a branch (not read) leads into it at the link itself;
    /// and so on through links to links, as a lookup walks them all.
    static func branches(_ leftOut: [[String]], through links: [(link: [String], target: [String])]) -> [[String]] {
        var branches = leftOut
        var seen = Set(branches.map { $0.joined(separator: "\\").lowercased() })
        var reached: [[String]] = []
        var index = 0
        while index < branches.count, branches.count < 256 {
            let branch = branches[index]
            index += 1
            for (link, target) in links {
                var alias: [String]
                if isBelow(branch, target) {
                    alias = link + branch.dropFirst(target.count)
                } else if isBelow(target, branch) {
                    alias = link
                } else {
                    continue
                }
                if seen.insert(alias.joined(separator: "\\").lowercased()).inserted {
                    branches.append(alias)
                    reached.append(alias)
                }
            }
        }
        return reached
    }

    /// Every link in `registry`, relative to the hive it is in, and its target, relative to the hive it points
    /// into; nil when a target cannot be read partly.
    static func links(_ registry: WinePrefixRegistry) -> [(link: [String], target: [String], intoMachine: Bool)]? {
        var links: [(link: [String], target: [String], intoMachine: Bool)] = []
        guard collectLinks(in: registry.system.root, userSID: registry.userSID, into: &links),
              collectLinks(in: registry.user.root, userSID: registry.userSID, into: &links)
        else { return nil }
        return links
    }

    /// Appends the links below `root` (a hive's root) to `links`; false when a target cannot be read partly
    /// (another user's tree).
    static func collectLinks(in root: RegistryKey, userSID sid: String, into links: inout [(link: [String], target: [String], intoMachine: Bool)]) -> Bool {
        var followable = true
        var path: [String] = []
        func visit(_ key: RegistryKey) {
            if key.isSymbolicLink, let target = RegistrySnapshot.linkTarget(of: key) {
                if target.isMachine {
                    links.append((path, target.components, true))
                } else if let first = target.components.first, RegistryName.equal(first, sid) {
                    links.append((path, Array(target.components.dropFirst()), false))
                } else {
                    followable = false
                }
            }
            for subkey in key.subkeys {
                path.append(subkey.name)
                visit(subkey)
                path.removeLast()
            }
        }
        visit(root)
        return followable
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

    /// Whether anything in one hive file can mention `clsid` (`ClassIDScan`); false also when there is no file.
    func mayMention(_ clsid: String, in hive: PluginResidue.Hive) -> Bool {
        guard let data = hive == .machine ? system : user, let text = scans.value[hive] else { return false }
        return data.withUnsafeBytes { raw in ClassIDScan(clsid).mayBeIn(hiveFile: raw.bindMemory(to: UInt8.self), decoded: text) }
    }

    /// One hive's whole tree, parsed on first use.
    func wholeRoot(of hive: PluginResidue.Hive) throws -> RegistryKey {
        let registry = try wholeRegistry()
        return hive == .machine ? registry.system.root : registry.user.root
    }
}
