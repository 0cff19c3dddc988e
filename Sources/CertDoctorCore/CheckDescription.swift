import Foundation

/// A part of the environment a check needs (a file certificate, a Wine prefix, the host); a check whose facet
/// the run lacks is `notapplicable`. The module that defines a target defines its facet beside it, with how to
/// tell that a run has it and what to say when it has not; the core defines only the host.
public struct Facet: Sendable, Hashable, CustomStringConvertible {
    /// The name plugins use in their `describe` answer (`"pfx"`, `"windows"`, `"host"`).
    public let id: String
    /// Which option supplies the facet, for the `notapplicable` message.
    public let missingReason: Localized
    let isPresent: @Sendable (Environment) -> Bool

    public init(id: String, missingReason: Localized, isPresent: @escaping @Sendable (Environment) -> Bool) {
        self.id = id
        self.missingReason = missingReason
        self.isPresent = isPresent
    }

    /// The Linux host itself; always present.
    public static let host = Facet(id: "host", missingReason: Localized(verbatim: "")) { _ in true }

    public var description: String { id }

    public static func == (lhs: Facet, rhs: Facet) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
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
public struct CheckExample: Sendable {
    /// A fixture path relative to the repository's `Tests/Fixtures/` (or a scenario the tests bring up).
    public var fixture: String
    /// How the fixture is given to the check: as a PFX file with its password, a Wine prefix, … The kinds are
    /// the outer modules' (they know the targets); the test that runs every example knows each kind, so an
    /// example of a kind it cannot set up fails instead of running without its inputs.
    public var target: any ExampleTarget
    public var expected: Outcome
    public var note: String
    /// Where the example is written, so a failing example points at its own line.
    public var file: String
    public var line: Int

    public init(
        _ fixture: String, _ target: any ExampleTarget, expect expected: Outcome, _ note: String = "",
        file: String = #filePath, line: Int = #line
    ) {
        self.fixture = fixture
        self.target = target
        self.expected = expected
        self.note = note
        self.file = file
        self.line = line
    }
}

/// How an example's fixture is given to a check; see `CheckExample.target`.
public protocol ExampleTarget: Sendable, CustomStringConvertible {}

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
