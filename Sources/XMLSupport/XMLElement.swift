import CLibXML2
import CXMLShims

/// An attribute as written in the document.
public struct XMLAttribute: Equatable, Hashable, Sendable {
    public var name: String
    public var namespaceURI: String?
    public var value: String

    public init(name: String, namespaceURI: String? = nil, value: String) {
        self.name = name
        self.namespaceURI = namespaceURI
        self.value = value
    }
}

/// A namespace declared on an element (`prefix` is nil for a default namespace).
public struct XMLNamespaceDeclaration: Equatable, Hashable, Sendable {
    public var prefix: String?
    public var uri: String

    public init(prefix: String?, uri: String) {
        self.prefix = prefix
        self.uri = uri
    }
}

/// An element of an `XMLDocument`. It keeps its document alive; like the document it must
/// stay on one thread.
public struct XMLElement {
    public let document: XMLDocument
    let node: xmlNodePtr

    init(document: XMLDocument, node: xmlNodePtr) {
        self.document = document
        self.node = node
    }

    // MARK: - Reading

    /// The local name, without prefix.
    public var name: String { LibXML.string(node.pointee.name) ?? "" }

    public var namespaceURI: String? { node.pointee.ns.flatMap { LibXML.string($0.pointee.href) } }

    public var prefix: String? { node.pointee.ns.flatMap { LibXML.string($0.pointee.prefix) } }

    /// 1-based source line; 0 for elements built in memory.
    public var line: Int { Int(xmlGetLineNo(node)) }

    /// All text inside the element, descendants included, with entities resolved.
    public var text: String { LibXML.takeString(xmlNodeGetContent(node)) ?? "" }

    public var attributes: [XMLAttribute] {
        var result: [XMLAttribute] = []
        var property = node.pointee.properties
        while let attribute = property {
            let value = attribute.withMemoryRebound(to: xmlNode.self, capacity: 1) {
                LibXML.takeString(xmlNodeGetContent($0)) ?? ""
            }
            result.append(XMLAttribute(
                name: LibXML.string(attribute.pointee.name) ?? "",
                namespaceURI: attribute.pointee.ns.flatMap { LibXML.string($0.pointee.href) },
                value: value
            ))
            property = attribute.pointee.next
        }
        return result
    }

    /// The value of an attribute; with `namespace` nil only an unqualified attribute matches.
    public func attribute(_ name: String, namespace: String? = nil) -> String? {
        let value = namespace.map { xmlGetNsProp(node, LibXML.xmlString(name), LibXML.xmlString($0)) }
            ?? xmlGetNoNsProp(node, LibXML.xmlString(name))
        return LibXML.takeString(value)
    }

    /// Child elements in document order (text, comments and processing instructions skipped).
    public var children: [XMLElement] {
        var result: [XMLElement] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE {
                result.append(XMLElement(document: document, node: current))
            }
            child = current.pointee.next
        }
        return result
    }

    /// Child elements with this local name (and namespace, when given).
    public func children(named name: String, namespace: String? = nil) -> [XMLElement] {
        children.filter { $0.name == name && (namespace == nil || $0.namespaceURI == namespace) }
    }

    public func firstChild(named name: String, namespace: String? = nil) -> XMLElement? {
        children(named: name, namespace: namespace).first
    }

    public var parent: XMLElement? {
        guard let parent = node.pointee.parent, parent.pointee.type == XML_ELEMENT_NODE else { return nil }
        return XMLElement(document: document, node: parent)
    }

    /// Namespaces declared on this element itself.
    public var namespaceDeclarations: [XMLNamespaceDeclaration] {
        var result: [XMLNamespaceDeclaration] = []
        var declaration = node.pointee.nsDef
        while let ns = declaration {
            if let uri = LibXML.string(ns.pointee.href) {
                result.append(XMLNamespaceDeclaration(prefix: LibXML.string(ns.pointee.prefix), uri: uri))
            }
            declaration = ns.pointee.next
        }
        return result
    }

    /// XPath relative to this element (`.` is the element).
    public func xpathStrings(_ expression: String, namespaces: [String: String] = [:]) throws -> [String] {
        try XPathQuery(document: document, context: node, namespaces: namespaces).strings(expression)
    }

    public func xpathNodes(_ expression: String, namespaces: [String: String] = [:]) throws -> [XMLElement] {
        try XPathQuery(document: document, context: node, namespaces: namespaces).elements(expression)
    }

    // MARK: - Building

    /// Appends a child element in this element's namespace, holding `text` when given. The
    /// text is stored as-is and escaped by libxml2 when the document is serialised.
    @discardableResult
    public func addChild(_ name: String, text: String? = nil) -> XMLElement {
        precondition(xmlValidateNCName(LibXML.xmlString(name), 0) == 0, "not an XML element name: \(name)")
        // xmlNewTextChild, unlike xmlNewChild, treats the content as text, not as markup.
        let content = text.map(LibXML.xmlSafeString)
        guard let child = xmlNewTextChild(node, node.pointee.ns, LibXML.xmlString(name), content) else {
            fatalError("libxml2 could not allocate an element")
        }
        return XMLElement(document: document, node: child)
    }

    /// Sets (or replaces) an unqualified attribute; libxml2 escapes the value on output.
    public func setAttribute(_ name: String, _ value: String) {
        precondition(xmlValidateNCName(LibXML.xmlString(name), 0) == 0, "not an XML attribute name: \(name)")
        xmlSetProp(node, LibXML.xmlString(name), LibXML.xmlSafeString(value))
    }

    /// Appends text after the element's current content.
    public func appendText(_ text: String) {
        xmlNodeAddContent(node, LibXML.xmlSafeString(text))
    }

    static func newNode(in document: xmlDocPtr, name: String, namespace: xmlNsPtr? = nil) -> xmlNodePtr {
        precondition(xmlValidateNCName(LibXML.xmlString(name), 0) == 0, "not an XML element name: \(name)")
        guard let node = xmlNewDocNode(document, namespace, LibXML.xmlString(name), nil) else {
            fatalError("libxml2 could not allocate an element")
        }
        return node
    }
}
