import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import WindowsRegistry
@testable import WindowsTarget

/// R17's search skips, by a byte scan, what cannot mention the class ID; what it finds must be exactly what
/// decoding and lower-casing every key and value finds (the reference below is that search as it was).
@Suite struct ResidueScanTests {
    static let clsid = "{4A1A3A5B-8C3E-4F6E-9B1D-2C3A4B5C6D7E}"

    /// The search without the scan: every name and every string value decoded, lower-cased and searched.
    static func reference(_ clsid: String, in root: RegistryKey, hive: PluginResidue.Hive) -> [PluginResidue.Item] {
        let needle = clsid.lowercased()
        var items: [PluginResidue.Item] = []
        func walk(_ key: RegistryKey, path: String) {
            for value in key.values {
                let text = value.stringValue ?? value.multiStringValue?.joined(separator: "\n") ?? ""
                if value.name.lowercased().contains(needle) || text.lowercased().contains(needle) {
                    items.append(PluginResidue.Item(hive: hive, path: path, valueName: value.name))
                }
            }
            for subkey in key.subkeys {
                let subpath = path.isEmpty ? subkey.name : path + "\\" + subkey.name
                if subkey.name.lowercased().contains(needle) {
                    items.append(PluginResidue.Item(hive: hive, path: subpath))
                } else {
                    walk(subkey, path: subpath)
                }
            }
        }
        walk(root, path: "")
        return items
    }

    static func tree() -> RegistryKey {
        let lower = clsid.lowercased()
        var root = RegistryKey(name: "")
        root.withKey(creating: ["Software", "Classes", "CLSID", clsid]) { $0.setValue(RegistryValue(name: "", string: "JIT control")) }
        root.withKey(creating: ["Software", "Classes", "CLSID", "{" + lower.dropFirst()]) { _ in }
        root.withKey(creating: ["Software", "Mixed"]) { key in
            key.setValue(RegistryValue(name: "upper", string: "CLSID=" + clsid))
            key.setValue(RegistryValue(name: "lower " + lower, dword: 1))
            key.setValue(RegistryValue(name: "expand", string: "%SystemRoot%\\" + clsid + ".dll", type: .expandString))
            key.setValue(RegistryValue(name: "multi", multiString: ["first", "x" + clsid + "y", "last"]))
            key.setValue(RegistryValue(name: "split over two strings", multiString: [String(clsid.prefix(10)), String(clsid.dropFirst(10))]))
            key.setValue(RegistryValue(name: "binary with the text", type: .binary, data: Array(clsid.utf16).flatMap { [UInt8($0 & 0xff), 0] }))
            key.setValue(RegistryValue(name: "odd length", type: .string, data: Array(clsid.utf16).flatMap { [UInt8($0 & 0xff), 0] } + [0x41]))
            key.setValue(RegistryValue(name: "chinese 插件 " + clsid, string: "证书 " + lower + " 控件"))
            key.setValue(RegistryValue(name: "combining", string: clsid + "\u{0301}"))
            key.setValue(RegistryValue(name: "almost", string: String(clsid.dropLast())))
            key.setValue(RegistryValue(name: "fullwidth", string: clsid.uppercased().map { $0 == "A" ? "Ａ" : String($0) }.joined()))
            key.setValue(RegistryValue(name: "utf-8 bytes in a string value", type: .string, data: Array(clsid.utf8)))
            key.setValue(RegistryValue(name: "plain", string: "nothing here"))
        }
        root.withKey(creating: ["Software", "Holder " + clsid.uppercased(), "Below"]) { $0.setValue(RegistryValue(name: "v", string: clsid)) }
        return root
    }

    @Test func findsExactlyWhatDecodingEveryValueFinds() {
        let root = Self.tree()
        for clsid in [Self.clsid, Self.clsid.lowercased(), "not a class id", "Ａ{"] {
            let found = PluginResidue.mentions(of: clsid, in: root, hive: .user)
            #expect(found == Self.reference(clsid, in: root, hive: .user), "\(clsid)")
        }
        // The CLSID key, the holder key, and five values; the byte scan lets "combining" through, and the decided
        // search leaves it (a class ID followed by a combining mark ends in another character), as before.
        let found = PluginResidue.mentions(of: Self.clsid, in: root, hive: .user)
        #expect(found.count == 7, "\(found)")
        #expect(!found.contains { $0.valueName == "combining" })
    }

    /// Whether the hive file's bytes let the search through.
    static func mayMention(_ clsid: String, hiveBytes: [UInt8]) -> Bool {
        hiveBytes.withUnsafeBufferPointer { ClassIDScan(clsid).mayBeIn(hiveFile: $0) }
    }

    static func hiveFile(_ body: String) -> String {
        "WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000\n\n#arch=win64\n\n" + body
    }

    /// A hive file whose bytes are ruled out has nothing the search finds: every key and value of the test tree
    /// alone in a hive as Wine writes it, and hand-written hives that spell the class ID with escapes or as hex.
    @Test func aHiveFileRuledOutByItsBytesHasNoMention() throws {
        var hives: [[UInt8]] = []
        let tree = Self.tree()
        func collect(_ key: RegistryKey, path: [String]) {
            for value in key.values {
                var alone = RegistryKey(name: "")
                alone.withKey(creating: path[...]) { $0.setValue(value) }
                hives.append(WineHiveCodec.encode(WineHive(header: Array(Self.hiveFile("").utf8.dropLast()), root: alone)))
            }
            for subkey in key.subkeys { collect(subkey, path: path + [subkey.name]) }
        }
        collect(tree, path: [])
        let lowerHex = Self.clsid.lowercased().dropFirst().dropLast()
        hives += [
            "[Software\\\\X] 0\n\"v\"=\"\\x7b\(lowerHex)}\"\n",
            "[Software\\\\X] 0\n\"v\"=\"\\173\(lowerHex)}\"\n",
            "[Software\\\\X] 0\n\"v\"=\"\\{\(lowerHex)}\"\n",
            "[Software\\\\X] 0\n\"v\"=\"{\(lowerHex)\\x7d\"\n",
            "[Software\\\\\\x7b\(lowerHex)}] 0\n",
            "[Software\\\\X] 0\n\"v\"=hex(7):" + Self.hex(Self.clsid + "\u{0}\u{0}") + "\n",
            "[Software\\\\X] 0\n\"v\" = hex(1):" + Self.hex(Self.clsid, wrapAt: 8) + "\n",
            "[Software\\\\X] 0\n\"v\"=hex(6):" + Self.hex("\\REGISTRY\\Machine\\Software\\Classes\\CLSID\\" + Self.clsid) + "\n",
        ].map { Array(Self.hiveFile($0).utf8) }
        // An invalid UTF-8 byte inside the class ID, which the parser drops as Wine does.
        hives.append(Array(Self.hiveFile("[Software\\\\X] 0\n\"v\"=\"{\(lowerHex.prefix(4))").utf8) + [0xff]
                     + Array("\(lowerHex.dropFirst(4))}\"\n".utf8))
        var mentioning = 0
        for bytes in hives {
            let text = String(decoding: bytes, as: UTF8.self)
            let decoded = try WineHiveCodec.decode(bytes, fileName: "user.reg")
            let found = Self.reference(Self.clsid, in: decoded.root, hive: .user)
            if !found.isEmpty {
                mentioning += 1
                #expect(Self.mayMention(Self.clsid, hiveBytes: bytes), "ruled out, yet the search finds \(found) in:\n\(text)")
            }
        }
        #expect(mentioning >= 14, "the cases mention the class ID: \(mentioning)")
        // And it does rule out: hives that do not mention it, escapes and hex included.
        for body in ["[Software\\\\X] 0\n\"v\"=\"\\x4e2d\\n\\t\"\n", "[Software\\\\X] 0\n\"v\"=hex(7):" + Self.hex("other\u{0}\u{0}") + "\n",
                     "[Software\\\\X] 0\n\"v\"=hex:" + Self.hex(Self.clsid) + "\n"] {
            #expect(!Self.mayMention(Self.clsid, hiveBytes: Array(Self.hiveFile(body).utf8)), "\(body)")
        }
    }

    /// The one-pass scan of a hive file answers as the separate scans it replaced (one for bytes that are not
    /// ASCII, one for escapes, one for hex strings, then one per class ID for the ID itself) on inputs that put
    /// the bytes it stops at in every position of its sixteen-byte steps, and on random mixes of them.
    @Test func theOnePassScanAnswersAsTheSeparateScans() {
        let lowerHex = Self.clsid.lowercased().dropFirst().dropLast()
        let pieces = [
            "[Software\\\\X] 0\n", "\"v\"=\"", "\"\n", Self.clsid, Self.clsid.lowercased(), "{" + lowerHex.prefix(8), "{", "}",
            "\\x7b", "\\x4e2d", "\\173", "\\{", "\\\\", "\\n", "\\q", "\\C", "\\", "(", "hex(", "hex(7):", "hex(2):",
            "hex(1):7b,00,33,00", ",\\\n  ", "00,00", "hex(123456789):", "str(2):\"", "x", "  ", "\n", "\u{4e2d}", "é",
        ].map { Array($0.utf8) }
        var inputs: [[UInt8]] = []
        for piece in pieces {
            for offset in 0..<20 { inputs.append(Array(repeating: UInt8(ascii: "a"), count: offset) + piece + Array("tail\n".utf8)) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...24, using: &generator) {
                input += pieces.randomElement(using: &generator)!
                input += Array(repeating: UInt8(ascii: "z"), count: Int.random(in: 0...18, using: &generator))
            }
            if Int.random(in: 0..<50, using: &generator) == 0 { input.append(0xff) }
            inputs.append(input)
        }
        for input in inputs {
            for clsid in [Self.clsid, Self.clsid.lowercased(), String(lowerHex), "{", "{}", "{-" + lowerHex.prefix(4)] {
                let expected = input.withUnsafeBufferPointer { SeparateScans.mayBeIn(clsid, hiveFile: $0) }
                let actual = input.withUnsafeBufferPointer { ClassIDScan(clsid).mayBeIn(hiveFile: $0) }
                #expect(actual == expected, "\(clsid) in \(String(decoding: input, as: UTF8.self).debugDescription)")
            }
        }
    }

    /// UTF-16LE bytes of `text` as Wine's hex notation, wrapped with `\` continuation lines every `wrapAt` bytes.
    static func hex(_ text: String, wrapAt: Int = 1000) -> String {
        let bytes = text.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        var out = ""
        for (index, byte) in bytes.enumerated() {
            if index > 0 { out += index % wrapAt == 0 ? ",\\\n  " : "," }
            out += String(format: "%02x", byte)
        }
        return out
    }
}

/// The scans the one-pass `HiveFileText` replaced, as they were: the reference it must answer as.
private enum SeparateScans {
    static func mayBeIn(_ clsid: String, hiveFile bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let needle = Array(clsid.lowercased().utf8)
        let alphabet = Set("0123456789abcdef{}-".utf8)
        guard !needle.isEmpty, needle.allSatisfy(alphabet.contains) else { return true }
        guard let base = bytes.baseAddress else { return false }
        if bytes.contains(where: { $0 >= 0x80 }) || hasClassIDEscape(bytes) { return true }
        var hexStrings: [[UInt8]] = []
        var index = 0
        while index < bytes.count, let found = memchr(base + index, 0x28, bytes.count - index) {
            let paren = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            index = paren + 1
            guard paren >= 3, bytes[paren - 3] == 0x68, bytes[paren - 2] == 0x65, bytes[paren - 1] == 0x78 else { continue }
            var type: UInt32 = 0, digits = 0
            while digits <= 8, index < bytes.count, let digit = ClassIDScan.hexValue(bytes[index]) {
                type = type << 4 | UInt32(digit)
                digits += 1
                index += 1
            }
            guard digits >= 1, digits <= 8, index + 1 < bytes.count, bytes[index] == 0x29, bytes[index + 1] == 0x3a,
                  [1, 2, 6, 7].contains(type) else { continue }
            guard let data = ClassIDScan.hexData(bytes, from: index + 2) else { return true }
            hexStrings.append(data)
        }
        if ClassIDScan.find(needle, in: bytes) { return true }
        return hexStrings.contains { $0.withUnsafeBufferPointer { ClassIDScan.occurs(needle, in: $0, stride: 2) } }
    }

    static func hasClassIDEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let alphabet = Set("0123456789abcdef{}-".utf8)
        var index = 0
        while index < bytes.count, let slash = bytes[index...].firstIndex(of: 0x5c) {
            guard slash + 1 < bytes.count else { break }
            let escaped = bytes[slash + 1]
            index = slash + 2
            var value: UInt32
            switch escaped {
            case 0x5c: continue
            case UInt8(ascii: "x"):
                value = 0
                var digits = 0
                while digits < 4, index < bytes.count, let digit = ClassIDScan.hexValue(bytes[index]) {
                    value = value << 4 | UInt32(digit)
                    digits += 1
                    index += 1
                }
                if digits == 0 { continue }
            case 0x30...0x37:
                value = 0
                var digits = 0
                index = slash + 1
                while digits < 3, index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x37 {
                    value = value << 3 | UInt32(bytes[index] - 0x30)
                    digits += 1
                    index += 1
                }
            case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "e"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                 UInt8(ascii: "r"), UInt8(ascii: "t"), UInt8(ascii: "v"):
                continue
            default:
                value = UInt32(escaped)
            }
            if value < 0x80, alphabet.contains(UInt8(value) | (UInt8(value) >= 0x41 && UInt8(value) <= 0x5a ? 0x20 : 0)) {
                return true
            }
        }
        return false
    }
}
