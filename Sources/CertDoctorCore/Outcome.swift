/// Result vocabulary of a check, taken from XCCDF so that reports read the same as other compliance tools'.
public enum Outcome: String, Sendable, Codable, CaseIterable, Comparable {
    case pass
    case fail
    /// The check could not be evaluated; never reported as pass or fail.
    case error
    case notapplicable
    /// A dependency did not pass, or the check was not selected.
    case notchecked
    case informational
    /// Failed, was fixed, and passed when checked again.
    case fixed

    /// The outcome as a person reads it; machine formats keep the raw value.
    public var label: Localized {
        switch self {
        case .pass: Localized(zh: "通过", en: "pass")
        case .fail: Localized(zh: "未通过", en: "fail")
        case .error: Localized(zh: "错误", en: "error")
        case .notapplicable: Localized(zh: "不适用", en: "n/a")
        case .notchecked: Localized(zh: "未检查", en: "skip")
        case .informational: Localized(zh: "信息", en: "info")
        case .fixed: Localized(zh: "已修复", en: "fixed")
        }
    }

    /// Whether a check depending on this one may run.
    public var satisfiesDependents: Bool {
        self == .pass || self == .informational || self == .fixed
    }

    /// Whether a required check that ends so leaves its requirement unmet (failed, or could not be decided).
    public var leavesRequirementUnmet: Bool {
        self == .fail || self == .error
    }

    private var rank: Int { Outcome.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rank < rhs.rank }
}

/// `required` checks gate renewal; `advisory` ones never do.
public enum Severity: String, Sendable, Codable, CaseIterable {
    case required
    case advisory

    /// The severity as a person reads it; machine formats keep the raw value.
    public var label: Localized {
        switch self {
        case .required: Localized(zh: "必需", en: "required")
        case .advisory: Localized(zh: "建议", en: "advisory")
        }
    }
}
