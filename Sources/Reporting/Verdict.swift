import CertDoctorCore
import Foundation

/// The run-level verdict in words, the same in every format: whether the certificate can be renewed, which
/// certificate, and what was examined and what was not.
public enum Verdict {
    /// "Ready to renew the file certificate F000504Y0007" / "Not ready to renew …".
    public static func headline(_ report: RunReport) -> Localized {
        let subject = report.scope.subject.map { Localized(zh: $0.zh, en: " " + $0.en) } ?? Localized(zh: "证书", en: "")
        if report.summary.ready {
            return Localized(zh: "可以更新", en: "Ready to renew") + subject
        }
        return Localized(zh: "暂不能更新", en: "Not ready to renew") + subject
    }

    /// "expires in 11 days (2026-12-13): renew now", inside the renewal window only.
    public static func expiryWarning(_ report: RunReport) -> Localized? {
        guard let expiry = report.expiry, expiry.insideWindow else { return nil }
        let day = expiry.notAfter.formatted(Date.ISO8601FormatStyle().year().month().day())
        return Localized(
            zh: "证书 \(expiry.subject) 将在 \(expiry.daysLeft) 天后（\(day)）到期：请立即更新",
            en: "the certificate \(expiry.subject) expires in \(expiry.daysLeft) days (\(day)): renew now")
    }

    /// "examined: file certificate (F#0.pfx), Windows side (Wine prefix ~/.wine); not examined: token — add --token".
    public static func scopeLine(_ scope: RunReport.Scope) -> Localized {
        var parts: [Localized] = []
        if !scope.examined.isEmpty {
            let areas = scope.examined.map { area in
                area.title + (area.location.map { Localized(zh: "（\($0)）", en: " (\($0))") } ?? Localized(verbatim: ""))
            }
            parts.append(Localized(zh: "已检查：", en: "examined: ") + list(areas))
        }
        if !scope.notExamined.isEmpty {
            let areas = scope.notExamined.map { area in
                area.title + (area.hint.map { Localized(zh: "（\($0.zh)）", en: " (\($0.en))") } ?? Localized(verbatim: ""))
            }
            parts.append(Localized(zh: "未检查：", en: "not examined: ") + list(areas))
        }
        return Localized.joined(parts)
    }

    /// Why renewal is or is not possible, one sentence for the summary box.
    public static func reason(_ report: RunReport) -> Localized {
        let summary = report.summary
        if summary.ready {
            return Localized(
                zh: "所有必需的检查项均已通过，可以立即在统一客户专区更新证书。",
                en: "Every required check passed: the certificate can be renewed on the portal now.")
        }
        if !report.scope.subjectExamined, let advice = report.scope.advice, summary.blocking.isEmpty {
            return advice + Localized(zh: "。", en: ".")
        }
        if summary.blocking.isEmpty && !summary.unevaluated.isEmpty {
            let ids = summary.unevaluated.joined(separator: ", ")
            return Localized(
                zh: "必需的检查 \(ids) 缺少输入（如密码或 PIN）而未能判定，请补充后重新检查。",
                en: "required check\(summary.unevaluated.count == 1 ? "" : "s") \(ids) could not be decided for want of an input (a password, a PIN); give it and check again.")
        }
        let count = summary.blocking.count
        return Localized(
            zh: "有 \(count) 项必需的检查未通过或无法完成，请先按下列说明处理，再更新证书。",
            en: "\(count) required check\(count == 1 ? "" : "s") failed or could not be evaluated; "
                + "deal with \(count == 1 ? "it" : "them") as listed below before renewing.")
    }

    private static func list(_ items: [Localized]) -> Localized {
        Localized(zh: items.map(\.zh).joined(separator: "、"), en: items.map(\.en).joined(separator: ", "))
    }
}
