import CertDoctorCore
import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

/// Editing one subtree in a hive's bytes gives exactly what decoding the whole hive, editing it and encoding it
/// gives; where the bytes cannot tell which lines are the subtree's, it declines and the whole hive is edited.
@Suite(.serialized) struct WineHiveSubtreeEditTests {
    /// A fixed write time, so that the two ways stamp the same keys alike.
    static let time: UInt64 = 133_000_000_000_000_000

    static func setting(_ value: RegistryValue, at path: String) -> (inout RegistryKey) -> Void {
        let components = RegistryKey.components(of: path)
        return { root in root.withKey(creating: components[...], at: time) { $0.setValue(value, at: time) } }
    }

    /// The whole-hive way: decode, edit, encode.
    static func wholeHive(_ bytes: [UInt8], _ edit: (inout RegistryKey) -> Void) throws -> [UInt8] {
        var hive = try WineHiveCodec.decode(bytes, fileName: "hive")
        edit(&hive.root)
        return WineHiveCodec.encode(hive)
    }

    @Test(.enabled(if: WineTestPrefix.wineIsInstalled, "needs wine and wine64 (apt-get install wine wine64)"))
    func editsOfWinesOwnHivesAreByteIdenticalToTheWholeHiveEdit() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let zones = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Zones\\2"
        let user = try [UInt8](Data(contentsOf: prefix.appendingPathComponent("user.reg")))
        let existing = try #require(WineHiveCodec.decode(user, fileName: "user.reg").root.key(at: zones)?.values.first?.name)
        let cases: [(file: String, path: String, value: RegistryValue)] = [
            ("user.reg", zones, RegistryValue(name: "1004", dword: 0)),
            // A value that is there, named in other letters' case.
            ("user.reg", zones, RegistryValue(name: existing.uppercased(), dword: 7)),
            // Keys that are not there yet, under one that is; the path spelt in other cases than the file's.
            ("user.reg", "SOFTWARE\\microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\example.com",
             RegistryValue(name: "https", dword: 2)),
            ("user.reg", "Software\\CertDoctorSubtreeTest\\a\\b", RegistryValue(name: "名", type: .binary, data: [0, 1])),
            ("system.reg", "Software\\Microsoft\\Windows\\CurrentVersion", RegistryValue(name: "CertDoctor", dword: 1)),
        ]
        for (file, path, value) in cases {
            let bytes = try [UInt8](Data(contentsOf: prefix.appendingPathComponent(file)))
            let edit = Self.setting(value, at: path)
            let edited = try WineHiveSubtreeEdit.edit(bytes, fileName: file, at: RegistryKey.components(of: path), edit)
            let whole = try Self.wholeHive(bytes, edit)
            let spliced = try #require(edited, "\(file) \(path): edited in the bytes")
            #expect(spliced == whole, "\(file) \(path)")
            #expect(spliced != bytes, "\(file) \(path): changed")
        }
    }

    static let hive = """
        WINE REGISTRY Version 2
        ;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000

        #arch=win64

        [A\\\\B] 1700000000
        #time=1da00000000000
        "v"=dword:00000001

        [A\\\\B\\\\C] 1700000000
        #time=1da00000000000
        "w"=str:"kept as written"

        [A\\\\D] 1700000000
        #time=1da00000000000
        "x"="1"

        [E] 1700000000
        #time=1da00000000000
        "y"="2"

        """

    @Test func onlyTheEditedSubtreeIsWrittenAgain() throws {
        let bytes = Array(Self.hive.utf8)
        let edit = Self.setting(RegistryValue(name: "z", dword: 3), at: "A\\D")
        let edited = try #require(try WineHiveSubtreeEdit.edit(bytes, fileName: "hive", at: ["A", "D"], edit))
        // `str:"…"` is how Wine 1.x wrote a string; the whole-hive edit writes it as `"…"`, the subtree edit keeps it.
        let text = String(decoding: edited, as: UTF8.self)
        #expect(text.contains("\"w\"=str:\"kept as written\""))
        #expect(try WineHiveCodec.decode(edited, fileName: "hive") == WineHiveCodec.decode(try Self.wholeHive(bytes, edit), fileName: "hive"))
        let prefixEnd = try #require(text.range(of: "[A\\\\D]")).lowerBound
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(String(text[..<prefixEnd])), "the lines before it are copied")
        #expect(text.hasSuffix("\n[E] 1700000000\n#time=1da00000000000\n\"y\"=\"2\"\n"), "and the lines after it")
    }

    @Test func declinesWhereTheBytesCannotTellTheSubtreesLines() throws {
        let edit = Self.setting(RegistryValue(name: "z", dword: 3), at: "A\\New")
        // A's sections in two runs (E between them).
        let split = Self.hive.replacingOccurrences(of: "[A\\\\D]", with: "[F]") + "\n[A\\\\G] 1700000000\n\"g\"=\"3\"\n"
        #expect(try WineHiveSubtreeEdit.edit(Array(split.utf8), fileName: "hive", at: ["A", "New"], edit) == nil)
        // A key line that spells A with an escape.
        let escaped = Self.hive.replacingOccurrences(of: "[A\\\\D]", with: "[\\x41\\\\D]")
        #expect(try WineHiveSubtreeEdit.edit(Array(escaped.utf8), fileName: "hive", at: ["A", "New"], edit) == nil)
        // A key that is not there at all: its place is among the root's keys, so the whole hive is edited.
        #expect(try WineHiveSubtreeEdit.edit(Array(Self.hive.utf8), fileName: "hive", at: ["New"], edit) == nil)
        // An edit reaching outside the path it named.
        let outside: (inout RegistryKey) -> Void = { $0.withKey(creating: ["E"][...], at: Self.time) { $0.setValue(RegistryValue(name: "q", dword: 1), at: Self.time) } }
        #expect(try WineHiveSubtreeEdit.edit(Array(Self.hive.utf8), fileName: "hive", at: ["A", "D"], outside) == nil)
    }

    @Test func anEscapeOfACharacterNoPlainPathHoldsIsNoReasonToDecline() throws {
        // `\x7532` (甲) under A parts from the path at an escape that cannot stand for an ASCII letter.
        let text = Self.hive.replacingOccurrences(of: "[A\\\\B\\\\C]", with: "[A\\\\\\x7532]")
        let edit = Self.setting(RegistryValue(name: "z", dword: 3), at: "A\\D")
        let edited = try #require(try WineHiveSubtreeEdit.edit(Array(text.utf8), fileName: "hive", at: ["A", "D"], edit))
        #expect(try WineHiveCodec.decode(edited, fileName: "hive") == WineHiveCodec.decode(try Self.wholeHive(Array(text.utf8), edit), fileName: "hive"))
    }

    /// Several steps' edits in one file (the same subtree twice, one inside another, apart) come out as the
    /// whole-hive edits made one after the other.
    @Test func editsOfSeveralStepsComeOutAsTheWholeHiveEditsInTurn() throws {
        let bytes = Array(Self.hive.utf8)
        let edits: [(path: [String], edit: (inout RegistryKey) -> Void)] = [
            (["A", "D"], Self.setting(RegistryValue(name: "z", dword: 3), at: "A\\D")),
            (["A", "D"], Self.setting(RegistryValue(name: "x", dword: 4), at: "A\\D")),
            (["E"], Self.setting(RegistryValue(name: "e", dword: 5), at: "E")),
            (["A", "B", "C"], Self.setting(RegistryValue(name: "c", dword: 6), at: "A\\B\\C")),
            (["A", "B"], Self.setting(RegistryValue(name: "b", dword: 7), at: "A\\B")),
            (["A", "B", "C", "New"], Self.setting(RegistryValue(name: "n", dword: 8), at: "A\\B\\C\\New")),
        ]
        var spliced = SplicedHive(bytes)
        var whole = bytes
        for (path, edit) in edits {
            #expect(try spliced.edit(fileName: "hive", at: path, edit), "\(path)")
            whole = try Self.wholeHive(whole, edit)
        }
        #expect(try WineHiveCodec.decode(spliced.bytes, fileName: "hive") == WineHiveCodec.decode(whole, fileName: "hive"))
        #expect(String(decoding: spliced.bytes, as: UTF8.self).contains("\"w\"=str:\"kept as written\"") == false,
                "A\\B\\C was written again")
    }
}

/// A fix's steps find their subtrees in one pass over the hive: what the pass finds for each path is what a search
/// for that path alone finds, whatever the other paths meet (a key line the bytes cannot place for one of them, a
/// path with no sections, one inside another).
@Suite struct SubtreeSearchInOnePassTests {
    static let paths: [[String]] = [
        ["A", "D"], ["A", "B", "C"], ["A", "New"], ["E"], ["New"], ["A", "B", "C", "New"], ["a", "b"], ["A"],
        ["名"], [],
    ]

    static func variants() -> [(name: String, text: String)] {
        let hive = WineHiveSubtreeEditTests.hive
        return [
            ("as written", hive),
            ("A in two runs", hive.replacingOccurrences(of: "[A\\\\D]", with: "[F]") + "\n[A\\\\G] 1700000000\n\"g\"=\"3\"\n"),
            ("A spelt with an escape", hive.replacingOccurrences(of: "[A\\\\D]", with: "[\\x41\\\\D]")),
            ("an escape no plain path holds", hive.replacingOccurrences(of: "[A\\\\B\\\\C]", with: "[A\\\\\\x7532]")),
            ("no blank line before a key", hive.replacingOccurrences(of: "\n\n[E]", with: "\n[E]")),
        ]
    }

    @Test(arguments: variants().map(\.name))
    func eachPathIsFoundAsASearchForItAloneFindsIt(variant: String) throws {
        let text = try #require(Self.variants().first { $0.name == variant }).text
        let bytes = Array(text.utf8)
        let together = bytes.withUnsafeBufferPointer { WineHiveSubtreeEdit.locate($0, paths: Self.paths) }
        #expect(together.count == Self.paths.count)
        for path in Self.paths {
            let alone = WineHiveSubtreeEdit.locate(bytes, path: path)
            let inPass = try #require(together[path], "\(path) has an answer")
            #expect(inPass?.depth == alone?.depth && inPass?.range == alone?.range, "\(variant): \(path)")
        }
    }

    @Test(.enabled(if: WineTestPrefix.wineIsInstalled, "needs wine and wine64 (apt-get install wine wine64)"))
    func winesOwnHivesGiveTheSameSubtreesInOnePass() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let paths = [
            "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Zones\\2",
            "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\example.com",
            "Software\\Microsoft\\Internet Explorer\\Main",
            "Software\\Policies\\Microsoft\\Edge",
            "Software\\CertDoctorSubtreeTest\\a\\b",
            "Software\\Microsoft\\Windows\\CurrentVersion",
        ].map(RegistryKey.components(of:))
        for file in ["user.reg", "system.reg"] {
            let bytes = try [UInt8](Data(contentsOf: prefix.appendingPathComponent(file)))
            let together = bytes.withUnsafeBufferPointer { WineHiveSubtreeEdit.locate($0, paths: paths) }
            var found = 0
            for path in paths {
                let alone = WineHiveSubtreeEdit.locate(bytes, path: path)
                let inPass = try #require(together[path])
                #expect(inPass?.depth == alone?.depth && inPass?.range == alone?.range, "\(file): \(path)")
                if alone != nil { found += 1 }
            }
            #expect(found >= 3, "\(file): the paths lie in the hive")
        }
    }

    /// Paths found ahead (`SplicedHive.locate`) edit as paths found by each step.
    @Test func editsOfPathsFoundAheadComeOutAsEditsOfPathsFoundByEachStep() throws {
        let bytes = Array(WineHiveSubtreeEditTests.hive.utf8)
        let edits: [(path: [String], edit: (inout RegistryKey) -> Void)] = [
            (["A", "D"], WineHiveSubtreeEditTests.setting(RegistryValue(name: "z", dword: 3), at: "A\\D")),
            (["E"], WineHiveSubtreeEditTests.setting(RegistryValue(name: "e", dword: 5), at: "E")),
            (["A", "B", "C"], WineHiveSubtreeEditTests.setting(RegistryValue(name: "c", dword: 6), at: "A\\B\\C")),
            (["A", "B"], WineHiveSubtreeEditTests.setting(RegistryValue(name: "b", dword: 7), at: "A\\B")),
        ]
        var ahead = SplicedHive(bytes)
        ahead.locate(edits.map(\.path))
        var eachAlone = SplicedHive(bytes)
        for (path, edit) in edits {
            #expect(try ahead.edit(fileName: "hive", at: path, edit), "\(path)")
            #expect(try eachAlone.edit(fileName: "hive", at: path, edit), "\(path)")
        }
        #expect(ahead.bytes == eachAlone.bytes)
        #expect(ahead.bytes != bytes)
    }
}

/// A spliced hive over a file mapped page by page gives the same file as one over its bytes, and holds no more
/// of it than it is reading: after the search for a subtree and after the write, the pages it went past are back
/// in the page cache. (A fault may map a whole large folio of the page cache, up to 2 MB, hence the margins.)
@Suite struct SplicedHiveMappingTests {
    @Test func aMappedHiveIsSearchedAndWrittenWithoutBeingHeld() throws {
        // About 24 MB of keys after the one edited, so that both the search and the write go in several steps.
        var text = WineHiveSubtreeEditTests.hive
        for index in 0..<250_000 {
            text += "\n[Filler\\\\Key\(100_000 + index)] 1700000000\n#time=1da00000000000\n\"v\"=\"0123456789abcdef0123456789abcdef\"\n"
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spliced-\(UUID().uuidString).reg")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let edit = WineHiveSubtreeEditTests.setting(RegistryValue(name: "z", dword: 3), at: "E")

        let file = try MappedFile(url, populate: false)
        #expect(file.isMapping)
        var mapped = SplicedHive(file)
        var inMemory = SplicedHive(Array(text.utf8))
        #expect(try mapped.edit(fileName: "hive", at: ["E"], edit))
        #expect(try inMemory.edit(fileName: "hive", at: ["E"], edit))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let filePages = file.data.count / pageSize, folioPages = 2 << 20 / pageSize, chunkPages = 4 << 20 / pageSize
        #expect(filePages > chunkPages + 4 * folioPages)
        let pages = try file.data.withUnsafeBytes { try ResidentPages.count(in: $0) }
        #expect(pages <= folioPages + 16, "\(pages) of \(filePages) pages of the file held after the search")

        var written = [UInt8]()
        var mostHeld = 0
        try file.data.withUnsafeBytes { raw in
            try mapped.forEachPiece { (piece: UnsafeRawBufferPointer) throws in
                written += piece
                mostHeld = max(mostHeld, try ResidentPages.count(in: raw))
            }
        }
        #expect(written == inMemory.bytes)
        #expect(mostHeld <= chunkPages + 2 * folioPages, "\(mostHeld) of \(filePages) pages held while writing: more than one chunk")
        #expect(try file.data.withUnsafeBytes { try ResidentPages.count(in: $0) } <= folioPages + 16)
    }
}
