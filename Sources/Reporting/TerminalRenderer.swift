import CertDoctorCore
import Foundation

/// The report for people at a terminal: one line per check with a status mark, the message and remedy of
/// anything that needs attention, evidence with `--verbose`, colour only where it helps and is wanted.
public struct TerminalRenderer: Sendable {
    public var language: Language
    public var colour: Bool
    public var verbose: Bool
    /// The `certdoctor fix …` command with the user's own target options, shown beside fixable failures.
    public var fixCommand: String

    public init(language: Language, colour: Bool, verbose: Bool, fixCommand: String = "certdoctor fix") {
        self.language = language
        self.colour = colour
        self.verbose = verbose
        self.fixCommand = fixCommand
    }

    /// Colour on a terminal unless `NO_COLOR` is set (no-color.org) or the terminal is dumb.
    public static func wantsColour(fileDescriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(fileDescriptor) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    public func render(_ report: RunReport) -> String {
        var lines: [String] = []
        let heading = "certdoctor \(report.version) · \(label("配置", "profile")) \(report.profile) · "
            + report.started.formatted(.iso8601)
        lines.append(paint(heading, .dim))
        if let warning = Verdict.expiryWarning(report) {
            lines.append(paint("⚠ " + text(warning), .yellow))
        }
        // Checks left out with --only/--skip are one line at the end, not one each, unless asked for (-v).
        let unselected = report.results.filter { $0.outcome == .notchecked && $0.message == Runner.notSelectedMessage }
        let shown = verbose ? report.results : report.results.filter { !($0.outcome == .notchecked && $0.message == Runner.notSelectedMessage) }
        let width = shown.map(\.id.count).max() ?? 0
        for result in shown {
            let id = result.id.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("\(mark(result.outcome)) \(id)  \(text(result.title))\(result.severity == .advisory ? paint(label(" （建议）", " (advisory)"), .dim) : "")")
            if result.outcome != .pass || verbose {
                lines.append("    " + text(result.message))
            }
            if let remedy = result.remedy, result.outcome == .fail || result.outcome == .error {
                lines.append("    " + paint("→ ", .bold) + text(remedy))
            }
            if result.fixable {
                lines.append("    " + paint(label("可自动修复：", "fixable: ") + fixCommand, .dim))
            }
            if verbose {
                for fact in result.evidence {
                    lines.append(paint("      \(TerminalText.inert(fact.name)): \(TerminalText.inert(fact.value))", .dim))
                }
            }
        }
        for fix in report.fixes {
            lines.append(paint(label("修复 ", "fix ") + fix.checkID + ": ", .bold) + text(fix.summary))
            for change in fix.changes { lines.append("    " + text(change.description)) }
        }
        if !verbose && !unselected.isEmpty {
            lines.append(paint(label("另有 \(unselected.count) 项检查未选中（--only/--skip）", "\(unselected.count) more checks not selected (--only/--skip)"), .dim))
        }
        lines.append("")
        lines.append(contentsOf: summaryLines(report))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The verdict naming the certificate, what was and was not examined, and what blocks or is missing.
    public func summaryLines(_ report: RunReport) -> [String] {
        let summary = report.summary
        let counts = Outcome.allCases.compactMap { outcome -> String? in
            let count = summary.counts[outcome.rawValue] ?? 0
            return count == 0 ? nil : "\(count) \(outcome.rawValue)"
        }.joined(separator: ", ")
        let headline = text(Verdict.headline(report))
        let scope = text(Verdict.scopeLine(report.scope))
        var lines = Verdict.expiryWarning(report).map { [paint("⚠ " + text($0), .yellow)] } ?? []
        lines.append(paint(headline, summary.readyToRenew ? .green : .red) + (scope.isEmpty ? "" : " — " + scope))
        var detail = "(\(counts))"
        if !summary.blocking.isEmpty {
            detail += " — " + label("需处理：", "blocking: ") + summary.blocking.joined(separator: ", ")
        } else if !summary.readyToRenew {
            detail += " — " + text(Verdict.reason(report))
        }
        lines.append(detail)
        if !report.scope.subjectExamined, let advice = report.scope.advice {
            lines.append(paint("→ ", .bold) + text(advice))
        }
        return lines
    }

    private func mark(_ outcome: Outcome) -> String {
        switch outcome {
        case .pass: paint("✔ pass ", .green)
        case .fixed: paint("✔ fixed", .green)
        case .fail: paint("✘ fail ", .red)
        case .error: paint("! error", .yellow)
        case .notapplicable: paint("- n/a  ", .dim)
        case .notchecked: paint("- skip ", .dim)
        case .informational: paint("i info ", .dim)
        }
    }

    private enum Style: String {
        case red = "31"
        case green = "32"
        case yellow = "33"
        case bold = "1"
        case dim = "2"
    }

    /// Words in the report's language, with any control character from the inputs made visible.
    private func text(_ localized: Localized) -> String {
        TerminalText.inert(localized.text(language))
    }

    private func paint(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func label(_ zh: String, _ en: String) -> String {
        language == .zh ? zh : en
    }
}
