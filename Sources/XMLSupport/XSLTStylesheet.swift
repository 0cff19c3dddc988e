import CLibXML2
import CLibXSLT
import CXMLShims
import Foundation

/// A compiled XSLT 1.0 stylesheet. Transformations may not write files or use the network.
/// Not `Sendable`: load it on the thread that applies it.
public final class XSLTStylesheet {
    private let stylesheet: xsltStylesheetPtr
    public let fileName: String

    public convenience init(contentsOfFile path: String) throws {
        try self.init(bytes: XMLDocument.readFile(path), fileName: path)
    }

    /// `fileName` names the stylesheet in errors and is the base for relative `xsl:import`s.
    public init(bytes: [UInt8], fileName: String = "<memory>") throws {
        let document = try XMLDocument.parse(bytes: bytes, fileName: fileName)
        let capture = DiagnosticCapture()
        // On success the stylesheet owns the tree; on failure it is still ours to free.
        guard let compiled = capture.run({ xsltParseStylesheetDoc(document) }) else {
            xmlFreeDoc(document)
            throw XMLError.invalidStylesheet(
                file: fileName,
                messages: capture.messages.isEmpty ? ["not an XSLT stylesheet"] : capture.messages
            )
        }
        if compiled.pointee.errors != 0 {
            xsltFreeStylesheet(compiled)
            throw XMLError.invalidStylesheet(file: fileName, messages: capture.messages)
        }
        stylesheet = compiled
        self.fileName = fileName
    }

    deinit {
        xsltFreeStylesheet(stylesheet)
    }

    /// Applies the stylesheet and serialises the result as its `xsl:output` says (method,
    /// encoding, indentation). `parameters` are passed as string values, never as XPath, so
    /// any text (quotes included) is safe.
    public func apply(to document: XMLDocument, parameters: [String: String] = [:]) throws -> [UInt8] {
        guard let context = xsltNewTransformContext(stylesheet, document.handle) else {
            fatalError("libxslt could not allocate a transformation context")
        }
        defer { xsltFreeTransformContext(context) }
        let preferences = xsltNewSecurityPrefs()
        defer { xsltFreeSecurityPrefs(preferences) }
        for option in [XSLT_SECPREF_WRITE_FILE, XSLT_SECPREF_CREATE_DIRECTORY,
                       XSLT_SECPREF_READ_NETWORK, XSLT_SECPREF_WRITE_NETWORK] {
            xsltSetSecurityPrefs(preferences, option, xsltSecurityForbid)
        }
        xsltSetCtxtSecurityPrefs(preferences, context)
        _ = xsltSetCtxtParseOptions(context, LibXML.safeParseOptions)

        // NULL-terminated name, value, name, value … as libxslt wants them.
        var cStrings: [UnsafeMutablePointer<CChar>?] = []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            cStrings.append(strdup(name))
            cStrings.append(strdup(value))
        }
        cStrings.append(nil)
        defer { cStrings.forEach { free($0) } }

        let capture = DiagnosticCapture()
        let result: xmlDocPtr? = capture.run {
            let quoted = cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) {
                    xsltQuoteUserParams(context, $0.baseAddress)
                }
            }
            guard quoted == 0 else { return nil }
            return xsltApplyStylesheetUser(stylesheet, document.handle, nil, nil, nil, context)
        }
        guard let result, context.pointee.state == XSLT_STATE_OK else {
            if let result { xmlFreeDoc(result) }
            throw XMLError.transformFailed(
                messages: capture.messages.isEmpty ? ["the transformation stopped"] : capture.messages
            )
        }
        defer { xmlFreeDoc(result) }
        var memory: UnsafeMutablePointer<xmlChar>?
        var length: Int32 = 0
        guard xsltSaveResultToString(&memory, &length, result, stylesheet) == 0 else {
            throw XMLError.serializationFailed
        }
        guard let memory else { return [] }
        defer { cxml_free(memory) }
        return Array(UnsafeBufferPointer(start: memory, count: Int(length)))
    }
}
