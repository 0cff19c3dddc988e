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
