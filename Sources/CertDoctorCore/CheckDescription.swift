import Foundation

/// What part of the environment a check needs; a check whose facet is absent is `notapplicable`.
public enum Facet: String, Sendable, Codable, CaseIterable {
    /// A file certificate (`--pfx`) and its password.
    case fileCertificate = "pfx"
    /// A Windows side: a Wine prefix or exported registry files.
    case windowsSide = "windows"
    /// A Wine prefix specifically (checked and fixed in place).
    case winePrefix = "wine-prefix"
    /// A hardware certificate on a token (`--token`).
    case token
    /// The Linux host itself; always present.
    case host

    /// Says which option supplies the facet, for the `notapplicable` message.
    public var missingReason: Localized {
        switch self {
        case .fileCertificate:
            Localized(zh: "未指定文件证书（--pfx）", en: "no file certificate given (--pfx)")
        case .windowsSide:
            Localized(zh: "未指定 Windows 环境（--wine-prefix 或 --registry）", en: "no Windows side given (--wine-prefix or --registry)")
        case .winePrefix:
            Localized(zh: "未指定 Wine 前缀（--wine-prefix）", en: "no Wine prefix given (--wine-prefix)")
        case .token:
            Localized(zh: "未检查硬件证书（--token）", en: "hardware certificate not requested (--token)")
        case .host:
            Localized(verbatim: "")
        }
    }
}

/// Where a check comes from; `list-checks` shows it.
public enum CheckSource: Sendable, Codable, Hashable, CustomStringConvertible {
    case builtIn
    case manifest(path: String)
    case plugin(path: String)

    public var description: String {
        switch self {
        case .builtIn: "built-in"
        case .manifest(let path): "manifest \(path)"
        case .plugin(let path): "plugin \(path)"
        }
    }

    /// Where the check comes from, as `list-checks` tells a person.
    public var label: Localized {
        switch self {
        case .builtIn: Localized(zh: "内置", en: "built-in")
        case .manifest(let path): Localized(zh: "清单 \(path)", en: "manifest \(path)")
        case .plugin(let path): Localized(zh: "插件 \(path)", en: "plugin \(path)")
        }
    }
}

/// An example that documents a check and is run by the test suite: a fixture and the outcome it must give.
public struct CheckExample: Sendable, Hashable {
    /// A fixture path relative to the repository's `Tests/Fixtures/`.
    public var fixture: String
    /// Options the fixture needs (`password`, `gateway`, …), as a user would give them.
    public var options: [String: String]
    public var expected: Outcome
    public var note: String
    /// Where the example is written, so a failing example points at its own line.
    public var file: String
    public var line: Int

    public init(
        _ fixture: String, options: [String: String] = [:], expect expected: Outcome, _ note: String = "",
        file: String = #filePath, line: Int = #line
    ) {
        self.fixture = fixture
        self.options = options
        self.expected = expected
        self.note = note
        self.file = file
        self.line = line
    }
}

/// Everything a check says about itself, in one value (SwiftLint's `RuleDescription` is the model).
public struct CheckDescription: Sendable {
    /// Stable dotted identifier, part of the public interface: `cert.pfx-name`, `token.single`.
    public var id: String
    public var title: Localized
    public var summary: Localized
    /// Requirement and known-error ids from REQUIREMENTS.md this check covers (R10, E5, …).
    public var requirements: [String]
    public var category: String
    public var severity: Severity
    public var dependencies: [String]
    public var facets: Set<Facet>
    /// What the fix does, when the check has one.
    public var fix: Localized?
    public var examples: [CheckExample]
    public var source: CheckSource

    public init(
        id: String, title: Localized, summary: Localized, requirements: [String], category: String,
        severity: Severity, dependencies: [String] = [], facets: Set<Facet> = [.host], fix: Localized? = nil,
        examples: [CheckExample] = [], source: CheckSource = .builtIn
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.requirements = requirements
        self.category = category
        self.severity = severity
        self.dependencies = dependencies
        self.facets = facets
        self.fix = fix
        self.examples = examples
        self.source = source
    }

    /// Ids are two or more dot-separated words of lower-case letters and digits joined by single hyphens:
    /// `cert.pfx-name`. (Checked by hand: this runs for every check at every start.)
    public static func isValidID(_ id: String) -> Bool {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { part in
            let words = part.split(separator: "-", omittingEmptySubsequences: false)
            return words.allSatisfy { word in
                !word.isEmpty && word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            }
        }
    }
}
