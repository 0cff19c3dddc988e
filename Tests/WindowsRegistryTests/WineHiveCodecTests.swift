import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

struct WineHiveCodecTests {
    static let header = "WINE REGISTRY Version 2\n;; All keys relative to REGISTRY\\\\User\\\\S-1-5-21-0-0-0-1000\n\n#arch=win64\n"

    func decode(_ text: String, file: String = "user.reg") throws -> WineHive {
        try WineHiveCodec.decode(Array(text.utf8), fileName: file)
    }

    func line(for value: RegistryValue) -> String {
        var key = RegistryKey(name: "K", lastWriteTime: RegistryKey.fileTimeOf1970)
        key.setValue(value, at: RegistryKey.fileTimeOf1970)
        var root = RegistryKey(name: "")
        root.setSubkey(key)
        let text = String(decoding: WineHiveCodec.encode(WineHive(header: [], root: root)), as: UTF8.self)
        return String(text.split(separator: "\n").last!)
    }

    /// Escapes as Wine's dump_strW writes them (examples confirmed byte for byte against Wine 8).
    @Test(arguments: [
        ("个人", #""s"="\x4e2a\x4eba""#),
        ("é!", #""s"="\xe9!""#),
        ("éa", #""s"="\x00e9a""#),
        ("个a人g", #""s"="\x4e2aa\x4ebag""#),
        ("😀", #""s"="\xd83d\xde00""#),
        ("quote\" back\\slash tab\tend", #""s"="quote\" back\\slash tab\tend""#),
        ("nl\ncr\rbell\u{7}esc\u{1b}one\u{1}two\u{1}7", #""s"="nl\ncr\rbell\aesc\eone\1two\0017""#),
    ])
    func stringsAreEscapedLikeWine(text: String, expected: String) throws {
        #expect(line(for: RegistryValue(name: "s", string: text)) == expected)
        let hive = try decode(Self.header + "\n[K] 0\n" + expected + "\n")
        #expect(hive.root.key(at: "K")?.value(named: "s")?.stringValue == text)
    }

    @Test func everyValueSyntaxIsRead() throws {
        let text = Self.header + """

        [Software\\\\Test\\\\A\\[1\\]] 1700000000
        #time=1d9f0a0b0c0d0e0
        #class="cls\\x4e2a"
        "s1"="plain"
        @="default value"
        "emptysz"=""
        "legacy"=str:"old"
        "exp"=str(2):"%USERPROFILE%\\\\x"
        "multi"=str(7):"a\\0b\\0\\x4e2a\\0"
        "bin"=hex:01,02,ff
        "dw"=dword:ffffffff
        "qw"=hex(b):88,77,66,55,44,33,22,11
        "none"=hex(0):00,00
        @=hex(ffff0007):03,00,00,00
        "wrapped"=hex:01,02,\\
          03 , 4,\\
          05
        "raw"="\u{6DF1}"
        "spaced" = dword:7

        """
        let hive = try decode(text)
        let key = try #require(hive.root.key(at: "software\\TEST\\a[1]"))
        #expect(key.name == "A[1]")
        #expect(key.lastWriteTime == 0x1d9f0a0b0c0d0e0)
        #expect(key.className == "cls个")
        #expect(key.value(named: "S1")?.stringValue == "plain")
        #expect(key.defaultValue?.type == RegistryValueType(rawValue: 0xffff0007))
        #expect(key.value(named: "emptysz")?.data == [0, 0])
        #expect(key.value(named: "legacy")?.stringValue == "old")
        #expect(key.value(named: "exp")?.type == .expandString)
        #expect(key.value(named: "exp")?.stringValue == "%USERPROFILE%\\x")
        #expect(key.value(named: "multi")?.multiStringValue == ["a", "b", "个"])
        #expect(key.value(named: "bin")?.data == [1, 2, 0xff])
        #expect(key.value(named: "dw")?.dwordValue == 0xffff_ffff)
        #expect(key.value(named: "qw")?.qwordValue == 0x1122_3344_5566_7788)
        #expect(key.value(named: "none")?.type == RegistryValueType.none)
        #expect(key.value(named: "wrapped")?.data == [1, 2, 3, 4, 5])
        #expect(key.value(named: "raw")?.stringValue == "深")
        #expect(key.value(named: "spaced")?.dwordValue == 7)
        #expect(hive.root.key(at: "Software")?.subkey(named: "test") != nil)
    }

    @Test func duplicateSectionsMergeAndTheLaterValueWins() throws {
        let hive = try decode(Self.header + "\n[K] 1\n\"a\"=dword:1\n\"b\"=dword:2\n\n[K] 2\n\"A\"=dword:3\n")
        let key = try #require(hive.root.key(at: "K"))
        #expect(key.values.map(\.name) == ["A", "b"])
        #expect(key.value(named: "a")?.dwordValue == 3)
    }

    @Test func modifiedHiveDiffersOnlyInTheChangedKey() throws {
        let text = Self.header + "\n[A] 1695750093\n#time=1d9f0a0b0c0d0e0\n\"x\"=dword:00000001\n\n[B] 1695750093\n#time=1d9f0a0b0c0d0e0\n\"y\"=\"z\"\n"
        var hive = try decode(text)
        #expect(String(decoding: WineHiveCodec.encode(hive), as: UTF8.self) == text)
        hive.root.withKey(creating: ["B"]) { $0.setValue(RegistryValue(name: "y", string: "new"), at: 0x1d9f0a0b0c0d0e1) }
        let written = String(decoding: WineHiveCodec.encode(hive), as: UTF8.self)
        let before = text.split(separator: "\n", omittingEmptySubsequences: false)
        let after = written.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(before.count == after.count)
        let changed = zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(changed == [10, 11], "changed lines: \(changed)")
    }

    @Test func implicitParentsAreOmittedAndNewKeysSorted() throws {
        var root = RegistryKey(name: "")
        root.withKey(creating: ["b", "Child"], at: RegistryKey.fileTimeOf1970) { $0.setValue(RegistryValue(name: "v", dword: 1), at: RegistryKey.fileTimeOf1970) }
        root.withKey(creating: ["A"], at: RegistryKey.fileTimeOf1970) { $0.setValue(RegistryValue(name: "v", dword: 2), at: RegistryKey.fileTimeOf1970) }
        let text = String(decoding: WineHiveCodec.encode(WineHive(header: [], root: root)), as: UTF8.self)
        #expect(text == "\n[A] 0\n#time=19db1ded53e8000\n\"v\"=dword:00000002\n\n[b\\\\Child] 0\n#time=19db1ded53e8000\n\"v\"=dword:00000001\n")
    }

    @Test func hexIsWrappedLikeWine() {
        let value = RegistryValue(name: "Blob", type: .binary, data: Array(repeating: 0xab, count: 30))
        var key = RegistryKey(name: "K")
        key.setValue(value, at: 0)
        var root = RegistryKey(name: "")
        root.setSubkey(key)
        let text = String(decoding: WineHiveCodec.encode(WineHive(header: [], root: root)), as: UTF8.self)
        let lines = text.split(separator: "\n").suffix(2).map(String.init)
        #expect(lines.first == "\"Blob\"=hex:" + String(repeating: "ab,", count: 22) + "\\")
        #expect(lines.last == "  " + String(repeating: "ab,", count: 7) + "ab")
    }

    @Test func filteredReadKeepsOnlyTheSubtreeAndItsAncestors() throws {
        let text = Self.header + "\n[A\\\\B] 1\n\"a\"=dword:1\n\n[A\\\\C] 1\n\"c\"=hex:01,\\\n  02\n\n[Other] 1\nnot a registry line\n\n[a\\\\c\\\\Deep] 1\n\"d\"=\"x\"\n"
        let full = try #require(try? decode(text.replacingOccurrences(of: "not a registry line\n", with: "")))
        let filtered = try WineHiveCodec.decode(Array(text.utf8), fileName: "user.reg", onlyBelow: ["a", "C"])
        #expect(filtered.root.key(at: "A\\C") == full.root.key(at: "A\\C"))
        #expect(filtered.root.key(at: "A\\B") == nil)
        #expect(filtered.root.key(at: "Other") == nil)
        #expect(throws: RegistryError.self) { try decode(text) }
        let brackets = Self.header + "\n[Zone\\\\A\\[1\\]] 1\n\"v\"=dword:1\n\n[Zone\\\\A\\[2\\]] 1\n\"v\"=dword:2\n"
        let one = try WineHiveCodec.decode(Array(brackets.utf8), fileName: "user.reg", onlyBelow: ["ZONE", "a[2]"])
        #expect(one.root.key(at: "zone")?.subkeys.map(\.name) == ["A[2]"])
    }

    // MARK: Errors: `file:line: what was expected`, never a crash or a hang.

    func expectMalformed(_ bytes: [UInt8], line: Int, _ problem: MalformedRegistryInput) {
        let error = #expect(throws: RegistryError.self) { try WineHiveCodec.decode(bytes, fileName: "user.reg") }
        #expect(error == .malformed(file: "user.reg", line: line, problem: problem))
    }

    @Test func malformedHivesAreRejectedWithTheirLine() {
        expectMalformed(Array("WINE REGISTRY Version 1\n".utf8), line: 1, .wineHeader)
        expectMalformed(Array((Self.header + "\"v\"=dword:1\n").utf8), line: 5, .valueWithoutKey)
        expectMalformed(Array((Self.header + "\n[K] 1\n\"bad\"=dwrod:1\n").utf8), line: 7, .valueType)
        expectMalformed(Array((Self.header + "\n[K] 1\nGARBAGE LINE\n").utf8), line: 7, .unrecognizedLine)
        expectMalformed(Array((Self.header + "\n[K] 1\n\"s\"=\"open\n").utf8), line: 7, .closingDelimiter("\""))
        expectMalformed(Array((Self.header + "\n[K 1\n").utf8), line: 6, .closingDelimiter("]"))
        expectMalformed(Array((Self.header + "\n[K] 1\n\"h\"=hex:01,02,\\\n").utf8), line: 7, .truncatedContinuation)
        expectMalformed(Array((Self.header + "\n[K] 1\n\"h\"=hex:01,zz\n").utf8), line: 7, .hexByte)
        expectMalformed(Array((Self.header + "\n[K] 1\n\"d\"=dword:123456789\n").utf8), line: 7, .dword)
        let error = RegistryError.malformed(file: "user.reg", line: 7, problem: .valueType)
        #expect(error.errorDescription?.hasPrefix("user.reg:7: expected") == true)
        #expect(error.chineseDescription.hasPrefix("user.reg:7: "))
    }

    @Test func hugeLinesAndBinaryGarbageAreErrors() {
        var huge = Array((Self.header + "\n[K] 1\n\"s\"=\"").utf8)
        huge += [UInt8](repeating: 0x41, count: WineHiveCodec.maximumLineLength + 10)
        huge += Array("\"\n".utf8)
        expectMalformed(huge, line: 7, .lineTooLong(limit: WineHiveCodec.maximumLineLength))
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let garbage = (0..<Int.random(in: 1..<2000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: RegistryError.self) { try WineHiveCodec.decode(garbage, fileName: "g.reg") }
            // Garbage after a valid header either parses or fails cleanly.
            _ = try? WineHiveCodec.decode(Array((Self.header + "\n[K] 1\n").utf8) + garbage, fileName: "g.reg")
        }
    }
}

