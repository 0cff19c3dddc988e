import Foundation
import XMLSupport

/// The top-level `<dict>` of an XML property list, reduced to what IFD bundles use: strings and
/// arrays of strings. XMLSupport parses without network or DTD loading, so the plist's http
/// DOCTYPE is never fetched.
struct PropertyListDocument {
    enum Value: Equatable {
        case string(String)
        case strings([String])
        case other
    }

    let entries: [String: Value]

    static func read(path: String) -> Result<PropertyListDocument, IFDBundleError> {
        let document: XMLDocument
        do {
            document = try XMLDocument(contentsOfFile: path)
        } catch let error as XMLError {
            return .failure(.unparsable(path: path, reason: error.errorDescription ?? "not well-formed XML"))
        } catch {
            return .failure(.unparsable(path: path, reason: "\(error)"))
        }
        guard document.root.name == "plist", let dict = document.root.firstChild(named: "dict") else {
            return .failure(.unparsable(path: path, reason: "no <plist><dict> at the top"))
        }
        var entries: [String: Value] = [:]
        var pendingKey: String?
        for child in dict.children {
            switch child.name {
            case "key":
                pendingKey = trimmed(child.text)
            case "string":
                if let key = pendingKey { entries[key] = .string(trimmed(child.text)) }
                pendingKey = nil
            case "array":
                if let key = pendingKey { entries[key] = .strings(child.children(named: "string").map { trimmed($0.text) }) }
                pendingKey = nil
            default:
                if let key = pendingKey { entries[key] = .other }
                pendingKey = nil
            }
        }
        return .success(PropertyListDocument(entries: entries))
    }

    private static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
