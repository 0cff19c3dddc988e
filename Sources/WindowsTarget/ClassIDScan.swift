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
        // A class ID in braces is looked for in the bytes the one pass kept after each brace: the file (40 MB, a
        // brace every few kilobytes) is not read again, its pages having gone back to the page cache.
        if HiveFileText.windowsHoldAll(needle) ? decoded.windowHolds(needle) : Self.find(needle, in: bytes) { return true }
        return decoded.hexStrings.contains { $0.withUnsafeBufferPointer { Self.occurs(needle, in: $0, stride: 2) } }
    }
}

/// Where a Wine hive file's parsed text differs from its bytes: a backslash escape (which may stand for a
/// character of a class ID), a value given as hex (whose text is UTF-16LE bytes), or a byte that is not ASCII
/// (invalid UTF-8 is dropped, joining its neighbours). Anything else is the text itself, so a class ID in the
/// text shows in the bytes. Wine writes non-ASCII characters as `\x` escapes and strings as text, so on its
/// hives only the few REG_LINK values are decoded here. The same for every class ID: worked out once per file,
/// in one pass that looks at sixteen bytes at a time and stops only where one of them is a backslash, an
/// opening parenthesis or brace, or not ASCII (a 40 MB `user.reg` was read four times over before, per byte
/// where backslashes are dense).
struct HiveFileText: Sendable {
    /// An escape stands for a character of the class-ID alphabet, a byte is not ASCII, or a hex string value
    /// cannot be read as the parser would: the text must be parsed to know.
    var mayHoldClassIDCharacters = false
    /// The data of values written as hex whose type the search reads as text: REG_SZ, REG_EXPAND_SZ, REG_LINK,
    /// REG_MULTI_SZ.
    var hexStrings: [[UInt8]] = []
    /// The `braceWindow` bytes from each `{` that a hex digit follows, one after another (zeros past the file's
    /// end): where a class ID written as it is may start. (Only those: a file of braces would keep 38 times its
    /// size.)
    var braceWindows: [UInt8] = []
    /// A class ID in braces, `{8-4-4-4-12}`.
    static let braceWindow = 38

    /// Whether every place `needle` (lower case) can start is a window: it opens with a brace and a hex digit, and
    /// fits in one.
    static func windowsHoldAll(_ needle: [UInt8]) -> Bool {
        needle.count >= 2 && needle.count <= braceWindow && needle[0] == UInt8(ascii: "{") && ClassIDScan.hexValue(needle[1]) != nil
    }

    /// Whether a window starts with `needle`, ASCII case aside.
    func windowHolds(_ needle: [UInt8]) -> Bool {
        braceWindows.withUnsafeBufferPointer { windows in
            stride(from: 0, to: windows.count, by: Self.braceWindow).contains { start in
                ClassIDScan.occurs(needle, in: UnsafeBufferPointer(rebasing: windows[start..<start + needle.count]), stride: 1)
            }
        }
    }

    /// `passed` is told, every few megabytes, how far the scan has gone (it looks back three bytes at most).
    init(_ bytes: UnsafeBufferPointer<UInt8>, passed: (Int) -> Void = { _ in }) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var nextPassed = 4 << 20
        let nonASCII = SIMD16<UInt8>(repeating: 0x80), backslash = SIMD16<UInt8>(repeating: 0x5c)
        let parenthesis = SIMD16<UInt8>(repeating: 0x28), brace = SIMD16<UInt8>(repeating: 0x7b)
        // `next`: the first byte not yet taken in by an escape or a hex value's type before it.
        var index = 0, next = 0
        while index + 32 <= count {
            let first = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<UInt8>.self)
            let second = UnsafeRawPointer(base + index + 16).loadUnaligned(as: SIMD16<UInt8>.self)
            // A lane of a mask is all ones where it holds: as words, the marked bytes are the set bytes.
            let low = unsafeBitCast((first .>= nonASCII) .| (first .== backslash) .| (first .== parenthesis) .| (first .== brace), to: SIMD2<UInt64>.self)
            let high = unsafeBitCast((second .>= nonASCII) .| (second .== backslash) .| (second .== parenthesis) .| (second .== brace), to: SIMD2<UInt64>.self)
            if low[0] | low[1] | high[0] | high[1] != 0 {
                guard take(low[0], at: index, in: bytes, next: &next), take(low[1], at: index + 8, in: bytes, next: &next),
                      take(high[0], at: index + 16, in: bytes, next: &next), take(high[1], at: index + 24, in: bytes, next: &next)
                else { return }
            }
            index += 32
            if index >= nextPassed {
                passed(index - 4)
                nextPassed = index + 4 << 20
            }
        }
        var position = max(index, next)
        while position < count {
            switch bytes[position] {
            case 0x80..., 0x5c, 0x28, 0x7b:
                guard let after = step(bytes, at: position) else { return }
                position = after
            default:
                position += 1
            }
        }
    }

    /// Takes in the marked bytes of the eight from `start` (`word` has the bytes set that are marked), those
    /// not taken in already; false when the text must be parsed to know.
    @inline(__always)
    private mutating func take(_ word: UInt64, at start: Int, in bytes: UnsafeBufferPointer<UInt8>, next: inout Int) -> Bool {
        var word = word
        while word != 0 {
            let lane = word.trailingZeroBitCount &>> 3
            word &= ~(0xff &<< UInt64(lane &<< 3))
            let position = start &+ lane
            guard position >= next else { continue }
            // The separator of a key path's names, most of the backslashes in a hive: taken in here.
            if bytes[position] == 0x5c, position &+ 1 < bytes.count, bytes[position &+ 1] == 0x5c {
                next = position &+ 2
                continue
            }
            guard let after = step(bytes, at: position) else { return false }
            next = after
        }
        return true
    }

    /// Takes in the byte at `position` (not ASCII, a backslash, an opening parenthesis or brace); returns the
    /// index of the first byte after what it took in, or nil when the text must be parsed to know.
    private mutating func step(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Int? {
        switch bytes[position] {
        case 0x80...:
            mayHoldClassIDCharacters = true
            return nil
        case 0x5c:
            guard let after = Self.afterEscape(bytes, at: position) else {
                mayHoldClassIDCharacters = true
                return nil
            }
            return after
        case 0x28:
            var index = position + 1
            guard position >= 3, bytes[position - 3] == 0x68, bytes[position - 2] == 0x65, bytes[position - 1] == 0x78 else { return index }
            var type: UInt32 = 0, digits = 0
            while digits <= 8, index < bytes.count, let digit = ClassIDScan.hexValue(bytes[index]) {
                type = type << 4 | UInt32(digit)
                digits += 1
                index += 1
            }
            guard digits >= 1, digits <= 8, index + 1 < bytes.count, bytes[index] == 0x29, bytes[index + 1] == 0x3a,
                  [1, 2, 6, 7].contains(type) else { return index }
            guard let data = ClassIDScan.hexData(bytes, from: index + 2) else {
                mayHoldClassIDCharacters = true
                return nil
            }
            hexStrings.append(data)
            return index
        default:
            guard position + 1 < bytes.count, ClassIDScan.hexValue(bytes[position + 1]) != nil else { return position + 1 }
            let end = min(bytes.count, position + Self.braceWindow)
            braceWindows.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end]))
            braceWindows.append(contentsOf: repeatElement(0, count: position + Self.braceWindow - end))
            return position + 1
        }
    }

    /// The index after the escape at `slash`; nil when its character is in the class-ID alphabet (hex digits,
    /// braces, hyphen, in either case) or is not ASCII.
    static func afterEscape(_ bytes: UnsafeBufferPointer<UInt8>, at slash: Int) -> Int? {
        guard slash + 1 < bytes.count else { return bytes.count }
        let escaped = bytes[slash + 1]
        var index = slash + 2
        var value: UInt32
        switch escaped {
        case 0x5c: return index
        case UInt8(ascii: "x"):
            value = 0
            var digits = 0
            while digits < 4, index < bytes.count, let digit = ClassIDScan.hexValue(bytes[index]) {
                value = value << 4 | UInt32(digit)
                digits += 1
                index += 1
            }
            if digits == 0 { return index }
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
            return index
        case 0x80...:
            return nil
        default:
            value = UInt32(escaped)
        }
        if value < 0x80, alphabet.contains(UInt8(value) | (UInt8(value) >= 0x41 && UInt8(value) <= 0x5a ? 0x20 : 0)) {
            return nil
        }
        return index
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
