import Foundation

/// A key for data that outer modules attach to an environment (the targets a run examines, the SSCC profile),
/// in the manner of SwiftUI's environment values, so the core needs to know none of their types.
public protocol EnvironmentKey {
    associatedtype Value: Sendable
    static var defaultValue: Value { get }
    /// The environment variables through which plugins learn the value. Once the key is set, certdoctor alone
    /// speaks for these names: one the value leaves out is removed, not inherited from certdoctor's own caller.
    static var pluginVariableNames: [String] { get }
    /// What an external plugin is told of the value, under `pluginVariableNames`; never a secret.
    static func pluginVariables(for value: Value) -> [String: String]
}

extension EnvironmentKey {
    public static var pluginVariableNames: [String] { [] }
    public static func pluginVariables(for value: Value) -> [String: String] { [:] }
}

/// What a run examines: the targets the user named and the facts every check may read. The targets
/// themselves are attachments that their own modules define (`environment.pfxFile` comes from the file
/// certificate's module), so the core knows only the run's language, clock and plugin limits.
public struct Environment: Sendable {
    public var now: Date
    public var language: Language
    public var pluginTimeout: TimeInterval
    private var attachments: [ObjectIdentifier: any Sendable] = [:]
    private var exportedToPlugins: [ObjectIdentifier: (names: [String], values: [String: String])] = [:]

    public init(now: Date = Date(), language: Language = .en, pluginTimeout: TimeInterval = 10) {
        self.now = now
        self.language = language
        self.pluginTimeout = pluginTimeout
    }

    public subscript<Key: EnvironmentKey>(key: Key.Type) -> Key.Value {
        get { attachments[ObjectIdentifier(key)] as? Key.Value ?? Key.defaultValue }
        set {
            attachments[ObjectIdentifier(key)] = newValue
            exportedToPlugins[ObjectIdentifier(key)] = (Key.pluginVariableNames, Key.pluginVariables(for: newValue))
        }
    }

    /// `base` (the variables certdoctor was started with) with what the attachments tell plugins in place of
    /// the names they speak for.
    public func pluginVariables(over base: [String: String]) -> [String: String] {
        var variables = base
        for (names, values) in exportedToPlugins.values {
            for name in names { variables[name] = values[name] }
        }
        return variables
    }

    public func provides(_ facet: Facet) -> Bool {
        facet.isPresent(self)
    }
}
