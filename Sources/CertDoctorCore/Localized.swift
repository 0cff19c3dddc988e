import Foundation

/// The two languages every user-facing message exists in.
public enum Language: String, Sendable, Codable, CaseIterable {
    case zh
    case en

    /// Chinese for `zh_*` locales, English otherwise; `LC_ALL` wins over `LC_MESSAGES` over `LANG`, as in POSIX.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[name], !value.isEmpty {
                return value.lowercased().hasPrefix("zh") ? .zh : .en
            }
        }
        return .en
    }
}

/// A text in Chinese and English.
public struct Localized: Sendable, Codable, Hashable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    /// The same text in both languages: identifiers, paths, a plugin's own words.
    public init(verbatim text: String) {
        self.init(zh: text, en: text)
    }

    public func text(_ language: Language) -> String {
        switch language {
        case .zh: zh
        case .en: en
        }
    }

    /// Several findings as one message, each language with its own separator (full-width in Chinese).
    public static func joined(_ parts: [Localized]) -> Localized {
        Localized(zh: parts.map(\.zh).joined(separator: "；"), en: parts.map(\.en).joined(separator: "; "))
    }

    /// Joins two texts language by language.
    public static func + (lhs: Localized, rhs: Localized) -> Localized {
        Localized(zh: lhs.zh + rhs.zh, en: lhs.en + rhs.en)
    }
}
