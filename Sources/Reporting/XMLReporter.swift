import CertDoctorCore
import Foundation
import XMLSupport

/// The XML report, the source of truth (`Reports/certdoctor-report.xsd`). Every document it
/// writes is validated against the schema first; a mismatch is a bug and is reported as one.
public enum XMLReporter: Reporter {
    public static let identifier = "xml"
    public static let fileName = "report.xml"
    public static let namespace = "urn:certdoctor:report:1"

    public static func render(_ report: PreparedReport) throws -> [UInt8] {
        let bytes = try document(for: report).serialized(pretty: true)
        // Validating the serialised bytes (not the tree) gives violations real line numbers.
        let violations = try ReportSchema.load().validate(bytes: bytes, fileName: fileName)
        guard violations.isEmpty else { throw ReportingError.invalidReport(violations.map(\.description)) }
        return bytes
    }

    /// The report as a libxml2 tree (HTML rendering transforms this directly).
    public static func document(for prepared: PreparedReport) -> XMLDocument {
        let report = prepared.report
        let document = XMLDocument(rootName: "report", namespace: namespace)
        let root = document.root
        root.setAttribute("schemaVersion", "1.0")
        root.setAttribute("language", prepared.language.rawValue)
        root.setAttribute("redacted", prepared.redacted ? "true" : "false")

        let tool = root.addChild("tool")
        tool.setAttribute("name", report.tool)
        tool.setAttribute("version", report.version)
        root.addChild("profile", text: report.profile)
        let run = root.addChild("run")
        if let command = report.commandLine { run.addChild("command", text: command) }
        run.setAttribute("started", timestamp(report.started))
        run.setAttribute("startedLocal", localTimestamp(report.started))
        run.setAttribute("finished", timestamp(report.finished))
        run.setAttribute("durationSeconds", seconds(report.finished.timeIntervalSince(report.started)))

        let host = root.addChild("host")
        host.addChild("operatingSystem", text: report.host.operatingSystem)
        host.addChild("kernel", text: report.host.kernel)
        host.addChild("hostName", text: report.host.hostName)
        for (name, version) in report.host.versions.sorted(by: { $0.key < $1.key }) where !name.isEmpty {
            let component = host.addChild("component")
            component.setAttribute("name", name)
            component.setAttribute("version", version)
        }

        let targets = root.addChild("targets")
        for target in report.targets {
            targets.addChild("target", text: target.location).setAttribute("kind", target.kind)
        }

        let summary = root.addChild("summary")
        summary.setAttribute("readyToRenew", report.summary.ready ? "true" : "false")
        for outcome in Outcome.allCases {
            summary.addChild("count", text: String(report.summary.counts[outcome.rawValue] ?? 0))
                .setAttribute("outcome", outcome.rawValue)
        }
        addLocalized(Verdict.reason(report), as: "reason", to: summary)
        addLocalized(Verdict.headline(report), as: "verdict", to: summary)
        for id in report.summary.blocking {
            summary.addChild("blocking").setAttribute("check", id)
        }
        for id in report.summary.unevaluated {
            summary.addChild("unevaluated").setAttribute("check", id)
        }
        if let expiry = report.expiry {
            let element = summary.addChild("expiry")
            element.setAttribute("subjectCN", expiry.subject)
            element.setAttribute("notAfter", timestamp(expiry.notAfter))
            element.setAttribute("notAfterLocal", localTimestamp(expiry.notAfter))
            element.setAttribute("daysLeft", String(expiry.daysLeft))
            element.setAttribute("windowDays", String(expiry.windowDays))
            element.setAttribute("insideWindow", expiry.insideWindow ? "true" : "false")
            if let warning = Verdict.expiryWarning(report) { addLocalized(warning, as: "warning", to: element) }
        }
        let scope = summary.addChild("scope")
        scope.setAttribute("subjectExamined", report.scope.subjectExamined ? "true" : "false")
        if let name = report.scope.subjectName { scope.setAttribute("subjectName", name) }
        addLocalized(Verdict.scopeLine(report.scope), as: "line", to: scope)
        for (area, examined) in report.scope.examined.map({ ($0, true) }) + report.scope.notExamined.map({ ($0, false) }) {
            let element = scope.addChild("area")
            element.setAttribute("id", area.id)
            element.setAttribute("examined", examined ? "true" : "false")
            if let location = area.location { element.setAttribute("location", location) }
            addLocalized(area.title, as: "title", to: element)
            if let hint = area.hint { addLocalized(hint, as: "hint", to: element) }
            for id in area.checks { element.addChild("check").setAttribute("id", id) }
        }

        let results = root.addChild("results")
        for result in report.results {
            addResult(result, to: results)
        }

        let fixes = root.addChild("fixes")
        for fix in report.fixes {
            let element = fixes.addChild("fix")
            element.setAttribute("check", fix.checkID)
            element.setAttribute("applied", fix.applied ? "true" : "false")
            if let outcome = fix.outcome { element.setAttribute("outcome", outcome.rawValue) }
            addLocalized(fix.summary, as: "summary", to: element)
            for change in fix.changes {
                let changeElement = element.addChild("change")
                addLocalized(change.description, as: "description", to: changeElement)
                if let before = change.before { changeElement.addChild("before", text: before) }
                if let after = change.after { changeElement.addChild("after", text: after) }
            }
            if let journal = fix.journalEntry { element.addChild("journalEntry", text: journal) }
            if let error = fix.error { element.addChild("error", text: error) }
        }

        if !report.procedure.isEmpty {
            let renewal = root.addChild("renewal")
            for step in report.procedure {
                let element = renewal.addChild("step")
                element.setAttribute("name", step.name)
                element.setAttribute("outcome", step.outcome)
                element.setAttribute("time", timestamp(step.time))
                addLocalized(step.detail, as: "detail", to: element)
            }
        }
        if let references = report.references {
            addReferences(references, to: root)
        }
        return document
    }

    /// The requirement texts and the support line, as the run's profile gives them (the stylesheet has none).
    private static func addReferences(_ references: RunReport.References, to root: XMLElement) {
        let texts = root.addChild("requirementTexts")
        addLocalized(references.requirementsTitle, as: "title", to: texts)
        for requirement in references.requirements {
            addLocalized(requirement.text, as: "item", to: texts).setAttribute("id", requirement.id)
        }
        if let support = references.support {
            let element = root.addChild("support")
            element.setAttribute("phone", support.phone)
            addLocalized(support.label, as: "label", to: element)
        }
    }

    private static func addResult(_ result: CheckResult, to results: XMLElement) {
        let check = results.addChild("check")
        check.setAttribute("id", result.id)
        check.setAttribute("category", result.category.isEmpty ? "general" : result.category)
        check.setAttribute("severity", result.severity.rawValue)
        check.setAttribute("outcome", result.outcome.rawValue)
        check.setAttribute("fixable", result.fixable ? "true" : "false")
        check.setAttribute("source", result.source.isEmpty ? "built-in" : result.source)
        check.setAttribute("durationSeconds", seconds(result.durationSeconds))
        addLocalized(result.title, as: "title", to: check)
        for requirement in result.requirements {
            check.addChild("requirement", text: requirement)
        }
        addLocalized(result.message, as: "message", to: check)
        if !result.evidence.isEmpty {
            let evidence = check.addChild("evidence")
            for fact in result.evidence {
                let element = evidence.addChild("fact", text: fact.value)
                element.setAttribute("name", fact.name.isEmpty ? "-" : fact.name)
                element.setAttribute("kind", fact.kind.rawValue)
            }
        }
        if let remedy = result.remedy { addLocalized(remedy, as: "remedy", to: check) }
        for certificate in result.certificates {
            let element = check.addChild("certificate")
            element.setAttribute("subjectCN", certificate.subjectCommonName)
            element.setAttribute("issuerCN", certificate.issuerCommonName)
            element.setAttribute("serialNumber", certificate.serialNumber)
            element.setAttribute("notBefore", timestamp(Date(timeIntervalSince1970: certificate.notBefore)))
            element.setAttribute("notAfter", timestamp(Date(timeIntervalSince1970: certificate.notAfter)))
            element.setAttribute("filePath", certificate.filePath)
        }
    }

    @discardableResult
    private static func addLocalized(_ text: Localized, as name: String, to parent: XMLElement) -> XMLElement {
        let element = parent.addChild(name)
        element.addChild("zh", text: text.zh)
        element.addChild("en", text: text.en)
        return element
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// The moment in this machine's time zone, with its offset ("2026-12-07T09:50:30+08:00").
    static func localTimestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .current))
    }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0" }
        return String(format: "%.3f", value)
    }
}

/// The embedded report schema, compiled per use: libxml2 schemas must stay on one thread.
enum ReportSchema {
    static func load() throws -> XMLSchema {
        try XMLSchema(bytes: ReportResources.schema, fileName: "certdoctor-report.xsd")
    }
}
