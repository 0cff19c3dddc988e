import Foundation

/// The redactor's question "can this text hold that value at all?", asked of every text of a report for every
/// secret, known value and pattern label. Foundation's `String.contains` (CFStringFind through NSString) was
/// 93% of redacting a large report; a search of the UTF-8 bytes does the same work without bridging.
///
/// The answer may be "yes" where Foundation's is "no" (the redactor's own replacing then finds nothing to
/// replace), never the other way round, so nothing that was masked before goes unmasked:
/// - Foundation's search matches canonically equivalent text. An ASCII value can be equivalent only to text
///   holding one of the three characters whose canonical decomposition is ASCII (KELVIN SIGN → K, GREEK
///   QUESTION MARK → ;, GREEK VARIA → `); such a text, and any value that is not ASCII, goes to Foundation.
/// - A byte match that Foundation would reject (the value followed by a combining mark) only says "yes" more.
enum SubstringSearch {
    static func mayContain(_ value: String, in text: String) -> Bool {
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 < 0x80 }) else { return text.contains(value) }
        var text = text, value = value
        let found = text.withUTF8 { haystack in value.withUTF8 { needle in occurs(needle, in: haystack) } }
        if found { return true }
        guard text.unicodeScalars.contains(where: { asciiEquivalents.contains($0.value) }) else { return false }
        return text.contains(value)
    }

    /// U+212A KELVIN SIGN, U+037E GREEK QUESTION MARK, U+1FEF GREEK VARIA.
    static let asciiEquivalents: Set<UInt32> = [0x212A, 0x037E, 0x1FEF]

    /// Whether `needle` (not empty) occurs in `haystack`: the first byte located, then the rest compared.
    static func occurs(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard needle.count <= haystack.count else { return false }
        let first = needle[0]
        let rest = needle.count - 1
        var start = 0
        let lastStart = haystack.count - needle.count
        while start <= lastStart {
            if haystack[start] == first {
                var matched = 0
                while matched < rest && haystack[start + 1 + matched] == needle[1 + matched] { matched += 1 }
                if matched == rest { return true }
            }
            start += 1
        }
        return false
    }
}
