import Foundation
import Testing
import TestSupport
@testable import WindowsRegistry

/// Decoding only some subtrees of a hive (what the Windows-side checks read of a prefix) must give exactly the
/// keys the full parse gives below each subtree, and the ancestors on the way, whatever the file holds between
/// them: links, escaped and non-ASCII names, keys differing only in case, `[` in values, continued hex lines.
struct FilteredHiveDecodeTests {
    static let oddHive = """
    WINE REGISTRY Version 2
    ;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000

    #arch=win64

    [AppEvents\\\\Schemes] 1
    @="[not a key]"
    "Continued"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,17,18,19,1a,1b,\\
      1c,1d,1e,1f
    "[bracket]"="]["

    [Software] 2
    "Only"="the key itself: its line stops deciding at `]`"

    [Software\\\\Bench\\\\x\\x4e2d\\\\y] 2
    "\\x6587"="\\x5b57"
       [Software\\\\Blank\\\\Before] 3
    "v"=dword:00000001

    [Software\\\\Classes\\\\CLSID\\\\{ABC}] 4
    @="control"

    [Software\\\\Classes\\\\CLSID\\\\{abc}\\\\InprocServer32] 5
    @="c:\\\\windows\\\\x.dll"

    [Software\\\\Microsoft\\\\Internet Explorer\\\\Main] 6
    "Start Page"="about:blank"

    [Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Internet Settings\\\\Other] 7
    "v"=dword:00000005

    [Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Internet Settings\\\\ZoneMap\\\\Domains\\\\sscc.com] 7
    "https"=dword:00000002

    [SOFTWARE\\\\MICROSOFT\\\\WINDOWS\\\\UPPER CASE ACROSS EIGHT-BYTE WORDS] 7
    "v"=dword:00000006

    [Software\\\\Microsoftish] 8
    "v"=dword:00000003

    [Software\\\\Wow6432Node\\\\Classes] 9
    #link
    "SymbolicLinkValue"=hex(6):5c,00,52,00,45,00,47,00,49,00,53,00,54,00,52,00,59,00,5c,00,55,00,73,00,65,00,\\
      72,00

    [Software\\\\Wow6432Node\\\\Microsoft\\\\Only32] 10
    "v"=dword:00000020

    [Software\\\\x\\x4e2d\\\\Policies] 11
    "v"=dword:00000004

    [Z\\\\Last] 12

    """

    static let subtrees: [[String]] = [["Software", "Classes"], ["software", "MICROSOFT"], ["Software", "Wow6432Node"], ["Software", "x\u{4e2d}"]]

    static func decode(_ text: String, onlyBelowAny subtrees: [[String]]?) throws -> WineHive {
        try WineHiveCodec.decode(Data(text.utf8), fileName: "user.reg", onlyBelowAny: subtrees)
    }

    /// The full tree with everything outside `subtrees` removed, ancestors kept with their values.
    static func restricted(_ key: RegistryKey, to subtrees: [[String]], path: [String] = []) -> RegistryKey {
        var kept = RegistryKey(name: key.name)
        kept.lastWriteTime = key.lastWriteTime
        kept.className = key.className
        kept.isSymbolicLink = key.isSymbolicLink
        for value in key.values { kept.insertValue(value) }
        for subkey in key.subkeys {
            let subpath = path + [subkey.name]
            func below(_ subtree: [String], _ path: [String]) -> Bool {
                subtree.count <= path.count && zip(subtree, path).allSatisfy { RegistryName.equal($0, $1) }
            }
            if subtrees.contains(where: { below($0, subpath) }) {
                kept.setSubkey(subkey)
            } else if subtrees.contains(where: { below(subpath, $0) }) {
                kept.setSubkey(restricted(subkey, to: subtrees, path: subpath))
            }
        }
        return kept
    }

    @Test func subtreesComeOutAsTheFullParseHasThem() throws {
        let full = try Self.decode(Self.oddHive, onlyBelowAny: nil)
        let filtered = try Self.decode(Self.oddHive, onlyBelowAny: Self.subtrees)
        #expect(filtered.header == full.header)
        #expect(filtered.root == Self.restricted(full.root, to: Self.subtrees))
        // The test reads something: the odd keys are there, and what is outside is not.
        #expect(filtered.root.key(at: "Software\\Classes\\CLSID\\{ABC}\\InprocServer32") != nil)
        #expect(filtered.root.key(at: "Software\\Wow6432Node\\Classes")?.isSymbolicLink == true)
        #expect(filtered.root.key(at: "Software\\x\u{4e2d}\\Policies") != nil)
        #expect(filtered.root.key(at: "Software\\Microsoftish") == nil && full.root.key(at: "Software\\Microsoftish") != nil)
        // An ancestor's own line (its path ends before the subtrees'), and a key whose case differs past the
        // first eight bytes of its line.
        #expect(filtered.root.key(at: "Software")?.value(named: "Only") != nil)
        #expect(filtered.root.key(at: "Software\\Microsoft\\Windows\\Upper Case Across Eight-Byte Words") != nil)
        #expect(filtered.root.key(at: "Software\\Blank\\Before") == nil && full.root.key(at: "Software\\Blank\\Before") != nil)
        #expect(filtered.root.subkey(named: "AppEvents") == nil)
    }

    @Test func everySingleSubtreeAndNoneAgree() throws {
        let full = try Self.decode(Self.oddHive, onlyBelowAny: nil)
        for subtree in Self.subtrees + [["AppEvents"], ["Z", "Last"], ["Software", "Bench", "x\u{4e2d}"], ["Nowhere"]] {
            let filtered = try Self.decode(Self.oddHive, onlyBelowAny: [subtree])
            #expect(filtered.root == Self.restricted(full.root, to: [subtree]), "\(subtree)")
        }
        #expect(try Self.decode(Self.oddHive, onlyBelowAny: []).root == RegistryKey(name: ""))
    }

    /// Whether the parser reads a key at `path`: it is an ancestor or a descendant of a subtree, and no branch
    /// left out below that subtree lies above it (the branch's own key is read).
    static func reads(_ path: [String], subtrees: [[String]], excluded: [[String]]) -> Bool {
        func below(_ prefix: [String], _ path: [String]) -> Bool {
            prefix.count <= path.count && zip(prefix, path).allSatisfy { RegistryName.equal($0, $1) }
        }
        return subtrees.contains { wanted in
            (below(wanted, path) || below(path, wanted))
                && !excluded.contains { $0.count > wanted.count && $0.count < path.count && below(wanted, $0) && below($0, path) }
        }
    }

    /// The full tree with the keys the parser does not read removed.
    static func kept(_ key: RegistryKey, subtrees: [[String]], excluded: [[String]], path: [String] = []) -> RegistryKey {
        var kept = RegistryKey(name: key.name)
        kept.lastWriteTime = key.lastWriteTime
        kept.className = key.className
        kept.isSymbolicLink = key.isSymbolicLink
        for value in key.values { kept.insertValue(value) }
        for subkey in key.subkeys where reads(path + [subkey.name], subtrees: subtrees, excluded: excluded) {
            kept.setSubkey(Self.kept(subkey, subtrees: subtrees, excluded: excluded, path: path + [subkey.name]))
        }
        return kept
    }

    /// Branches left out of the subtrees read come out as the full parse less what lies below them: matched in
    /// any case, by their bytes or (escaped, non-ASCII) by their names, only at a whole name (`Microsoftish` is
    /// not `Microsoft`), read after all where a subtree lies below them; the branch's own key is there (made as
    /// the whole parse makes it when only keys below it have sections).
    @Test func branchesLeftOutAreLeftOutAndNothingElse() throws {
        let full = try Self.decode(Self.oddHive, onlyBelowAny: nil)
        let zoneMap = ["Software", "Microsoft", "Windows", "CurrentVersion", "Internet Settings", "ZoneMap"]
        let other = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Other"
        let domain = zoneMap.joined(separator: "\\") + "\\Domains\\sscc.com"
        let cases: [(subtrees: [[String]], excluded: [[String]], gone: [String], there: [String])] = [
            (Self.subtrees, [["software", "CLASSES", "clsid"]], ["Software\\Classes\\CLSID\\{ABC}"], ["Software\\Classes\\CLSID"]),
            ([["Software"]], [["Software", "x\u{4e2d}"], ["Software", "Wow6432Node", "Microsoft"]],
             ["Software\\x\u{4e2d}\\Policies", "Software\\Wow6432Node\\Microsoft\\Only32"],
             ["Software\\x\u{4e2d}", "Software\\Wow6432Node\\Microsoft", "Software\\Wow6432Node\\Classes"]),
            ([["Software"]], [["Software", "Microsoft"]], ["Software\\Microsoft\\Internet Explorer"], ["Software\\Microsoftish", "Software\\Microsoft"]),
            (Self.subtrees + [zoneMap], [["Software", "Microsoft", "Windows"], ["Software", "Microsoft"]], [other],
             ["Software\\Microsoft\\Internet Explorer\\Main", domain, "Software\\Microsoft\\Windows"]),
            ([["Software", "Microsoft"], zoneMap], [["Software", "Microsoft", "Windows"], ["Software", "Microsoft", "Windows", "CurrentVersion"]], [other],
             ["Software\\Microsoft\\Internet Explorer\\Main", domain]),
        ]
        for (subtrees, excluded, gone, there) in cases {
            let filtered = try WineHiveCodec.decode(Data(Self.oddHive.utf8), fileName: "user.reg", onlyBelowAny: subtrees, excluding: excluded)
            #expect(filtered.root == Self.kept(full.root, subtrees: subtrees, excluded: excluded), "\(excluded)")
            #expect(filtered.root != Self.restricted(full.root, to: subtrees), "\(excluded) leaves something out")
            for path in gone { #expect(filtered.root.key(at: path) == nil, "\(path)") }
            for path in there { #expect(filtered.root.key(at: path) != nil && full.root.key(at: path) != nil, "\(path)") }
        }
    }

    /// Skipped lines are not counted one by one; an error after them still names its line.
    @Test func anErrorAfterSkippedKeysNamesItsLine() throws {
        let broken = Self.oddHive + "[Software\\\\Microsoft\\\\Broken] 13\n\"v\"=dword:xyz\n"
        let expectedLine = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("\"v\"=dword:xyz") }! + 1
        for subtrees in [nil, Self.subtrees] {
            #expect {
                _ = try Self.decode(broken, onlyBelowAny: subtrees)
            } throws: { error in
                guard case RegistryError.malformed(_, let line, _) = error else { return false }
                return line == expectedLine
            }
        }
    }

    @Test func aRealWinePrefixsHivesAgree() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine to make a real prefix")
        _ = try WineTestPrefix.registry.prepare()
        let subtrees: [[String]] = [["Software", "Classes"], ["Software", "Microsoft"], ["Software", "Policies"], ["Software", "Wow6432Node"],
                                    ["System", "CurrentControlSet"], ["Control Panel"]]
        for file in ["system.reg", "user.reg"] {
            let data = try Data(contentsOf: WineTestPrefix.registry.template.appendingPathComponent(file))
            let full = try WineHiveCodec.decode(data, fileName: file, onlyBelowAny: nil)
            let filtered = try WineHiveCodec.decode(data, fileName: file, onlyBelowAny: subtrees)
            #expect(filtered.root == Self.restricted(full.root, to: subtrees), "\(file)")
            #expect(!filtered.root.subkeys.isEmpty, "\(file)")
        }
    }
}
