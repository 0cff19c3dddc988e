import Foundation
import Testing
import TestSupport
@testable import WindowsRegistry

/// `registry query` reads only the keys on the way to the one asked for, and answers "not found" from that
/// scan. It must never say "not found" for a key the whole registry has: every answer is compared with the
/// full parse, on a hive with links and on a real Wine prefix.
struct FilteredLookupTests {
    static let controlSetLink = """
    [System\\\\ControlSet001\\\\Control\\\\Print] 0
    "v"=dword:00000001

    [System\\\\CurrentControlSet] 0
    #link
    "SymbolicLinkValue"=hex(6):\(linkData("\\REGISTRY\\Machine\\System\\ControlSet001"))

    """

    static let userHive = """
    WINE REGISTRY Version 2
    ;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000

    #arch=win64

    [Control Panel\\\\Desktop] 0
    "Wallpaper"=""

    [Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Internet Settings\\\\ZoneMap\\\\Domains\\\\sscc.com\\\\biz] 0
    "https"=dword:00000002

    """

    static func linkData(_ target: String) -> String {
        target.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }.map { String(format: "%02x", $0) }.joined(separator: ",")
    }

    static func prefix(system: String, user: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filtered-lookup-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(system.utf8).write(to: directory.appendingPathComponent("system.reg"))
        try Data(user.utf8).write(to: directory.appendingPathComponent("user.reg"))
        return directory
    }

    /// The filtered answer and the full one for `text`: both present and equal, or both absent.
    static func expectSameAnswer(_ text: String, in prefix: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let key = try RegistryPath(parsing: text)
        let target = RegistryTarget.winePrefix(prefix.path)
        let full = try RegistryLoader.load(target).key(at: key)
        let filtered = try RegistryLoader.load(target, for: key, bitness: .native64).key(at: key)
        #expect(filtered == full, "\(text): filtered \(filtered == nil ? "absent" : "present"), full \(full == nil ? "absent" : "present")",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        "HKLM\\Software\\Microsoft\\Both", "hklm\\SOFTWARE\\microsoft\\both", "HKLM\\Software\\Microsoft\\Neither",
        "HKLM\\Software\\Nothing\\Deeper\\Still", "HKLM\\Software", "HKCR\\CLSID\\{64}", "HKCR\\CLSID\\{99}",
        "HKLM\\Software\\Wow6432Node\\Classes\\CLSID\\{32}", "HKLM\\Software\\Wow6432Node\\Classes\\CLSID\\{99}",
        "HKLM\\System\\CurrentControlSet\\Control\\Print", "HKLM\\System\\CurrentControlSet\\Control\\Missing",
        "HKLM\\System\\ControlSet001\\Control\\Print", "HKLM\\System\\ControlSet002",
        "HKCU\\Control Panel\\Desktop", "HKCU\\Control Panel\\Mouse",
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\sscc.com\\biz",
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\sccc.com",
    ])
    func aHiveWithLinksGivesTheFullParsesAnswer(key: String) throws {
        let prefix = try Self.prefix(system: RegistryViewTests.machineHive + Self.controlSetLink, user: Self.userHive)
        defer { try? FileManager.default.removeItem(at: prefix) }
        try Self.expectSameAnswer(key, in: prefix)
    }

    @Test func aRealWinePrefixGivesTheFullParsesAnswerForKeysThereAndNot() throws {
        try #require(WineTestPrefix.wineIsInstalled, "needs wine to make a real prefix")
        _ = try WineTestPrefix.registry.prepare()
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("filtered-lookup-" + UUID().uuidString)
        try FileManager.default.copyItem(at: WineTestPrefix.registry.template, to: prefix)
        defer { try? FileManager.default.removeItem(at: prefix) }
        let full = try RegistryLoader.load(.winePrefix(prefix.path))
        // Keys two and three levels down in both hives, every one of them and a sibling that is not there.
        var keys: [String] = []
        for (root, tree) in [("HKLM", full.localMachine), ("HKCU", try #require(full.users.subkey(named: full.currentUserSID)))] {
            for child in tree.subkeys {
                for grandchild in child.subkeys.prefix(6) {
                    keys.append("\(root)\\\(child.name)\\\(grandchild.name)")
                    keys.append("\(root)\\\(child.name)\\\(grandchild.name)\\NotThere")
                    if let deeper = grandchild.subkeys.first { keys.append("\(root)\\\(child.name)\\\(grandchild.name)\\\(deeper.name)") }
                }
            }
        }
        keys += ["HKLM\\System\\CurrentControlSet\\Control", "HKLM\\System\\CurrentControlSet\\NotThere", "HKCR\\CLSID", "HKCR\\NotThere"]
        #expect(keys.count > 20)
        for key in keys { try Self.expectSameAnswer(key, in: prefix) }
    }
}
