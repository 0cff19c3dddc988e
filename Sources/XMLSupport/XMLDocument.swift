import CLibXML2
import CXMLShims
import Foundation

/// An XML document owned by one libxml2 tree: parsed from bytes or a file, or built element
/// by element. Not `Sendable`: a libxml2 tree must stay on the thread that uses it.
///
/// Parsing never touches the network and never loads a DTD or an external entity.
public final class XMLDocument {
    let handle: xmlDocPtr
    /// The name errors and violations are reported against.
    public let fileName: String

    init(adopting handle: xmlDocPtr, fileName: String) {
        self.handle = handle
        self.fileName = fileName
    }

    deinit {
        xmlFreeDoc(handle)
    }

    /// Parses a document from bytes; `fileName` names it in errors and resolves relative
    /// references (schema includes, stylesheet imports).
    public convenience init(bytes: [UInt8], fileName: String = "<memory>") throws {
        self.init(adopting: try Self.parse(bytes: bytes, fileName: fileName), fileName: fileName)
    }

    public convenience init(data: Data, fileName: String = "<memory>") throws {
        try self.init(bytes: [UInt8](data), fileName: fileName)
    }

    public convenience init(contentsOfFile path: String) throws {
        try self.init(bytes: try Self.readFile(path), fileName: path)
    }

    /// Starts a new document whose root element is `rootName`, in `namespace` as the default
    /// namespace when one is given; children added with `XMLElement.addChild` inherit it.
    public init(rootName: String, namespace: String? = nil) {
        LibXML.ensureInitialised()
        fileName = "<memory>"
        guard let document = xmlNewDoc(LibXML.xmlString("1.0")) else {
            fatalError("libxml2 could not allocate a document")
        }
        handle = document
        let root = XMLElement.newNode(in: document, name: rootName)
        if let namespace {
            let ns = xmlNewNs(root, LibXML.xmlString(namespace), nil)
            xmlSetNs(root, ns)
        }
        xmlDocSetRootElement(document, root)
    }

    /// The root element.
    public var root: XMLElement {
        guard let node = xmlDocGetRootElement(handle) else {
            // Parsing rejects a document without a root and the builder always makes one.
            fatalError("libxml2 document without a root element")
        }
        return XMLElement(document: self, node: node)
    }

    /// UTF-8 bytes with an XML declaration; indented when `pretty` (libxml2 indents only
    /// element-only content, so text is never altered).
    public func serialized(pretty: Bool = true) throws -> [UInt8] {
        var memory: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpFormatMemoryEnc(handle, &memory, &size, "UTF-8", pretty ? 1 : 0)
        guard let memory, size > 0 else { throw XMLError.serializationFailed }
        defer { cxml_free(memory) }
        return Array(UnsafeBufferPointer(start: memory, count: Int(size)))
    }

    /// The string value of every XPath result: each node's text for a node set, or the single
    /// string, number or boolean the expression yields. Prefixes in `namespaces` map to URIs;
    /// prefixes declared on the root element are known without being passed.
    public func xpathStrings(_ expression: String, namespaces: [String: String] = [:]) throws -> [String] {
        try XPathQuery(document: self, context: nil, namespaces: namespaces).strings(expression)
    }

    /// The elements an XPath expression selects (other node kinds are skipped).
    public func xpathNodes(_ expression: String, namespaces: [String: String] = [:]) throws -> [XMLElement] {
        try XPathQuery(document: self, context: nil, namespaces: namespaces).elements(expression)
    }

    // MARK: - Parsing

    static func readFile(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
            throw XMLError.unreadable(path: path, reason: reason)
        }
    }

    /// Parses into a raw tree the caller owns (stylesheets hand theirs to libxslt).
    static func parse(bytes: [UInt8], fileName: String) throws -> xmlDocPtr {
        LibXML.ensureInitialised()
        guard let context = xmlNewParserCtxt() else { fatalError("libxml2 could not allocate a parser") }
        defer { xmlFreeParserCtxt(context) }
        let log = StructuredErrorLog()
        // Parser errors reach `sax.serror` with the parser context as user data, so the log
        // travels in the context's private slot; this keeps errors per parse, not per thread.
        context.pointee._private = log.opaque
        context.pointee.sax.pointee.serror = { userData, error in
            guard let userData, let error else { return }
            let parser = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            StructuredErrorLog.from(parser.pointee._private)?.record(error)
        }
        let capture = DiagnosticCapture()
        let document = withExtendedLifetime(log) {
            capture.run {
                bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { chars in
                        // No forced encoding: libxml2 then follows a byte order mark (a site list saved by
                        // Notepad as "Unicode" is UTF-16) or the declaration, and defaults to UTF-8.
                        xmlCtxtReadMemory(
                            context, chars.baseAddress, Int32(chars.count), fileName, nil,
                            LibXML.safeParseOptions
                        )
                    }
                }
            }
        }
        if let first = log.errors.first {
            if let document { xmlFreeDoc(document) }
            throw XMLError.malformed(file: fileName, line: max(first.line, 1), message: first.message)
        }
        guard let document else {
            let message = capture.messages.first ?? (bytes.isEmpty ? "document is empty" : "not XML")
            throw XMLError.malformed(file: fileName, line: 1, message: message)
        }
        guard xmlDocGetRootElement(document) != nil else {
            xmlFreeDoc(document)
            throw XMLError.malformed(file: fileName, line: 1, message: "document has no root element")
        }
        return document
    }
}

/// One XPath evaluation: a fresh libxml2 context per call, so nothing is shared between calls.
struct XPathQuery {
    let document: XMLDocument
    let context: xmlNodePtr?
    let namespaces: [String: String]

    func strings(_ expression: String) throws -> [String] {
        try evaluate(expression) { result in
            switch result.pointee.type {
            case XPATH_NODESET:
                return nodes(of: result).map { LibXML.takeString(xmlXPathCastNodeToString($0)) ?? "" }
            default:
                return [LibXML.takeString(xmlXPathCastToString(result)) ?? ""]
            }
        }
    }

    func elements(_ expression: String) throws -> [XMLElement] {
        try evaluate(expression) { result in
            nodes(of: result)
                .filter { $0.pointee.type == XML_ELEMENT_NODE }
                .map { XMLElement(document: document, node: $0) }
        }
    }

    private func nodes(of result: xmlXPathObjectPtr) -> [xmlNodePtr] {
        guard result.pointee.type == XPATH_NODESET, let set = result.pointee.nodesetval,
              let table = set.pointee.nodeTab else { return [] }
        return (0..<Int(set.pointee.nodeNr)).compactMap { table[$0] }
    }

    private func evaluate<T>(_ expression: String, _ read: (xmlXPathObjectPtr) -> T) throws -> T {
        LibXML.ensureInitialised()
        guard let xpath = xmlXPathNewContext(document.handle) else {
            fatalError("libxml2 could not allocate an XPath context")
        }
        defer { xmlXPathFreeContext(xpath) }
        var bindings: [String: String] = [:]
        var declaration = xmlDocGetRootElement(document.handle)?.pointee.nsDef
        while let ns = declaration {
            if let prefix = LibXML.string(ns.pointee.prefix), let href = LibXML.string(ns.pointee.href) {
                bindings[prefix] = href
            }
            declaration = ns.pointee.next
        }
        bindings.merge(namespaces) { _, explicit in explicit }
        for (prefix, uri) in bindings {
            xmlXPathRegisterNs(xpath, LibXML.xmlString(prefix), LibXML.xmlString(uri))
        }
        if let context { xpath.pointee.node = context }
        let capture = DiagnosticCapture()
        let result = capture.run { xmlXPathEvalExpression(LibXML.xmlString(expression), xpath) }
        guard let result else {
            let message = capture.messages.isEmpty ? "evaluation failed" : capture.messages.joined(separator: "; ")
            throw XMLError.invalidXPath(expression: expression, message: message)
        }
        defer { xmlXPathFreeObject(result) }
        return read(result)
    }
}
