import CertDoctorCore
import Foundation

/// What can go wrong producing or re-rendering a report.
public enum ReportingError: Error, Equatable, Sendable, LocalizedError {
    case unknownFormat(String, known: [String])
    /// A report we produced does not validate against our own schema: a bug, never user error.
    case invalidReport([String])
    /// A saved report given to `report render` cannot be read.
    case unreadable(path: String, reason: String)
    /// A saved report given to `report render` is not a certdoctor report.
    case notAReport(path: String, reasons: [String])
    case cannotWrite(path: String, reason: String)
    case bundleFailed(reason: String)

    public var errorDescription: String? { text(.en) }
    public var chineseDescription: String { text(.zh) }

    public func text(_ language: Language) -> String {
        let words: Localized
        switch self {
        case let .unknownFormat(name, known):
            words = Localized(
                zh: "未知的报告格式“\(name)”（可用：\(known.joined(separator: ", "))）",
                en: "unknown report format '\(name)' (known: \(known.joined(separator: ", ")))")
        case let .invalidReport(violations):
            words = Localized(
                zh: "生成的 XML 报告不符合架构（程序错误）：\(violations.joined(separator: "；"))",
                en: "the XML report does not match its schema (a bug): \(violations.joined(separator: "; "))")
        case let .unreadable(path, reason):
            words = Localized(zh: "无法读取报告 \(path)：\(reason)", en: "cannot read the report \(path): \(reason)")
        case let .notAReport(path, reasons):
            words = Localized(
                zh: "\(path) 不是有效的 certdoctor 报告：\(reasons.joined(separator: "；"))",
                en: "\(path) is not a valid certdoctor report: \(reasons.joined(separator: "; "))")
        case let .cannotWrite(path, reason):
            words = Localized(zh: "无法写入 \(path)：\(reason)", en: "cannot write \(path): \(reason)")
        case let .bundleFailed(reason):
            words = Localized(zh: "无法生成支持包：\(reason)", en: "cannot make the support bundle: \(reason)")
        }
        return words.text(language)
    }
}

extension ReportingError: LocalizedMessage, CommandEndingProviding {
    public var localizedMessage: Localized { Localized(zh: text(.zh), en: text(.en)) }

    public var ending: CommandEnding {
        switch self {
        case .unreadable: .noInput
        case .notAReport: .dataError
        case .invalidReport: .software
        case .cannotWrite, .bundleFailed, .unknownFormat: .cannotCreate
        }
    }
}
