import Foundation

/// Text from inputs (registry value names, site lists, plugin output) made inert for a terminal: a control
/// character would otherwise move the cursor, recolour, retitle the window or forge a line of the report.
public enum TerminalText {
    /// Control characters (C0 but tab, DEL, C1) and the Unicode line and paragraph separators written as
    /// `\u{1B}`, which reads as what it is.
    public static func inert(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    /// Each line made inert on its own, the line breaks between them kept.
    public static func inertLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { inert(String($0)) }.joined(separator: "\n")
    }
}
