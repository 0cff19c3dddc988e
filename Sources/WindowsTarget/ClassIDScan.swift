import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether a name or a value's data can mention a class ID, by its bytes: R17's search reads every key and
/// value of both hives, and decoding each value to a lower-cased String to ask Foundation was most of a
/// `check` on a large prefix. The scan only rules text out; what it lets through is decided as before
/// (lower-cased text, `contains`), so the residue found is the same.
///
/// It rules out only for a class ID written in its own alphabet (hex digits, braces, hyphens): lower-casing
/// and Foundation's canonical equivalence turn no other character into one of those, so a text that mentions
/// the class ID holds it in ASCII, in any case. Any other needle lets everything through.
struct ClassIDScan {
    /// The class ID in lower case, as bytes; nil when it is not in the class-ID alphabet.
    private let needle: [UInt8]?

    init(_ clsid: String) {
        let bytes = Array(clsid.lowercased().utf8)
        let alphabet = Set("0123456789abcdef{}-".utf8)
        needle = !bytes.isEmpty && bytes.allSatisfy(alphabet.contains) ? bytes : nil
    }

    /// A name (UTF-8): false only when it cannot hold the class ID.
    func mayBeIn(_ name: String) -> Bool {
        guard let needle else { return true }
        return name.utf8.withContiguousStorageIfAvailable { Self.occurs(needle, in: $0, stride: 1) } ?? true
    }

    /// A value's data read as UTF-16LE text (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ): false only when it cannot
    /// hold the class ID.
    func mayBeIn(utf16LittleEndian data: [UInt8]) -> Bool {
        guard let needle else { return true }
        return data.withUnsafeBufferPointer { Self.occurs(needle, in: $0, stride: 2) }
    }

    /// Whether `needle` (lower-case ASCII) occurs in `haystack`, ASCII case aside, as one byte per character
    /// (`stride` 1) or as UTF-16LE code units at even offsets (`stride` 2, high bytes zero).
    static func occurs(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, stride: Int) -> Bool {
        let length = needle.count * stride
        guard haystack.count >= length else { return false }
        var start = 0
        while start + length <= haystack.count {
            var matched = 0
            while matched < needle.count {
                let position = start + matched * stride
                var byte = haystack[position]
                if byte >= 0x41 && byte <= 0x5a { byte |= 0x20 }
                if byte != needle[matched] || (stride == 2 && haystack[position + 1] != 0) { break }
                matched += 1
            }
            if matched == needle.count { return true }
            start += stride
        }
        return false
    }
}

extension ClassIDScan {
    /// A Wine hive file (its bytes as written): false only when no key or value read from it can mention the
    /// class ID, so that R17's search need not parse a 40 MB hive that does not mention it.
    func mayBeIn(hiveFile bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        mayBeIn(hiveFile: bytes, decoded: HiveFileText(bytes))
    }

    /// As above, with what the parser decodes in that file worked out once for every class ID searched.
    func mayBeIn(hiveFile bytes: UnsafeBufferPointer<UInt8>, decoded: HiveFileText) -> Bool {
        guard let needle, !decoded.mayHoldClassIDCharacters else { return true }
        if Self.find(needle, in: bytes) { return true }
        return decoded.hexStrings.contains { $0.withUnsafeBufferPointer { Self.occurs(needle, in: $0, stride: 2) } }
    }
}

/// Where a Wine hive file's parsed text differs from its bytes: a backslash escape (which may stand for a
/// character of a class ID), a value given as hex (whose text is UTF-16LE bytes), or a byte that is not ASCII
/// (invalid UTF-8 is dropped, joining its neighbours). Anything else is the text itself, so a class ID in the
/// text shows in the bytes. Wine writes non-ASCII characters as `\x` escapes and strings as text, so on its
/// hives only the few REG_LINK values are decoded here. The same for every class ID: worked out once per file.
struct HiveFileText: Sendable {
    /// An escape stands for a character of the class-ID alphabet, a byte is not ASCII, or a hex string value
    /// cannot be read as the parser would: the text must be parsed to know.
    var mayHoldClassIDCharacters = false
    /// The data of values written as hex whose type the search reads as text: REG_SZ, REG_EXPAND_SZ, REG_LINK,
    /// REG_MULTI_SZ.
    var hexStrings: [[UInt8]] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        if ClassIDScan.hasNonASCII(bytes) || Self.hasClassIDEscape(bytes) {
            mayHoldClassIDCharacters = true
            return
        }
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
            guard let data = ClassIDScan.hexData(bytes, from: index + 2) else {
                mayHoldClassIDCharacters = true
                return
            }
            hexStrings.append(data)
        }
    }

    /// An escape whose character is in the class-ID alphabet (hex digits, braces, hyphen), in either case.
    static func hasClassIDEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index < bytes.count, let found = memchr(base + index, 0x5c, bytes.count - index) {
            let slash = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
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

    private static let alphabet = Set("0123456789abcdef{}-".utf8)
}

extension ClassIDScan {
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Whether `needle` (lower-case ASCII) occurs in `haystack`, ASCII case aside: candidates by `memchr` on
    /// the first byte in either case.
    static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = haystack.baseAddress, let first = needle.first else { return false }
        let firsts = first >= 0x61 && first <= 0x7a ? [first, first - 0x20] : [first]
        for candidate in firsts {
            var index = 0
            while index < haystack.count, let found = memchr(base + index, Int32(candidate), haystack.count - index) {
                let start = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if occurs(needle, in: UnsafeBufferPointer(rebasing: haystack[start..<min(haystack.count, start + needle.count)]), stride: 1) {
                    return true
                }
                index = start + 1
            }
        }
        return false
    }

    /// Whether any byte is not ASCII, eight bytes at a time.
    static func hasNonASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return true }
            index += 8
        }
        while index < bytes.count {
            if bytes[index] >= 0x80 { return true }
            index += 1
        }
        return false
    }

    /// Hex bytes as the hive parser reads them (comma-separated, continued over lines ending in `\`); nil for
    /// anything it would not read as such, which the caller takes as a possible mention.
    static func hexData(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> [UInt8]? {
        var data: [UInt8] = []
        var index = start
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }
        while true {
            while index < bytes.count, isBlank(bytes[index]) { index += 1 }
            if index == bytes.count || bytes[index] == 0x0a { return data }
            if bytes[index] == 0x5c {
                index += 1
                while index < bytes.count, isBlank(bytes[index]) { index += 1 }
                guard index < bytes.count, bytes[index] == 0x0a else { return nil }
                index += 1
                continue
            }
            guard let high = hexValue(bytes[index]) else { return nil }
            index += 1
            var byte = high
            if index < bytes.count, let low = hexValue(bytes[index]) {
                byte = high << 4 | low
                index += 1
            }
            data.append(byte)
            while index < bytes.count, isBlank(bytes[index]) { index += 1 }
            if index < bytes.count, bytes[index] == 0x2c { index += 1 }
        }
    }
}
