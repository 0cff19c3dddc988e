import CertDoctorCore
import Foundation

/// The machine-readable report (`--format json`). Its shape is a public interface, described by
/// `Reports/certdoctor-report.schema.json`: fields may be added with a new `schema_version`, never renamed or removed.
public enum JSONRunReport {
    /// The version of `Reports/certdoctor-report.schema.json` the document follows.
    public static let schemaVersion = 1

    public static func render(_ report: RunReport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(Document(report))) + [UInt8(ascii: "\n")]
    }

    struct Document: Encodable {
        var schemaVersion = JSONRunReport.schemaVersion
        var tool: String
        var version: String
        var profile: String
        var language: String
        var started: Date
        var finished: Date
        var host: HostFacts
        var targets: [RunReport.Target]
        var results: [Result]
        var fixes: [Fix]
        var renewal: [RenewalStep]
        var summary: Summary
        /// The verdict line and the areas examined or not, as the terminal and the HTML report state them.
        var verdict: String
        var examined: [Area]
        var notExamined: [Area]
        var readyToRenew: Bool
        var expiry: RunReport.Expiry?
        var expiryWarning: String?

        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version"
            case tool, version, profile, language, started, finished, host, targets, results, fixes, renewal, summary
            case verdict, examined, expiry
            case expiryWarning = "expiry_warning"
            case notExamined = "not_examined"
            case readyToRenew = "ready_to_renew"
        }

        /// The core's summary under the report's names: "ready" is ready to renew here.
        struct Summary: Encodable {
            var counts: [String: Int]
            var readyToRenew: Bool
            var blocking: [String]
            var unevaluated: [String]

            init(_ summary: RunReport.Summary) {
                counts = summary.counts
                readyToRenew = summary.ready
                blocking = summary.blocking
                unevaluated = summary.unevaluated
            }

            enum CodingKeys: String, CodingKey {
                case counts
                case readyToRenew = "ready_to_renew"
                case blocking
                case unevaluated
            }
        }

        struct Area: Encodable {
            var id: String
            var title: String
            var location: String?
            var hint: String?

            init(_ area: RunReport.Scope.Area, language: Language) {
                id = area.id
                title = area.title.text(language)
                location = area.location
                hint = area.hint?.text(language)
            }
        }

        init(_ report: RunReport) {
            let language = report.language
            tool = report.tool
            version = report.version
            profile = report.profile
            self.language = language.rawValue
            started = report.started
            finished = report.finished
            host = report.host
            targets = report.targets
            results = report.results.map { Result($0, language: language) }
            fixes = report.fixes.map { Fix($0, language: language) }
            renewal = report.procedure.map { RenewalStep(name: $0.name, outcome: $0.outcome, detail: $0.detail.text(language), time: $0.time) }
            summary = Summary(report.summary)
            verdict = (Verdict.headline(report) + Localized(zh: "——", en: " — ") + Verdict.scopeLine(report.scope)).text(language)
            examined = report.scope.examined.map { Area($0, language: language) }
            notExamined = report.scope.notExamined.map { Area($0, language: language) }
            readyToRenew = report.summary.ready
            expiry = report.expiry
            expiryWarning = Verdict.expiryWarning(report)?.text(language)
        }
    }

    struct Result: Encodable {
        var id: String
        var outcome: Outcome
        var severity: Severity
        var requirements: [String]
        var category: String
        var title: String
        var message: String
        var evidence: [Fact]
        var remedy: String?
        var fixable: Bool
        var source: String
        var durationSeconds: Double

        init(_ result: CheckResult, language: Language) {
            id = result.id
            outcome = result.outcome
            severity = result.severity
            requirements = result.requirements
            category = result.category
            title = result.title.text(language)
            message = result.message.text(language)
            evidence = result.evidence.map { Fact(name: $0.name, value: $0.value) }
            remedy = result.remedy?.text(language)
            fixable = result.fixable
            source = result.source
            durationSeconds = (result.durationSeconds * 1000).rounded() / 1000
        }

        enum CodingKeys: String, CodingKey {
            case id, outcome, severity, requirements, category, title, message, evidence, remedy, fixable, source
            case durationSeconds = "duration_seconds"
        }

        // `remedy` is always present, null when there is none, so consumers need not test for the key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(severity, forKey: .severity)
            try container.encode(requirements, forKey: .requirements)
            try container.encode(category, forKey: .category)
            try container.encode(title, forKey: .title)
            try container.encode(message, forKey: .message)
            try container.encode(evidence, forKey: .evidence)
            try container.encode(remedy, forKey: .remedy)
            try container.encode(fixable, forKey: .fixable)
            try container.encode(source, forKey: .source)
            try container.encode(durationSeconds, forKey: .durationSeconds)
        }
    }

    struct Fact: Encodable {
        var name: String
        var value: String
    }

    struct RenewalStep: Encodable {
        var name: String
        var outcome: String
        var detail: String
        var time: Date
    }

    struct FixChange: Encodable {
        var description: String
        var before: String?
        var after: String?
    }

    struct Fix: Encodable {
        var check: String
        var summary: String
        var changes: [FixChange]
        var applied: Bool
        var outcome: Outcome?
        var journalEntry: String?
        var error: String?

        init(_ fix: RunReport.FixRecord, language: Language) {
            check = fix.checkID
            summary = fix.summary.text(language)
            changes = fix.changes.map { FixChange(description: $0.description.text(language), before: $0.before, after: $0.after) }
            applied = fix.applied
            outcome = fix.outcome
            journalEntry = fix.journalEntry
            error = fix.error
        }

        enum CodingKeys: String, CodingKey {
            case check, summary, changes, applied, outcome, error
            case journalEntry = "journal_entry"
        }
    }
}
