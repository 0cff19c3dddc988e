import CertDoctorCore
import Foundation

/// How a report is prepared before any format sees it.
public struct ReportOptions: Sendable {
    /// The language of the human-readable formats (text, HTML, JUnit messages).
    public var language: Language
    /// Replace user names, home directories, host names, e-mail addresses and certificate
    /// serial numbers with placeholders (on by default; `--no-redact` turns it off).
    public var redact: Bool
    /// Passwords, PINs, authorization and reference codes the run was given. They are removed
    /// from every text of the report whether or not `redact` is on.
    public var secrets: [Secret]

    public init(language: Language, redact: Bool = true, secrets: [Secret] = []) {
        self.language = language
        self.redact = redact
        self.secrets = secrets
    }
}

/// A `RunReport` with secrets removed and, unless turned off, personal data redacted. Reporters
/// only ever receive this type, so no format can skip the scrubbing.
public struct PreparedReport: Sendable {
    public let report: RunReport
    public let language: Language
    public let redacted: Bool
    /// What each placeholder stands for is deliberately not kept.
    public let placeholderCount: Int

    public init(_ report: RunReport, options: ReportOptions) {
        var redactor = Redactor(options)
        self.init(report, options: options, redactor: &redactor)
    }

    /// Shares the redactor with the support bundle, so its files use the report's placeholders.
    init(_ report: RunReport, options: ReportOptions, redactor: inout Redactor) {
        var prepared = redactor.prepare(report)
        // Formats that pick one language from the model (JSON, text) follow the options.
        prepared.language = options.language
        self.report = prepared
        language = options.language
        redacted = options.redact
        placeholderCount = redactor.placeholderCount
    }
}

/// One output format (SwiftLint's reporters are the model): a stable identifier for
/// `--format`, the file name it takes in `--report DIR`, and one pure render function.
public protocol Reporter {
    static var identifier: String { get }
    static var fileName: String { get }
    static func render(_ report: PreparedReport) throws -> [UInt8]
}

/// Every reporter, looked up by identifier.
public enum ReporterRegistry {
    public static var all: [any Reporter.Type] {[
        TextReporter.self, JSONReporter.self, XMLReporter.self, HTMLReporter.self,
        JUnitReporter.self, PrometheusReporter.self,
    ]}

    public static var identifiers: [String] { all.map { $0.identifier } }

    public static func reporter(_ identifier: String) throws(ReportingError) -> any Reporter.Type {
        guard let reporter = all.first(where: { $0.identifier == identifier }) else {
            throw .unknownFormat(identifier, known: identifiers)
        }
        return reporter
    }

    /// Prepares (scrubs, redacts) and renders in one step.
    public static func render(_ report: RunReport, as identifier: String, options: ReportOptions) throws -> [UInt8] {
        try reporter(identifier).render(PreparedReport(report, options: options))
    }
}
