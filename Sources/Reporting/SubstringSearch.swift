import Foundation

/// The redactor's question "can this text hold that value at all?", asked of every text of a report for every
/// secret, known value and pattern label. Foundation's `String.contains` (CFStringFind through NSString) was
/// 93% of redacting a large report; a search of the UTF-8 bytes does the same work without bridging.
///
/// The answer may be "yes" where Foundation's is "no" (the redactor's own replacing then finds nothing to
/// replace), never the other way round, so nothing that was masked before goes unmasked:
/// - Foundation's search matches canonically equivalent text. An ASCII value can be equivalent only to text
///   holding one of the three characters whose canonical decomposition is ASCII (KELVIN SIGN → K, GREEK
///   QUESTION MARK → ;, GREEK VARIA → `); such a text goes to Foundation.
/// - A value that is not ASCII (a Chinese label) is searched by its bytes when it and the text are both made of
///   canonically inert characters (see ``SearchedText``): each is its own canonical form, so equivalent text
///   is equal text. Any other pair goes to Foundation.
/// - A byte match that Foundation would reject (the value followed by a combining mark) only says "yes" more.
enum SubstringSearch {
    static func mayContain(_ value: String, in text: String) -> Bool {
        mayContain(value, in: SearchedText(text))
    }

    static func mayContain(_ value: String, in text: SearchedText) -> Bool {
        guard !value.isEmpty else { return text.text.contains(value) }
        let valueIsASCII = value.utf8.allSatisfy { $0 < 0x80 }
        guard valueIsASCII || (text.isCanonicallyInert && SearchedText.isCanonicallyInert(value)) else {
            return text.text.contains(value)
        }
        if text.occurs(value) { return true }
        return valueIsASCII && text.hasASCIIEquivalent && text.text.contains(value)
    }

    /// Foundation's `contains`, exactly (where a "yes" masks a value, saying it more often would change reports):
    /// the bytes answer where value and text are both canonically inert and hold no line break (CR LF is one
    /// character to Foundation), Foundation everywhere else.
    static func contains(_ value: String, in text: SearchedText) -> Bool {
        guard !value.isEmpty, text.isCanonicallyInert, SearchedText.isCanonicallyInert(value),
              !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }), !text.utf8.contains(0x0D)
        else { return text.text.contains(value) }
        return text.occurs(value)
    }

    /// Whether `needle` (not empty) occurs in `haystack`: the first byte located, then the rest compared.
    /// With `ignoringASCIICase`, A–Z and a–z compare equal (`needle` must be lower case).
    static func occurs(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>,
                       ignoringASCIICase: Bool = false) -> Bool {
        guard needle.count <= haystack.count else { return false }
        @inline(__always) func folded(_ byte: UInt8) -> UInt8 {
            ignoringASCIICase && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        }
        let first = needle[0]
        let rest = needle.count - 1
        var start = 0
        let lastStart = haystack.count - needle.count
        while start <= lastStart {
            if folded(haystack[start]) == first {
                var matched = 0
                while matched < rest && folded(haystack[start + 1 + matched]) == needle[1 + matched] { matched += 1 }
                if matched == rest { return true }
            }
            start += 1
        }
        return false
    }
}

/// A text the redactor searches for many values, with what decides how to search it worked out once: every
/// text of a report is asked for each secret, known value and label, and looking at its characters once per
/// question cost more than the searches.
struct SearchedText {
    let text: String
    let utf8: [UInt8]
    /// Holds one of the characters whose canonical decomposition is ASCII: U+212A KELVIN SIGN, U+037E GREEK
    /// QUESTION MARK, U+1FEF GREEK VARIA.
    let hasASCIIEquivalent: Bool
    /// Every character is its own canonical decomposition and combines with nothing before it.
    let isCanonicallyInert: Bool

    init(_ text: String) {
        self.text = text
        utf8 = Array(text.utf8)
        if utf8.allSatisfy({ $0 < 0x80 }) {
            hasASCIIEquivalent = false
            isCanonicallyInert = true
        } else {
            hasASCIIEquivalent = text.unicodeScalars.contains { [0x212A, 0x037E, 0x1FEF].contains($0.value) }
            isCanonicallyInert = Self.isCanonicallyInert(text)
        }
    }

    /// Characters that have no canonical decomposition and a combining class of 0 (checked against the Unicode
    /// data by the tests): ASCII, Latin-1 signs, general punctuation, simple arrows, CJK punctuation, the CJK
    /// unified ideographs and fullwidth forms, which is what the reports' Chinese and English texts are made of.
    /// Anything else (accented letters, Hangul syllables, CJK compatibility ideographs, combining marks) makes
    /// the search ask Foundation.
    static let inertScalars: [ClosedRange<UInt32>] = [
        0x0000...0x007F, 0x00A0...0x00BF, 0x00D7...0x00D7, 0x00F7...0x00F7, 0x2010...0x2027, 0x2190...0x2199,
        0x3000...0x3029, 0x3030...0x303F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E,
    ]

    static func isCanonicallyInert(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in inertScalars.contains { $0.contains(scalar.value) } }
    }

    func occurs(_ value: String, ignoringASCIICase: Bool = false) -> Bool {
        var value = value
        return value.withUTF8 { needle in
            utf8.withUnsafeBufferPointer { SubstringSearch.occurs(needle, in: $0, ignoringASCIICase: ignoringASCIICase) }
        }
    }
}
