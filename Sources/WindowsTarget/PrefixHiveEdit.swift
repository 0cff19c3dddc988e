import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// A change to one of a Wine prefix's hives, as a fix step: the hive is read from the writer when the step runs (so that
/// several fixes editing `user.reg` in one journal entry build on each other), edited in the model, and
/// written back through the journal. Refused while a wineserver runs for the prefix.
public enum PrefixHiveEdit {
    public enum Hive: String, Sendable {
        case machine = "system.reg"
        case user = "user.reg"
    }

    /// An edit confined to the keys at and below `path` (relative to the hive's root): the step edits only that
    /// part of the hive's bytes (`WineHiveSubtreeEdit`) and copies the rest as it is.
    public struct SubtreeEdit: Sendable {
        public var path: [String]
        public var apply: @Sendable (inout RegistryKey) -> Void

        public init(path: [String], apply: @escaping @Sendable (inout RegistryKey) -> Void) {
            self.path = path
            self.apply = apply
        }
    }

    public static func step(
        prefix: URL, hive: Hive, description: Localized, edit: @escaping @Sendable (inout RegistryKey) -> Void
    ) -> FixStep {
        step(prefix: prefix, hive: hive, description: description, subtree: nil, verifiedEdit: { edit(&$0) })
    }

    public static func step(prefix: URL, hive: Hive, description: Localized, edit: SubtreeEdit) -> FixStep {
        let apply = edit.apply
        return step(prefix: prefix, hive: hive, description: description, subtree: edit.path, verifiedEdit: { apply(&$0) })
    }

    /// As `step`, for an edit that checks its own result and throws (before anything is written) when it fails.
    public static func step(
        prefix: URL, hive: Hive, description: Localized, verifiedEdit edit: @escaping @Sendable (inout RegistryKey) throws -> Void
    ) -> FixStep {
        step(prefix: prefix, hive: hive, description: description, subtree: nil, verifiedEdit: edit)
    }

    /// `subtree`: the keys the edit is confined to, when it is; nil edits the whole hive.
    private static func step(
        prefix: URL, hive: Hive, description: Localized, subtree: [String]?,
        verifiedEdit edit: @escaping @Sendable (inout RegistryKey) throws -> Void
    ) -> FixStep {
        let file = prefix.appendingPathComponent(hive.rawValue)
        return FixStep(
            description: description, touches: [file], part: subtree,
            preflight: { try WineServerGuard.requireStopped(prefix: prefix) },
            apply: { writer in
                // The hive as the earlier steps of this fix left it (the journal writes it once, at the end).
                // A step confined to a subtree edits that part of the bytes, beside the parts earlier such steps
                // edited, and the file is put together once when written; a step editing the whole hive decodes
                // it, or takes the model an earlier such step left, so that a hive is decoded and encoded once per
                // fix, not per step (decoding what `encode` wrote gives that model back; HiveDecodedOnceTests
                // compare the ways). The spliced hive starts from the file mapped and is written in pieces, so
                // that a 40 MB hive is neither copied into memory nor put together there. A missing hive fails
                // with the system's reason.
                if let subtree, try writer.model(of: file, as: WineHive.self) == nil {
                    var spliced: SplicedHive
                    if let earlier = try writer.model(of: file, as: SplicedHive.self) {
                        spliced = earlier
                    } else {
                        spliced = SplicedHive(try writer.mappedContents(of: file) ?? MappedFile(file, populate: false))
                        // Every subtree this fix edits in the hive, found in one pass over it, not one pass each.
                        spliced.locate(writer.plannedParts(of: file))
                    }
                    let edited = try WindowsSideError.wrapping { try spliced.edit(fileName: file.path, at: subtree, edit) }
                    if edited {
                        try writer.replace(
                            file, model: spliced, encode: { $0.bytes }, pieces: { hive, write in try hive.forEachPiece(write) },
                            newFileMode: 0o600)
                        return
                    }
                }
                var decoded: WineHive
                if let model = try writer.model(of: file, as: WineHive.self) {
                    decoded = model
                } else {
                    let bytes = try writer.contents(of: file) ?? readBytes(file)
                    decoded = try WindowsSideError.wrapping { try WineHiveCodec.decode(bytes, fileName: file.path) }
                }
                try edit(&decoded.root)
                try writer.replace(file, model: decoded, encode: WineHiveCodec.encode)
            })
    }

    /// Sets a DWORD under a path relative to the hive's root, creating the keys on the way.
    public static func setDWord(_ value: UInt32, name: String, at path: String) -> SubtreeEdit {
        setValue(RegistryValue(name: name, dword: value), at: path)
    }

    /// Sets a value under a path relative to the hive's root, creating the keys on the way.
    public static func setValue(_ value: RegistryValue, at path: String) -> SubtreeEdit {
        let components = RegistryKey.components(of: path)
        return SubtreeEdit(path: components) { root in
            root.withKey(creating: components[...]) { $0.setValue(value) }
        }
    }

    /// Text for a change, e.g. `HKCU\…\Zones\2 "1004" = dword:00000000 (was 1)`.
    public static func describeSet(_ root: String, _ path: String, _ name: String, _ value: UInt32, was: UInt32?) -> Localized {
        let target = "\(root)\\\(path) \"\(name)\" = dword:" + String(format: "%08x", value)
        guard let was else { return Localized(zh: target + "（新建）", en: target + " (new)") }
        return Localized(zh: target + "（原为 \(was)）", en: target + " (was \(was))")
    }
}

/// Every browser change needs the browser restarted before it takes effect (R6).
public enum BrowserRestart {
    public static let afterword = Localized(
        zh: "请关闭并重新打开浏览器（IE/Edge），设置才会生效（R6）。",
        en: "Close and reopen the browser (IE/Edge) so that the changes take effect (R6).")
}
