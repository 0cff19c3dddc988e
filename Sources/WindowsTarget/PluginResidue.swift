import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// R17: every key and value that mentions a control's class ID, in both hives and both registry views, plus
/// the ProgID and TypeLib keys its CLSID key points to. The manual has people search regedit for the class
/// ID and delete what they find until nothing is left; this does the same, with a backup.
public struct PluginResidue: Sendable {
    public enum Hive: String, Sendable {
        case machine = "HKLM"
        case user = "HKCU"
    }

    public struct Item: Sendable, Hashable, CustomStringConvertible {
        public var hive: Hive
        /// Path relative to the hive.
        public var path: String
        /// nil: the whole key; otherwise one value of the key.
        public var valueName: String?

        public var description: String {
            "\(hive.rawValue)\\\(path)" + (valueName.map { " \"\($0)\"" } ?? "")
        }
    }

    public var clsid: String
    public var items: [Item]

    /// Throws when a hive that may mention the class ID cannot be read whole.
    public static func find(_ clsid: String, in side: WindowsSide) throws -> PluginResidue {
        var items: [Item] = []
        for hive in [Hive.machine, .user] {
            guard let root = try searchedRoot(hive, for: clsid, in: side) else { continue }
            items += mentions(of: clsid, in: root, hive: hive)
            // The ProgID and TypeLib keys carry no class ID in their names; follow the CLSID key's pointers.
            for classes in ["Software\\Classes", "Software\\Classes\\Wow6432Node"] {
                guard let key = root.key(at: "\(classes)\\CLSID\\\(clsid)") else { continue }
                if let progID = key.subkey(named: "ProgID")?.defaultValue?.stringValue, !progID.isEmpty,
                   root.key(at: "Software\\Classes\\\(progID)") != nil {
                    items.append(Item(hive: hive, path: "Software\\Classes\\\(progID)"))
                }
                if let typeLib = key.subkey(named: "TypeLib")?.defaultValue?.stringValue, !typeLib.isEmpty {
                    for libraries in ["Software\\Classes\\TypeLib", "Software\\Classes\\Wow6432Node\\TypeLib"]
                    where root.key(at: "\(libraries)\\\(typeLib)") != nil {
                        items.append(Item(hive: hive, path: "\(libraries)\\\(typeLib)"))
                    }
                }
            }
        }
        var seen = Set<Item>()
        return PluginResidue(clsid: clsid, items: items.filter { seen.insert($0).inserted })
    }

    /// The tree of `hive` to search; nil when its file's bytes show that nothing in it mentions the class ID
    /// (the side read only part of a Wine prefix, and the search needs every key).
    static func searchedRoot(_ hive: Hive, for clsid: String, in side: WindowsSide) throws -> RegistryKey? {
        guard let hives = side.hives else { return hive == .machine ? side.machine : side.user }
        guard hives.mayMention(clsid, in: hive) else { return nil }
        return try WindowsSideError.wrapping { try hives.wholeRoot(of: hive) }
    }

    /// Keys whose name holds the class ID (taken whole), and values whose name or text holds it.
    public static func mentions(of clsid: String, in root: RegistryKey, hive: Hive) -> [Item] {
        let needle = clsid.lowercased()
        // Most of a hive cannot mention the class ID; the byte scan says so without decoding every value.
        let scan = ClassIDScan(clsid)
        var items: [Item] = []
        func walk(_ key: RegistryKey, path: String) {
            for value in key.values where scan.mayBeIn(value.name) || scan.mayBeIn(utf16LittleEndian: value.data) {
                let text = value.stringValue ?? value.multiStringValue?.joined(separator: "\n") ?? ""
                if value.name.lowercased().contains(needle) || text.lowercased().contains(needle) {
                    items.append(Item(hive: hive, path: path, valueName: value.name))
                }
            }
            for subkey in key.subkeys {
                let subpath = path.isEmpty ? subkey.name : path + "\\" + subkey.name
                if scan.mayBeIn(subkey.name) && subkey.name.lowercased().contains(needle) {
                    items.append(Item(hive: hive, path: subpath))
                } else {
                    walk(subkey, path: subpath)
                }
            }
        }
        walk(root, path: "")
        return items
    }

    /// Removes the items of one hive from its root.
    public static func remove(_ items: [Item], from root: inout RegistryKey) {
        for item in items {
            let components = RegistryKey.components(of: item.path)
            if let name = item.valueName {
                root.withExistingKey(components[...]) { $0.removeValue(named: name) }
            } else {
                root.removeKey(at: components[...])
            }
        }
    }

    /// The R17 fix for a Wine prefix: remove everything, then verify that nothing mentioning the class ID is
    /// left in the hive that was written ("repeat until none", done before the write instead of by hand).
    public func plan(checkID: String, prefix: URL, controlName: String) -> FixPlan? {
        guard !items.isEmpty else { return nil }
        var steps: [FixStep] = []
        for (hive, file) in [(Hive.machine, PrefixHiveEdit.Hive.machine), (.user, .user)] {
            let mine = items.filter { $0.hive == hive }
            guard !mine.isEmpty else { continue }
            let clsid = clsid
            let listing = mine.map(\.description).joined(separator: "; ")
            steps.append(PrefixHiveEdit.step(
                prefix: prefix, hive: file,
                description: Localized(zh: "删除 \(mine.count) 处插件残留：\(listing)", en: "remove \(mine.count) pieces of plugin residue: \(listing)"),
                verifiedEdit: { root in
                    Self.remove(mine, from: &root)
                    let left = Self.mentions(of: clsid, in: root, hive: hive)
                    guard left.isEmpty else { throw ResidueError.stillPresent(clsid: clsid, items: left.map(\.description)) }
                }))
        }
        return FixPlan(
            checkID: checkID,
            summary: Localized(zh: "删除 \(controlName) \(clsid) 的注册表残留（R17）", en: "remove the registry residue of \(controlName) \(clsid) (R17)"),
            steps: steps,
            afterword: Localized(
                zh: "请关闭并重新打开浏览器，重新登录统一客户专区安装插件（R6、R17）。",
                en: "Close and reopen the browser, then log in to the portal again so that it installs the control (R6, R17)."))
    }
}

extension PluginResidue {
    /// The R17 fix for a customer's exported registry: a `.reg` that deletes exactly the residue found
    /// (`[-key]`, `"value"=-`), for the customer to import on their machine (with administrator rights for
    /// HKLM) before the portal installs the control again.
    public func offlinePlan(checkID: String, directory: URL, controlName: String) throws -> FixPlan? {
        guard !items.isEmpty else { return nil }
        var sections: [RegFileSection] = []
        for item in items {
            let path = try RegistryPath(parsing: "\(item.hive.rawValue)\\\(item.path)")
            if let name = item.valueName {
                sections.append(RegFileSection(path: path, operations: [.delete(valueName: name)]))
            } else {
                sections.append(RegFileSection(path: path, deletesKey: true))
            }
        }
        let bytes = try RegFileCodec.encode(RegFile(format: .version5, sections: sections))
        let file = OfflineFix.regFile(checkID: checkID, in: directory)
        let listing = items.map(\.description).joined(separator: "; ")
        let step = FixStep(
            description: Localized(
                zh: "写入 \(file.path)（客户以管理员身份导入），删除 \(items.count) 处插件残留：\(listing)",
                en: "write \(file.path) for the customer to import as an administrator, removing \(items.count) pieces of plugin residue: \(listing)"),
            touches: [file], apply: { writer in try writer.replace(file, with: bytes) })
        return FixPlan(
            checkID: checkID,
            summary: Localized(zh: "删除 \(controlName) \(clsid) 的注册表残留（R17）", en: "remove the registry residue of \(controlName) \(clsid) (R17)"),
            steps: [step],
            afterword: Localized(
                zh: "导入后请关闭浏览器、重新启动，再登录统一客户专区安装插件（R6、R17）。",
                en: "After importing it, close the browser, restart, and log in to the portal again so that it installs the control (R6, R17)."))
    }
}

public enum ResidueError: Error, LocalizedMessage, LocalizedError, Sendable {
    case stillPresent(clsid: String, items: [String])

    public var localizedMessage: Localized {
        switch self {
        case .stillPresent(let clsid, let items):
            Localized(zh: "删除后仍有 \(clsid) 的残留：\(items.joined(separator: "；"))",
                      en: "residue of \(clsid) is still present after removal: \(items.joined(separator: "; "))")
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }
}
