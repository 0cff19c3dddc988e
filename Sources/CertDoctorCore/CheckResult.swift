import Foundation

/// A check's result as reports show it.
public struct CheckResult: Sendable, Codable {
    public var id: String
    public var title: Localized
    public var category: String
    public var severity: Severity
    public var requirements: [String]
    public var outcome: Outcome
    public var message: Localized
    public var evidence: [Evidence]
    public var remedy: Localized?
    /// Whether `certdoctor fix` has an automatic fix for this result.
    public var fixable: Bool
    public var source: String
    public var durationSeconds: Double
    public var certificates: [CertificateObservation]

    public init(
        description: CheckDescription, finding: Finding, durationSeconds: Double
    ) {
        id = description.id
        title = description.title
        category = description.category
        severity = finding.severity ?? description.severity
        requirements = description.requirements
        outcome = finding.outcome
        message = finding.message
        evidence = finding.evidence
        remedy = finding.remedy
        fixable = description.fix != nil && finding.outcome == .fail
        source = description.source.description
        self.durationSeconds = durationSeconds
        certificates = finding.certificates
    }
}

extension CheckResult {
    /// Left out by `--only`/`--skip`.
    public var isNotSelected: Bool { outcome == .notchecked && message == Runner.notSelectedMessage }

    /// Not run because a check it depends on did not pass; that check is the one that blocks.
    public var isBlockedByDependency: Bool { outcome == .notchecked && message.en.hasPrefix(Runner.dependencyPrefix) }
}
