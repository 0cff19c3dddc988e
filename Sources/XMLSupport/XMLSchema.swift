import CLibXML2
import CXMLShims
import Foundation

/// A compiled W3C XML Schema (XSD). Not `Sendable`: load it on the thread that validates.
public final class XMLSchema {
    private let schema: xmlSchemaPtr
    /// libxml2's compiled schema keeps pointers into the tree it was parsed from (pitfall P4
    /// in another guise), so the source document lives exactly as long as the schema.
    private let source: XMLDocument

    public convenience init(contentsOfFile path: String) throws {
        try self.init(document: XMLDocument(contentsOfFile: path))
    }

    /// `fileName` names the schema in errors and is the base for relative `xs:include`s.
    public convenience init(bytes: [UInt8], fileName: String = "<memory>") throws {
        try self.init(document: XMLDocument(bytes: bytes, fileName: fileName))
    }

    public init(document: XMLDocument) throws {
        guard let parser = xmlSchemaNewDocParserCtxt(document.handle) else {
            fatalError("libxml2 could not allocate a schema parser")
        }
        defer { xmlSchemaFreeParserCtxt(parser) }
        let log = StructuredErrorLog()
        xmlSchemaSetParserStructuredErrors(parser, StructuredErrorLog.callback, log.opaque)
        let capture = DiagnosticCapture()
        let compiled = withExtendedLifetime(log) { capture.run { xmlSchemaParse(parser) } }
        guard let compiled, log.errors.isEmpty else {
            if let compiled { xmlSchemaFree(compiled) }
            let first = log.errors.first
            throw XMLError.invalidSchema(
                file: document.fileName,
                line: first?.line ?? 0,
                message: first?.message ?? capture.messages.first ?? "not a usable XML schema"
            )
        }
        schema = compiled
        source = document
    }

    deinit {
        xmlSchemaFree(schema)
    }

    /// Every violation of this schema in `document`, in document order; empty when valid.
    public func validate(_ document: XMLDocument) -> [XMLSchemaViolation] {
        guard let validator = xmlSchemaNewValidCtxt(schema) else {
            fatalError("libxml2 could not allocate a schema validator")
        }
        defer { xmlSchemaFreeValidCtxt(validator) }
        let log = StructuredErrorLog()
        // Per-context handler: safe while other threads validate other documents.
        xmlSchemaSetValidStructuredErrors(validator, StructuredErrorLog.callback, log.opaque)
        let status = withExtendedLifetime(log) {
            DiagnosticCapture().run { xmlSchemaValidateDoc(validator, document.handle) }
        }
        var violations = log.errors.map {
            XMLSchemaViolation(file: document.fileName, line: $0.line, message: $0.message)
        }
        if status != 0 && violations.isEmpty {
            violations.append(XMLSchemaViolation(
                file: document.fileName, line: 0,
                message: status < 0 ? "internal validation error \(status)" : "document is not valid"
            ))
        }
        return violations
    }

    /// Parses and validates, so that violations carry the lines of `bytes` (a document built
    /// in memory has none).
    public func validate(bytes: [UInt8], fileName: String = "<memory>") throws -> [XMLSchemaViolation] {
        try validate(XMLDocument(bytes: bytes, fileName: fileName))
    }
}
