import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

/// Random registries from a seeded generator survive each codec unchanged.
struct RoundTripPropertyTests {
    static let alphabet: [Character] = Array("abcXYZ019 _-.{}@#$%&'=;,[]\"\\\t\n深证通个人é😀") + ["\u{1}", "\u{7}", "\u{1b}"]
    static let safeAlphabet: [Character] = Array("abcXYZ019 _-.{}@#$%&'=;,\"\\深证通个人é")
    static let gbkAlphabet: [Character] = Array("abcXYZ019 _-.{}@#$%&'=;,\"\\深证通个人")

    struct Generator {
        var random: SplitMix64
        let characters: [Character]
        let keyCharacters: [Character]
        let allowNonTerminatedStrings: Bool

        mutating func text(max: Int, from characters: [Character]) -> String {
            String((0..<Int.random(in: 0...max, using: &random)).map { _ in characters.randomElement(using: &random)! })
        }

        mutating func value() -> RegistryValue {
            let name = Bool.random(using: &random) && Int.random(in: 0..<5, using: &random) == 0 ? "" : text(max: 12, from: characters)
            switch Int.random(in: 0..<9, using: &random) {
            case 0: return RegistryValue(name: name, string: text(max: 40, from: characters))
            case 1: return RegistryValue(name: name, string: text(max: 20, from: characters), type: .expandString)
            case 2: return RegistryValue(name: name, multiString: (0..<Int.random(in: 0...3, using: &random)).map { _ in "x" + text(max: 8, from: characters) })
            case 3: return RegistryValue(name: name, dword: UInt32.random(in: 0...UInt32.max, using: &random))
            case 4: return RegistryValue(name: name, qword: UInt64.random(in: 0...UInt64.max, using: &random))
            case 5: return RegistryValue(name: name, type: .binary, data: bytes(max: 200))
            case 6: return RegistryValue(name: name, type: RegistryValueType(rawValue: [0, 6, 8, 0xffff0007].randomElement(using: &random)!), data: bytes(max: 30))
            case 7 where allowNonTerminatedStrings:
                return RegistryValue(name: name, type: .string, data: bytes(max: 9))
            default: return RegistryValue(name: name, type: .dword, data: bytes(max: 3))
            }
        }

        mutating func bytes(max: Int) -> [UInt8] {
            (0..<Int.random(in: 0...max, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }

        mutating func key(name: String, depth: Int) -> RegistryKey {
            let time = UInt64.random(in: RegistryKey.fileTimeOf1970...(RegistryKey.fileTimeOf1970 + 40_000_000_000_000_000), using: &random)
            var key = RegistryKey(name: name, lastWriteTime: time)
            for _ in 0..<Int.random(in: 1...5, using: &random) { key.setValue(value(), at: time) }
            if depth > 0 {
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    var childName = text(max: 10, from: keyCharacters)
                    if childName.isEmpty { childName = "k" }
                    key.setSubkey(self.key(name: childName, depth: depth - 1))
                }
            }
            key.lastWriteTime = time
            return key
        }
    }

    @Test(arguments: 0..<150)
    func wineHiveRoundTrip(seed: Int) throws {
        var generator = Generator(random: SplitMix64(seed: UInt64(seed)), characters: Self.alphabet,
                                  keyCharacters: Self.alphabet.filter { $0 != "\\" }, allowNonTerminatedStrings: true)
        var root = RegistryKey(name: "")
        for index in 0..<3 { root.setSubkey(generator.key(name: "Root\(index)", depth: 3)) }
        let hive = WineHive(relativeTo: "REGISTRY\\Machine")
        let withTree = WineHive(header: hive.header, root: root)
        let bytes = WineHiveCodec.encode(withTree)
        let decoded = try WineHiveCodec.decode(bytes, fileName: "random.reg")
        #expect(decoded.root == root)
        #expect(WineHiveCodec.encode(decoded) == bytes)
    }

    @Test(arguments: 0..<150)
    func policyFileRoundTrip(seed: Int) throws {
        var generator = Generator(random: SplitMix64(seed: UInt64(seed)), characters: Self.alphabet,
                                  keyCharacters: Self.alphabet, allowNonTerminatedStrings: true)
        let records = (0..<Int.random(in: 0...30, using: &generator.random)).map { _ in
            PolicyRecord(key: "Software\\Policies\\" + generator.text(max: 20, from: Self.alphabet), value: generator.value())
        }.filter { !$0.key.contains("\0") && !$0.valueName.contains("\0") }
        let file = PolicyFile(records: records)
        let bytes = PolicyFileCodec.encode(file)
        #expect(try PolicyFileCodec.decode(bytes, fileName: "random.pol") == file)
    }

    func regFileRoundTrip(seed: Int, format: RegFileFormat, characters: [Character]) throws {
        var generator = Generator(random: SplitMix64(seed: UInt64(seed)), characters: characters,
                                  keyCharacters: characters.filter { $0 != "\\" }, allowNonTerminatedStrings: format == .version5)
        let tree = generator.key(name: "随机", depth: 3)
        let path = try RegistryPath(parsing: "HKEY_CURRENT_USER\\Software\\随机")
        let file = RegFile.exporting(tree, at: path, format: format)
        let bytes = try RegFileCodec.encode(file)
        let decoded = try RegFileCodec.decode(bytes, fileName: "random.reg")
        #expect(decoded == file)
        var snapshot = RegistrySnapshot()
        snapshot.apply(decoded, at: 0)
        let applied = try #require(snapshot.key(at: path))
        #expect(Self.valuesOnly(applied) == Self.valuesOnly(tree))
    }

    @Test(arguments: 0..<100)
    func regFileVersion5RoundTrip(seed: Int) throws {
        try regFileRoundTrip(seed: seed, format: .version5, characters: Self.safeAlphabet)
    }

    @Test(arguments: 0..<100)
    func regedit4GBKRoundTrip(seed: Int) throws {
        try regFileRoundTrip(seed: seed, format: .regedit4Chinese, characters: Self.gbkAlphabet)
    }

    /// Names and values only: `.reg` files carry no times.
    static func valuesOnly(_ key: RegistryKey) -> String {
        var lines: [String] = []
        func visit(_ key: RegistryKey, _ path: String) {
            lines.append(path)
            for value in key.values { lines.append("\(path)|\(value.name)|\(value.type.rawValue)|\(value.data)") }
            for subkey in key.subkeys { visit(subkey, path + "\\" + subkey.name) }
        }
        visit(key, key.name)
        return lines.joined(separator: "\n")
    }
}
