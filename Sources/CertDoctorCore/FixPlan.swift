import Foundation

/// The changes a fix would make, planned before anything is touched so that people can read them first.
public struct FixPlan: Sendable {
    public var checkID: String
    public var summary: Localized
    public var steps: [FixStep]
    /// What the person must still do afterwards (restart the browser, R6).
    public var afterword: Localized?

    public init(checkID: String, summary: Localized, steps: [FixStep], afterword: Localized? = nil) {
        self.checkID = checkID
        self.summary = summary
        self.steps = steps
        self.afterword = afterword
    }

    /// Every file the plan may change; the journal backs them all up before the first step.
    public var touchedFiles: [URL] {
        var seen = Set<String>()
        return steps.flatMap(\.touches).filter { seen.insert($0.standardizedFileURL.path).inserted }
    }
}

/// One readable change and the code that makes it.
public struct FixStep: Sendable {
    /// The change as a person reads it: `F000504Y0007#0.pfx: AES-256/PBKDF2 → PBE-SHA1-3DES`.
    public var description: Localized
    public var touches: [URL]
    /// The value before and after, when the step changes one value (a registry value, a protection profile).
    public var before: String?
    public var after: String?
    /// Refuses the whole fix before any backup is taken (a running wineserver, for example).
    public var preflight: @Sendable () throws -> Void
    public var apply: @Sendable (FileWriter) throws -> Void

    public init(
        description: Localized, touches: [URL], before: String? = nil, after: String? = nil,
        preflight: @escaping @Sendable () throws -> Void = {}, apply: @escaping @Sendable (FileWriter) throws -> Void
    ) {
        self.description = description
        self.touches = touches
        self.before = before
        self.after = after
        self.preflight = preflight
        self.apply = apply
    }
}

/// How fix steps write: only through the journal, so that every change is backed up and atomic.
public protocol FileWriter: Sendable {
    func replace(_ url: URL, with bytes: [UInt8]) throws
    func remove(_ url: URL) throws
}
