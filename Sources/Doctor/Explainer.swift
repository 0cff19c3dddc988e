import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation

/// `certdoctor explain`: what a portal error means and which checks look into it, or what a check is for.
public struct Explainer: Sendable {
    public let profile: SSCCProfile
    public let registry: CheckRegistry

    public init(profile: SSCCProfile, registry: CheckRegistry) {
        self.profile = profile
        self.registry = registry
    }

    public enum Explanation: Sendable {
        case knownErrors([SSCCProfile.KnownError])
        case check(CheckDescription, relatedErrors: [SSCCProfile.KnownError])
        /// One of the manual's requirements (`R14`), with the checks that cite it.
        case requirement(SSCCProfile.ManualRequirements.Item, checks: [CheckDescription])
    }

    /// Accepts an error id (`E5`), a check id (`cert.pfx-name`), or the portal's message, whole or in part,
    /// as people paste it (spacing and full-width punctuation do not matter).
    public func explain(_ query: String) -> Explanation? {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        if let error = profile.knownErrors.first(where: { $0.id.caseInsensitiveCompare(trimmed) == .orderedSame }) {
            return .knownErrors([error])
        }
        if let item = profile.manualRequirements?.items.first(where: { $0.id.caseInsensitiveCompare(trimmed) == .orderedSame }) {
            return .requirement(item, checks: registry.checks.map(\.description).filter { $0.requirements.contains(item.id) })
        }
        if let check = registry[trimmed] {
            return .check(check.description, relatedErrors: profile.knownErrors.filter { $0.checks.contains(trimmed) })
        }
        let wanted = Self.normalized(trimmed)
        guard wanted.count >= 2 else { return nil }
        let matches = profile.knownErrors.filter { error in
            error.portalMessages.contains { Self.normalized($0).contains(wanted) || wanted.contains(Self.normalized($0)) }
        }
        return matches.isEmpty ? nil : .knownErrors(matches)
    }

    /// Error ids and check ids near a query that explains nothing ("cert.valdity" → cert.validity, "E55" → E5).
    public func suggestions(for query: String) -> [String] {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        return NearestNames.suggestions(
            for: trimmed, among: profile.knownErrors.map(\.id) + registry.ids + (profile.manualRequirements?.items.map(\.id) ?? []))
    }

    /// Lower-case letters, digits and CJK only: "证书信息与 CA 系统不一致！" and "证书信息与CA系统不一致" compare equal.
    static func normalized(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    /// The explanation as lines of text in one language.
    public func render(_ explanation: Explanation, language: Language) -> String {
        var lines: [String] = []
        func label(zh: String, en: String) -> String { Localized(zh: zh, en: en).text(language) }
        switch explanation {
        case .knownErrors(let errors):
            for error in errors {
                lines.append("\(error.id)  \(error.portalMessages.joined(separator: " / "))")
                lines.append("  \(label(zh: "原因", en: "Cause")): \(error.cause.text(language))")
                lines.append("  \(label(zh: "处理", en: "Remedy")): \(error.remedy.text(language))")
                lines.append("  \(label(zh: "相关要求", en: "Requirements")): \(error.requirements.joined(separator: ", "))")
                lines.append("  \(label(zh: "相关检查", en: "Checks")):")
                for id in error.checks {
                    let title = registry[id]?.description.title.text(language) ?? label(zh: "（尚未提供）", en: "(not available in this build)")
                    lines.append("    \(id)  \(title)")
                }
                lines.append("")
            }
        case .check(let description, let related):
            lines.append("\(description.id)  \(description.title.text(language))")
            lines.append("  \(description.summary.text(language))")
            lines.append("  \(label(zh: "严重性", en: "Severity")): \(description.severity.rawValue)  \(label(zh: "类别", en: "Category")): \(description.category)")
            lines.append("  \(label(zh: "相关要求", en: "Requirements")): \(description.requirements.joined(separator: ", "))")
            if !description.dependencies.isEmpty {
                lines.append("  \(label(zh: "依赖", en: "Depends on")): \(description.dependencies.joined(separator: ", "))")
            }
            if let fix = description.fix {
                lines.append("  \(label(zh: "自动修复", en: "Fix")): \(fix.text(language))")
            }
            lines.append("  \(label(zh: "来源", en: "Source")): \(description.source)")
            for error in related {
                lines.append("  \(error.id): \(error.portalMessages.first ?? "") — \(error.cause.text(language))")
            }
            lines.append("")
        case .requirement(let item, let checks):
            lines.append("\(item.id)  \(item.text.text(language))")
            if let commands = item.commands, !commands.isEmpty {
                lines.append("  \(label(zh: "执行命令", en: "Carried out by")): \(commands.joined(separator: ", "))")
            }
            if !checks.isEmpty {
                lines.append("  \(label(zh: "相关检查", en: "Checks")):")
                for check in checks { lines.append("    \(check.id)  \(check.title.text(language))") }
            }
            lines.append("")
        }
        lines.append(label(zh: "深证通客服：", en: "SSCC support: ") + profile.support.phone)
        return lines.joined(separator: "\n")
    }
}
