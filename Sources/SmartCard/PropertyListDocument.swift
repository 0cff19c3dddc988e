import CLibXML2
import CXMLShims
import Foundation

// The only file of this module that touches libxml2. When XMLSupport offers a document reader it
// replaces the body of `PropertyListDocument.read` and nothing else changes.

/// libxml2 2.9 wants one initialisation before documents are parsed from several threads.
private let libxml2Initialised: Bool = {
    xmlInitParser()
    return true
}()

/// The top-level `<dict>` of an XML property list, reduced to what IFD bundles use: strings and
/// arrays of strings.
struct PropertyListDocument {
    enum Value: Equatable {
        case string(String)
        case strings([String])
        case other
    }

    let entries: [String: Value]

    static func read(path: String) -> Result<PropertyListDocument, IFDBundleError> {
        _ = libxml2Initialised
        // NONET: the plist's DOCTYPE names an http DTD that must never be fetched.
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        guard let document = xmlReadFile(path, nil, options) else {
            return .failure(.unparsable(path: path, reason: lastErrorMessage() ?? "not well-formed XML"))
        }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document), name(of: root) == "plist",
              let dict = elementChildren(of: root).first(where: { name(of: $0) == "dict" })
        else {
            return .failure(.unparsable(path: path, reason: "no <plist><dict> at the top"))
        }
        var entries: [String: Value] = [:]
        var pendingKey: String?
        for child in elementChildren(of: dict) {
            switch name(of: child) {
            case "key":
                pendingKey = text(of: child)
            case "string":
                if let key = pendingKey { entries[key] = .string(text(of: child)) }
                pendingKey = nil
            case "array":
                if let key = pendingKey {
                    entries[key] = .strings(elementChildren(of: child).filter { name(of: $0) == "string" }.map { text(of: $0) })
                }
                pendingKey = nil
            default:
                if let key = pendingKey { entries[key] = .other }
                pendingKey = nil
            }
        }
        return .success(PropertyListDocument(entries: entries))
    }

    private static func elementChildren(of node: xmlNodePtr) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(current) }
            child = current.pointee.next
        }
        return result
    }

    private static func name(of node: xmlNodePtr) -> String {
        guard let name = node.pointee.name else { return "" }
        return String(cString: name)
    }

    private static func text(of node: xmlNodePtr) -> String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { cxml_free(content) }
        return String(cString: content).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func lastErrorMessage() -> String? {
        guard let error = xmlGetLastError(), let message = error.pointee.message else { return nil }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
