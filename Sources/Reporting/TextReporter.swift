import CertDoctorCore
import Foundation

/// Plain text for a terminal: the verdict first, then one line per check and what to do.
public enum TextReporter: Reporter {
    public static let identifier = "text"
    public static let fileName = "report.txt"

    public static func render(_ prepared: PreparedReport) throws -> [UInt8] {
        let report = prepared.report
        let language = prepared.language
        let zh = language == .zh
        var lines: [String] = []
        lines.append(report.summary.readyToRenew
            ? (zh ? "✔ 现在可以更新证书" : "✔ The certificate can be renewed now")
            : (zh ? "✘ 暂时不能更新证书" : "✘ The certificate cannot be renewed yet"))
        lines.append(XMLReporter.summaryReason(report.summary).text(language))
        lines.append("")
        let width = report.results.map(\.id.count).max() ?? 0
        for result in report.results {
            let tag = result.outcome.rawValue.uppercased().padding(toLength: 13, withPad: " ", startingAt: 0)
            let id = result.id.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("[\(tag)] \(id)  \(result.title.text(language)): \(result.message.text(language))")
            if let remedy = result.remedy, result.outcome == .fail || result.outcome == .error {
                lines.append(String(repeating: " ", count: 17 + width) + (zh ? "处理：" : "Remedy: ") + remedy.text(language))
            }
        }
        lines.append("")
        let counts = Outcome.allCases.compactMap { outcome -> String? in
            let count = report.summary.counts[outcome.rawValue] ?? 0
            return count == 0 ? nil : "\(outcome.rawValue) \(count)"
        }
        lines.append(counts.joined(separator: ", "))
        lines.append((zh ? "深证通客服电话：" : "SSCC support: ") + XMLReporter.supportPhone)
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}
