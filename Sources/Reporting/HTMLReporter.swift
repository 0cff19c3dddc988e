import CertDoctorCore
import Foundation
import XMLSupport

/// One self-contained HTML page rendered from the XML report by `Reports/certdoctor-report.xsl`.
public enum HTMLReporter: Reporter {
    public static let identifier = "html"
    public static let fileName = "report.html"

    public static func render(_ report: PreparedReport) throws -> [UInt8] {
        try render(xml: XMLReporter.document(for: report), language: report.language)
    }

    /// Renders a saved report (`certdoctor report render report.xml --html out.html`). The file
    /// must validate against the report schema; the stylesheet trusts its shape.
    public static func render(savedReportAt path: String, language: Language?) throws -> [UInt8] {
        let document: XMLDocument
        do {
            document = try XMLDocument(contentsOfFile: path)
        } catch let XMLError.unreadable(_, reason) {
            throw ReportingError.unreadable(path: path, reason: reason)
        } catch let error as XMLError {
            throw ReportingError.notAReport(path: path, reasons: [error.errorDescription ?? "\(error)"])
        }
        let violations = try ReportSchema.load().validate(document)
        guard violations.isEmpty else {
            throw ReportingError.notAReport(path: path, reasons: violations.prefix(5).map(\.description))
        }
        let saved = document.root.attribute("language").flatMap(Language.init(rawValue:)) ?? .zh
        return try render(xml: document, language: language ?? saved)
    }

    static func render(xml: XMLDocument, language: Language) throws -> [UInt8] {
        let stylesheet = try XSLTStylesheet(
            bytes: ReportResources.htmlStylesheet, fileName: "certdoctor-report.xsl")
        return try stylesheet.apply(to: xml, parameters: ["lang": language.rawValue])
    }
}
