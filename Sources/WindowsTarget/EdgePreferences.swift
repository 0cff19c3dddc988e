import Foundation

/// What the checks read of Edge's per-profile `Preferences` file (`…\Edge\User Data\Default\Preferences`), parsed
/// once when the file is loaded.
///
/// This file imports Foundation alone, so that the fuzz target can compile it as it is.
public struct EdgePreferences: Sendable, Equatable {
    /// The pages the user added to IE mode in Edge's settings (`dual_engine.user_list_data_1`), sorted.
    public let ieModeUserPages: [String]

    /// Why a Preferences file could not be read: the file is not what Edge writes, so no verdict may rest on it.
    public enum Malformed: Error, Equatable, Sendable {
        /// Not JSON at all (cut short, not UTF-8, nested too deep); the parser's own words.
        case notJSON(String)
        /// JSON, but the member at this dotted path is not the object Edge writes there.
        case notAnObject(path: String)
    }

    public init(bytes: [UInt8]) throws(Malformed) {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw .notJSON(error.localizedDescription)
        }
        let document = try Self.object(root, at: "(top level)")
        // A profile that never used IE mode has neither member; a member of another type is not Edge's file.
        guard let engine = document["dual_engine"] else {
            ieModeUserPages = []
            return
        }
        let dualEngine = try Self.object(engine, at: "dual_engine")
        guard let list = dualEngine["user_list_data_1"] else {
            ieModeUserPages = []
            return
        }
        ieModeUserPages = try Self.object(list, at: "dual_engine.user_list_data_1").keys.sorted()
    }

    private static func object(_ value: Any, at path: String) throws(Malformed) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw .notAnObject(path: path) }
        return object
    }
}
