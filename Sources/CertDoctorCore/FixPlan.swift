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
    /// Each touched file as the plan saw it. The journal compares them with the files under its lock, before
    /// any backup: a plan computed from bytes another run has replaced since would write its result over that
    /// run's work.
    public var seen: [SeenFile]
    /// The step changes its files itself (a Windows program run under Wine, a verified rename), not through the
    /// writer: the journal writes what earlier steps left for those files first, so that the step builds on
    /// them and the journal's final write does not put the older bytes back over its work.
    public var changesFilesItself: Bool
    /// For a step that edits its one file only within one part of it (a registry hive's key and the keys below
    /// it), that part's path; nil when the step may change any of it. The writer tells the steps of a fix every
    /// part planned in a file (`FileWriter.plannedParts(of:)`), so that the first step to search the file finds
    /// them all in one pass.
    public var part: [String]?
    /// Refuses the whole fix before any backup is taken (a running wineserver, for example).
    public var preflight: @Sendable () throws -> Void
    public var apply: @Sendable (FileWriter) throws -> Void

    /// `seen` defaults to the touched files as they are now, when the plan is made: every plan is made right
    /// after the checks read the files, so that is what the checks saw.
    public init(
        description: Localized, touches: [URL], before: String? = nil, after: String? = nil, seen: [SeenFile]? = nil,
        changesFilesItself: Bool = false, part: [String]? = nil, preflight: @escaping @Sendable () throws -> Void = {},
        apply: @escaping @Sendable (FileWriter) throws -> Void
    ) {
        self.description = description
        self.touches = touches
        self.part = part
        self.seen = seen ?? touches.map(SeenFile.init(planned:))
        self.changesFilesItself = changesFilesItself
        self.before = before
        self.after = after
        self.preflight = preflight
        self.apply = apply
    }
}

/// A file as a plan saw it: its bytes, or, for a regular file whose identity tells any later change, that identity
/// alone (a 40 MB hive is then neither read nor kept to know later that it is unchanged).
public struct SeenFile: Sendable, Equatable {
    public var path: String
    /// The bytes seen; nil when the file did not exist (or could not be read, which the backup will report), or
    /// when `identity` stands for them.
    public var bytes: [UInt8]?
    /// The regular file's identity, kept instead of its bytes when it was settled (`FileIdentity.isSettled`):
    /// every write since changes its change time, so an equal identity means equal bytes.
    var identity: FileIdentity?

    public init(_ url: URL, bytes: [UInt8]?) {
        path = url.standardizedFileURL.path
        self.bytes = bytes
    }

    /// Reads through a symbolic link, as the checks do.
    public init(now url: URL) {
        self.init(url, bytes: try? readBytes(url))
    }

    /// As a plan records it: a settled file by its identity, any other by its bytes, which the plans of one run
    /// share while the file has not changed (`PlanSnapshots`).
    public init(planned url: URL) {
        self.init(url, bytes: nil)
        if let identity = FileIdentity(url.path), identity.isSettled() {
            self.identity = identity
        } else {
            bytes = PlanSnapshots.shared.bytes(of: url)
        }
    }

    public static func == (a: SeenFile, b: SeenFile) -> Bool {
        a.path == b.path && a.identity == b.identity && sameBytes(a.bytes, b.bytes)
    }
}

/// How fix steps write: only through the journal, so that every change is backed up and atomic.
public protocol FileWriter: Sendable {
    /// The file as the steps before this one left it (nil: absent). A step that edits a file must read it here,
    /// not from the disk: the journal writes each file once, after all steps, so the disk still holds the
    /// original while they run.
    func contents(of url: URL) throws -> [UInt8]?
    /// Replaces (or creates) a file atomically. An existing file keeps its mode; a new one gets `newFileMode`
    /// (0600 unless the file must be readable by others, as a browser policy must), in a directory created
    /// when missing.
    func replace(_ url: URL, with bytes: [UInt8], newFileMode: mode_t) throws
    func remove(_ url: URL) throws
    /// The file as the steps before this one left it, when the last of them left a decoded model of this type
    /// (`replace(_:model:encode:newFileMode:)`); nil otherwise, and the step decodes `contents(of:)`.
    func model<Model: Sendable>(of url: URL, as type: Model.Type) throws -> Model?
    /// As `replace(_:with:newFileMode:)`, for a model the writer encodes only when its bytes are needed: the
    /// steps of a fix that edit one 40 MB hive then decode it once and encode it once, not once per step. The
    /// next step gets `model` back only as it was stored, so `encode` must give the bytes whose decoding is it.
    func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8], newFileMode: mode_t) throws
    /// As `replace(_:model:encode:newFileMode:)`, for a model that can also give its bytes in pieces, in order
    /// (`pieces` calls its second argument with each): a 40 MB hive put together from its mapped original and a
    /// few edited sections is then written without being copied into one array first.
    func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8],
        pieces: @escaping @Sendable (Model, (UnsafeRawBufferPointer) throws -> Void) throws -> Void, newFileMode: mode_t) throws
    /// The file as `contents(of:)` gives it: a file the steps have not changed is mapped, not copied, its pages
    /// faulted in as they are read (a reader of a large file gives them back as it goes).
    func mappedContents(of url: URL) throws -> MappedFile?
    /// The parts of the file (`FixStep.part`) that the steps of this fix edit, this one's among them.
    func plannedParts(of url: URL) -> [[String]]
}

extension FileWriter {
    /// For writers that write at once, the disk is the state the earlier steps left.
    public func contents(of url: URL) throws -> [UInt8]? {
        FileManager.default.fileExists(atPath: url.path) ? try readBytes(url) : nil
    }

    public func replace(_ url: URL, with bytes: [UInt8]) throws {
        try replace(url, with: bytes, newFileMode: 0o600)
    }

    /// A writer that writes at once keeps no model: the step decodes what it wrote.
    public func model<Model: Sendable>(of url: URL, as type: Model.Type) throws -> Model? { nil }

    public func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8], newFileMode: mode_t
    ) throws {
        try replace(url, with: encode(model), newFileMode: newFileMode)
    }

    public func replace<Model: Sendable>(_ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8]) throws {
        try replace(url, model: model, encode: encode, newFileMode: 0o600)
    }

    /// A writer that writes at once has no use for the pieces.
    public func replace<Model: Sendable>(
        _ url: URL, model: Model, encode: @escaping @Sendable (Model) -> [UInt8],
        pieces: @escaping @Sendable (Model, (UnsafeRawBufferPointer) throws -> Void) throws -> Void, newFileMode: mode_t
    ) throws {
        try replace(url, model: model, encode: encode, newFileMode: newFileMode)
    }

    public func mappedContents(of url: URL) throws -> MappedFile? {
        try contents(of: url).map { MappedFile(copy: Data($0)) }
    }

    /// A writer that writes at once knows no plan beyond the step it runs.
    public func plannedParts(of url: URL) -> [[String]] { [] }
}
