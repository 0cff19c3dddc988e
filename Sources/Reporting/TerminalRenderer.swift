import CertDoctorCore
import Foundation

/// The report for people at a terminal. By default, as `flutter doctor` does, one line per area examined (file
/// certificate, Windows side, token, host) with its mark, the passing checks one line each, the failing and
/// erring ones with their message and remedy, what did not apply folded into one line, and a closing digest of
/// the problems and what `certdoctor fix` can do. `--verbose` shows every check with its evidence; `--quiet`
/// only the verdict. Colour only where it helps and is wanted.
public struct TerminalRenderer: Sendable {
    /// How much to show.
    public enum Detail: Sendable {
        /// The verdict line alone.
        case verdict
        /// Areas, problems in full, the rest folded.
        case areas
        /// Every check, with its evidence.
        case everything
    }

    public var language: Language
    public var colour: Bool
    public var detail: Detail
    /// The `certdoctor fix …` command with the user's own target options, shown beside fixable failures.
    public var fixCommand: String

    public init(language: Language, colour: Bool, detail: Detail = .areas, fixCommand: String = "certdoctor fix") {
        self.language = language
        self.colour = colour
        self.detail = detail
        self.fixCommand = fixCommand
    }

    /// When to colour (`--color`): `auto` on a terminal unless `NO_COLOR` is set (no-color.org) or the terminal
    /// is dumb; `always` and `never` as they say.
    public enum ColourChoice: String, Sendable, CaseIterable {
        case auto
        case always
        case never

        public func wanted(fileDescriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
            switch self {
            case .always: true
            case .never: false
            case .auto: isatty(fileDescriptor) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
            }
        }
    }

    public func render(_ report: RunReport) -> String {
        switch detail {
        case .verdict: return summaryLines(report).first.map { $0 + "\n" } ?? ""
        case .areas: return renderAreas(report)
        case .everything: return renderEverything(report)
        }
    }

    /// One heading per area, its checks beneath; what did not apply is one line.
    private func renderAreas(_ report: RunReport) -> String {
        var lines = headingLines(report)
        let byID = Dictionary(report.results.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var placed = Set<String>()
        let areas = report.scope.examined + report.scope.notExamined
        for area in areas {
            let results = area.checks.compactMap { byID[$0] }
            placed.formUnion(area.checks)
            lines += areaLines(area, results: results, examined: report.scope.examined.contains(area))
        }
        // Results no area names (a report from an older version): listed as they come.
        let loose = report.results.filter { !placed.contains($0.id) && !$0.isNotSelected }
        if !loose.isEmpty {
            lines += loose.flatMap { checkLines($0, width: loose.map(\.id.count).max() ?? 0, indent: "") }
        }
        lines += fixLines(report)
        lines.append("")
        lines += summaryLines(report)
        lines += digestLines(report)
        return lines.joined(separator: "\n") + "\n"
    }

    private func areaLines(_ area: RunReport.Scope.Area, results: [CheckResult], examined: Bool) -> [String] {
        let title = text(area.title)
        guard examined else {
            let problems = results.filter { $0.outcome == .fail || $0.outcome == .error }
            let why = area.hint.map { " — " + text($0) } ?? ""
            var lines = [paint("- " + title + label(zh: "：未检查", en: ": not examined") + why, .dim)]
            let width = problems.map(\.id.count).max() ?? 0
            for result in problems { lines += checkLines(result, width: width, indent: "    ") }
            return lines
        }
        let shown = results.filter { ![.notapplicable, .notchecked].contains($0.outcome) }
        let folded = results.filter { [.notapplicable, .notchecked].contains($0.outcome) }
        let blocking = shown.contains { $0.severity == .required && $0.outcome.leavesRequirementUnmet }
        let warning = shown.contains { $0.outcome.leavesRequirementUnmet }
        let mark = blocking ? paint("✘", .red) : warning ? paint("!", .yellow) : paint("✔", .green)
        var lines = ["\(mark) " + paint(title, .bold) + (area.location.map { "  " + TerminalText.inert($0) } ?? "")]
        let width = shown.map(\.id.count).max() ?? 0
        for result in shown { lines += checkLines(result, width: width, indent: "    ") }
        if !folded.isEmpty {
            lines.append(paint("    - " + foldedLine(folded), .dim))
        }
        return lines
    }

    /// "3 not applicable (driver.token-csp: no Wine prefix given), 2 not selected (--only/--skip)".
    private func foldedLine(_ results: [CheckResult]) -> String {
        let unselected = results.filter(\.isNotSelected)
        let other = results.filter { !$0.isNotSelected }
        var parts: [String] = []
        let reasons = Dictionary(grouping: other, by: { text($0.message) })
        for (reason, group) in reasons.sorted(by: { $0.value.count > $1.value.count }) {
            let ids = group.map(\.id).joined(separator: ", ")
            parts.append(label(zh: "\(group.count) 项\(group[0].outcome.label.zh)（\(ids)：\(reason)）", en: "\(group.count) \(group[0].outcome == .notapplicable ? "not applicable" : "not checked") (\(ids): \(reason))"))
        }
        if !unselected.isEmpty {
            parts.append(label(zh: "\(unselected.count) 项未选中（--only/--skip）", en: "\(unselected.count) not selected (--only/--skip)"))
        }
        return parts.joined(separator: label(zh: "；", en: "; "))
    }

    /// Every check as today's full listing, with evidence: what `-v` asks for.
    private func renderEverything(_ report: RunReport) -> String {
        var lines = headingLines(report)
        let width = report.results.map(\.id.count).max() ?? 0
        for result in report.results {
            lines += checkLines(result, width: width, indent: "", always: true)
        }
        lines += fixLines(report)
        lines.append("")
        lines += summaryLines(report)
        lines += digestLines(report)
        return lines.joined(separator: "\n") + "\n"
    }

    private func headingLines(_ report: RunReport) -> [String] {
        let heading = "certdoctor \(report.version) · \(label(zh: "配置", en: "profile")) \(report.profile) · "
            + report.started.formatted(.iso8601)
        var lines = [paint(heading, .dim)]
        if let warning = Verdict.expiryWarning(report) {
            lines.append(paint("⚠ " + text(warning), .yellow))
        }
        return lines
    }

    /// A check's line; its message when it needs attention (always with `always`), its remedy when it failed,
    /// the fix command when it has one, and with `-v` its evidence.
    private func checkLines(_ result: CheckResult, width: Int, indent: String, always: Bool = false) -> [String] {
        let id = result.id.padding(toLength: width, withPad: " ", startingAt: 0)
        let advisory = result.severity == .advisory ? paint(label(zh: "（建议）", en: " (advisory)"), .dim) : ""
        var lines = ["\(indent)\(mark(result.outcome)) \(id)  \(text(result.title))\(advisory)"]
        if result.outcome != .pass || always {
            lines.append(indent + "    " + text(result.message))
        }
        if let remedy = result.remedy, result.outcome == .fail || result.outcome == .error {
            lines.append(indent + "    " + paint("→ ", .bold) + text(remedy))
        }
        if result.fixable {
            // The areas view names the command once, in the closing digest.
            let how = detail == .everything
                ? label(zh: "可自动修复：", en: "fixable: ") + fixCommand : label(zh: "可自动修复（命令见文末）", en: "fixable (command below)")
            lines.append(indent + "    " + paint(how, .dim))
        }
        if detail == .everything {
            for fact in result.evidence {
                lines.append(paint(indent + "      \(TerminalText.inert(fact.name)): \(TerminalText.inert(fact.value))", .dim))
            }
        }
        return lines
    }

    private func fixLines(_ report: RunReport) -> [String] {
        report.fixes.flatMap { fix in
            [paint(label(zh: "修复 ", en: "fix ") + fix.checkID + ": ", .bold) + text(fix.summary)]
                + fix.changes.map { "    " + text($0.description) }
        }
    }

    /// "2 problems, 1 fixable with: certdoctor fix --pfx …" — or, for a run that is ready, that there are none. A run
    /// that is not ready without a failure (nothing examined, an input missing) gets no "no problems": the verdict
    /// above says what is missing, and nothing may read as green.
    private func digestLines(_ report: RunReport) -> [String] {
        let problems = report.results.filter { $0.outcome == .fail || $0.outcome == .error }
        guard !problems.isEmpty else {
            return report.summary.ready ? [label(zh: "未发现问题。", en: "No problems found.")] : []
        }
        let fixable = problems.filter(\.fixable).count
        let count = label(zh: "\(problems.count) 个问题", en: "\(problems.count) problem\(problems.count == 1 ? "" : "s")")
        guard fixable > 0 else {
            return [count + label(zh: "，均需手动处理（见上文的处理方法）。", en: ", none fixable automatically (see the remedies above).")]
        }
        return [count + label(zh: "，其中 \(fixable) 个可自动修复：", en: ", \(fixable) fixable with: ") + paint(fixCommand, .bold)]
    }

    /// The verdict naming the certificate, what was and was not examined, and what blocks or is missing.
    public func summaryLines(_ report: RunReport) -> [String] {
        let summary = report.summary
        let counts = Outcome.allCases.compactMap { outcome -> String? in
            let count = summary.counts[outcome.rawValue] ?? 0
            return count == 0 ? nil : label(zh: "\(count) 项\(outcome.label.zh)", en: "\(count) \(outcome.rawValue)")
        }.joined(separator: label(zh: "，", en: ", "))
        let headline = text(Verdict.headline(report))
        let scope = text(Verdict.scopeLine(report.scope))
        var lines = Verdict.expiryWarning(report).map { [paint("⚠ " + text($0), .yellow)] } ?? []
        lines.append(paint(headline, summary.ready ? .green : .red) + (scope.isEmpty ? "" : " — " + scope))
        var detail = label(zh: "（\(counts)）", en: "(\(counts))")
        if !summary.blocking.isEmpty {
            detail += " — " + label(zh: "需处理：", en: "blocking: ") + summary.blocking.joined(separator: ", ")
        } else if !summary.ready {
            detail += " — " + text(Verdict.reason(report))
        }
        lines.append(detail)
        if !report.scope.subjectExamined, let advice = report.scope.advice {
            lines.append(paint("→ ", .bold) + text(advice))
        }
        return lines
    }

    /// "✔ pass " / "✘ 未通过": the sign and the word, padded so that the ids line up.
    private func mark(_ outcome: Outcome) -> String {
        let sign: String
        let style: Style
        switch outcome {
        case .pass, .fixed: (sign, style) = ("✔", .green)
        case .fail: (sign, style) = ("✘", .red)
        case .error: (sign, style) = ("!", .yellow)
        case .notapplicable, .notchecked: (sign, style) = ("-", .dim)
        case .informational: (sign, style) = ("i", .dim)
        }
        let width = Outcome.allCases.map { Self.columns($0.label.text(language)) }.max() ?? 0
        let word = outcome.label.text(language)
        return paint(sign + " " + word + String(repeating: " ", count: width - Self.columns(word)), style)
    }

    /// Terminal columns a text takes: Chinese characters take two.
    static func columns(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            sum + ((0x1100...0x115F).contains(scalar.value) || (0x2E80...0xA4CF).contains(scalar.value)
                || (0xAC00...0xD7A3).contains(scalar.value) || (0xF900...0xFAFF).contains(scalar.value)
                || (0xFF00...0xFF60).contains(scalar.value) ? 2 : 1)
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

    private func label(zh: String, en: String) -> String {
        Localized(zh: zh, en: en).text(language)
    }
}
