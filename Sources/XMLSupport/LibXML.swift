import CLibXML2
import CXMLShims
import Foundation

/// Process-wide libxml2 state: initialised once, before any parallel use (Swift Testing and
/// the check runner call in from many threads at once).
enum LibXML {
    static func ensureInitialised() {
        cxml_init()
    }

    /// The options every parse uses: never the network, no DTD or external entity loading,
    /// no entity substitution, and line numbers beyond 65535.
    static let safeParseOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue)
        | Int32(XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)

    /// `xmlChar*` parameters want NUL-terminated UTF-8 bytes.
    static func xmlString(_ string: String) -> [xmlChar] {
        Array(string.utf8) + [0]
    }

    /// XML 1.0 cannot carry most control characters, even escaped; libxml2 would write them
    /// as character references that no parser accepts back. Evidence (registry values, device
    /// names) can hold them, so they become U+FFFD instead of making the report unreadable.
    static func xmlSafeString(_ string: String) -> [xmlChar] {
        var scalars = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF:
                scalars.append(scalar)
            default:
                scalars.append("\u{FFFD}")
            }
        }
        return xmlString(String(scalars))
    }

    /// Takes ownership of a libxml2-allocated string.
    static func takeString(_ pointer: UnsafeMutablePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        defer { cxml_free(pointer) }
        return String(cString: pointer)
    }

    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}

/// Collects the libxml2/libxslt diagnostics raised on the current thread while `run` executes.
final class DiagnosticCapture {
    private(set) var messages: [String] = []

    func run<T>(_ body: () throws -> T) rethrows -> T {
        LibXML.ensureInitialised()
        let previous = cxml_capture_begin(Unmanaged.passUnretained(self).toOpaque()) { context, message in
            guard let context, let message else { return }
            let capture = Unmanaged<DiagnosticCapture>.fromOpaque(context).takeUnretainedValue()
            capture.messages.append(String(cString: message))
        }
        defer { cxml_capture_end(previous) }
        return try withExtendedLifetime(self) { try body() }
    }
}

/// Structured errors from a libxml2 context (parser, schema parser, validator), with the
/// file and line libxml2 knows for each.
final class StructuredErrorLog {
    struct Entry {
        var file: String?
        var line: Int
        var message: String
        var isError: Bool
    }

    private(set) var entries: [Entry] = []

    var errors: [Entry] { entries.filter(\.isError) }

    func record(_ error: UnsafePointer<xmlError>) {
        let raw = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        entries.append(Entry(
            file: error.pointee.file.map { String(cString: $0) },
            line: Int(error.pointee.line),
            message: raw.trimmingCharacters(in: .whitespacesAndNewlines),
            isError: error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
        ))
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> StructuredErrorLog? {
        guard let pointer else { return nil }
        return Unmanaged<StructuredErrorLog>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// For contexts whose callback receives our pointer directly (schema parser and validator).
    static let callback: xmlStructuredErrorFunc = { userData, error in
        guard let log = StructuredErrorLog.from(userData), let error else { return }
        log.record(error)
    }
}
