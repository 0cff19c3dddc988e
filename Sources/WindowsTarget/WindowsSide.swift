import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry
import XMLSupport

/// The Windows side of a run as the browser and ActiveX checks read it: one `RegistrySnapshot`, read by the
/// registry engine from a Wine prefix's hives or merged from a customer's exported files, plus the non-registry
/// files that came with an export (an IE-mode site list, Edge's Preferences).
///
/// Every key is looked up through the snapshot, so a Wine prefix and an export follow the same view rules
/// (`Wow6432Node`, Wine's `#link` keys) that `registry query` uses.
public struct WindowsSide: Sendable {
    public enum Kind: Sendable {
        /// Checked and fixed in place; Wine's own lookup rules apply (sec_mgr.c, WoW64 redirection).
        case winePrefix(URL)
        /// A customer's exports, analysed offline under Windows' rules; fixes become files.
        case exported([URL])
    }

    public var kind: Kind
    public var snapshot: RegistrySnapshot
    /// Files that came with `--registry` and are not registry data, matched by name when a policy names a
    /// file on the customer's machine.
    public var otherFiles: [ExportedFile]

    /// A Wine prefix read in part (`PrefixHives`): `snapshot` then holds only the keys it covers, and a lookup
    /// outside them reads the whole registry.
    let hives: PrefixHives?

    public init(kind: Kind, snapshot: RegistrySnapshot, otherFiles: [ExportedFile] = []) {
        self.init(kind: kind, snapshot: snapshot, otherFiles: otherFiles, hives: nil)
    }

    init(kind: Kind, snapshot: RegistrySnapshot, otherFiles: [ExportedFile], hives: PrefixHives?) {
        self.kind = kind
        self.snapshot = snapshot
        self.otherFiles = otherFiles
        self.hives = hives
    }

    /// This side for a reader of `paths` (relative to HKLM or HKCU) that may lie outside the keys a partly
    /// read prefix holds: then with the whole registry, read once per run (a hive that cannot be read fails here).
    public func reading(_ paths: [String]) throws -> WindowsSide {
        guard let hives, !paths.allSatisfy({ hives.covers(RegistryKey.components(of: $0)) }) else { return self }
        let whole = try WindowsSideError.wrapping { try hives.wholeRegistry() }
        return WindowsSide(kind: kind, snapshot: whole.snapshot, otherFiles: otherFiles, hives: nil)
    }

    /// The snapshot that answers for `path` (relative to its root): the partial one when it covers the path.
    /// A whole registry that cannot be read answers nothing; readers outside the covered keys ask `reading`
    /// first, which reports that.
    private func snapshot(answering path: String) -> RegistrySnapshot {
        guard let hives, !hives.covers(RegistryKey.components(of: path)) else { return snapshot }
        return (try? hives.wholeRegistry().snapshot) ?? RegistrySnapshot()
    }

    public var isWine: Bool {
        if case .winePrefix = kind { return true }
        return false
    }

    public var prefix: URL? {
        if case .winePrefix(let url) = kind { return url }
        return nil
    }

    /// Whose rules decide zones and URL actions.
    public var platform: TargetPlatform { isWine ? .wine : .windows }

    /// The machine tree as stored (`HKLM`, every view), for searches that must see both views.
    public var machine: RegistryKey { snapshot.localMachine }

    /// The current user's tree as stored (`HKCU`).
    public var user: RegistryKey {
        snapshot.users.subkey(named: snapshot.currentUserSID) ?? RegistryKey(name: "")
    }

    /// IE's zones and URL actions for the portal's 32-bit controls, under the platform's rules.
    public var zones: InternetZoneSettings {
        InternetZoneSettings(snapshot: snapshot, platform: platform, bitness: .wow32)
    }

    // MARK: - Loading

    /// Loads the side the environment names, once per run (a prefix's `system.reg` is 1.7 MB).
    public static func load(_ context: CheckContext) throws -> WindowsSide {
        try context.loads.value(of: WindowsSide.self) { try load(context.environment) }
    }

    /// Reads the environment's Windows side. A running wineserver makes a prefix's files unreliable: after
    /// `wine reg add` the server keeps the change in memory and writes the hive only when it saves or exits.
    public static func load(_ environment: Environment) throws -> WindowsSide {
        if let prefix = environment.winePrefix {
            let winePrefix = WinePrefix(directory: prefix)
            if let pid = winePrefix.runningServerPID() {
                throw WindowsSideError.hivesMayBeStale(prefix: winePrefix.directory.path, pid: pid)
            }
            // The profile's controls are all the ActiveX checks look up among the classes.
            return try loadPrefix(winePrefix.directory, classIDs: environment.profile?.activeXControls.map(\.clsid))
        }
        guard !environment.registryFiles.isEmpty else { throw WindowsSideError.noWindowsSide }
        return try loadExports(environment.registryFiles, hive: environment.registryHive)
    }

    /// Where Windows keeps its own version (`ProductName`, `DisplayVersion`, `CurrentBuild`).
    public static let currentVersionKey = "Software\\Microsoft\\Windows NT\\CurrentVersion"

    /// "Windows 10 Pro (22H2, build 19045)", as the exported registry says; nil when it does not.
    public var windowsVersion: String? {
        let key = machineKey(Self.currentVersionKey, view: .bit64)
        guard let product = key?.value(named: "ProductName")?.stringValue else { return nil }
        let details = [key?.value(named: "DisplayVersion")?.stringValue, key?.value(named: "CurrentBuild")?.stringValue.map { "build " + $0 }]
            .compactMap { $0 }
        return details.isEmpty ? product : "\(product) (\(details.joined(separator: ", ")))"
    }

    /// `classIDs`: the only classes read below `CLSID` (lookups of others read the whole registry); nil reads
    /// them all.
    public static func loadPrefix(_ prefix: URL, classIDs: [String]? = nil) throws -> WindowsSide {
        let winePrefix = WinePrefix(directory: prefix)
        guard FileManager.default.fileExists(atPath: winePrefix.url(of: .system).path) else {
            throw WindowsSideError.notAWinePrefix(path: prefix.path)
        }
        let part = classIDs.map { PrefixHives.Part.reading(classIDs: $0) } ?? .standard
        let hives = try WindowsSideError.wrapping { try PrefixHives(prefix: winePrefix, part: part) }
        guard let filtered = hives.filtered else {
            let registry = try WindowsSideError.wrapping { try hives.wholeRegistry() }
            return WindowsSide(kind: .winePrefix(winePrefix.directory), snapshot: registry.snapshot)
        }
        return WindowsSide(kind: .winePrefix(winePrefix.directory), snapshot: filtered.snapshot, otherFiles: [], hives: hives)
    }

    /// Merges exports in the order given (a later file wins, as importing them one after another would). Each
    /// file is parsed strictly; the first one that cannot be read stops the load with its name and line.
    public static func loadExports(_ files: [URL], hive: String?) throws -> WindowsSide {
        let scope = try policyScope(hive)
        var snapshot = RegistrySnapshot()
        var others: [ExportedFile] = []
        for file in files {
            let bytes = try readBytes(file)
            if ExportKind(fileName: file.lastPathComponent) == .zip {
                for member in try CollectedArchive.members(of: file, bytes: bytes) {
                    try add(member, scope: scope, to: &snapshot, others: &others)
                }
            } else {
                try add(ExportedFile(name: file.lastPathComponent, displayPath: file.path, bytes: bytes),
                        scope: scope, to: &snapshot, others: &others)
            }
        }
        snapshot.linkThirtyTwoBitClasses()
        return WindowsSide(kind: .exported(files), snapshot: snapshot, otherFiles: others)
    }

    public static func add(_ file: ExportedFile, scope: PolicyScope?, to snapshot: inout RegistrySnapshot, others: inout [ExportedFile]) throws {
        guard let kind = ExportKind(fileName: file.name) else {
            throw WindowsSideError.unreadableKind(path: file.displayPath)
        }
        switch kind {
        case .registry:
            try WindowsSideError.wrapping {
                try RegistryLoader.apply(file.bytes, fileName: file.displayPath, scope: scope, to: &snapshot)
            }
        case .policy:
            try WindowsSideError.wrapping {
                let policy = try PolicyFileCodec.decode(file.bytes, fileName: file.displayPath)
                guard let scope = PolicyScope(filePath: file.displayPath) ?? scope else {
                    throw RegistryError.policyScopeUnknown(path: file.displayPath)
                }
                snapshot.apply(policy, scope: scope)
            }
        case .siteList, .edgePreferences, .controlFile:
            try kind.validate(file)
            others.append(file)
        case .zip:
            throw WindowsSideError.unreadableKind(path: file.displayPath)
        }
    }

    /// `--registry-hive` for a Registry.pol that is not under a `Machine/` or `User/` folder.
    public static func policyScope(_ hive: String?) throws -> PolicyScope? {
        guard let hive else { return nil }
        switch hive.uppercased() {
        case "HKLM", "HKEY_LOCAL_MACHINE", "MACHINE": return .machine
        case "HKCU", "HKEY_CURRENT_USER", "USER": return .user
        default: throw WindowsSideError.unknownHive(hive)
        }
    }

    // MARK: - Reading with the target's view

    /// Which registry view a reader is: 32-bit IE (the SSCC controls are 32-bit) or a 64-bit process.
    public enum View: Sendable {
        case bit32
        case bit64

        var bitness: RegistryBitness { self == .bit32 ? .wow32 : .native64 }
    }

    public static func machinePath(_ path: String) -> RegistryPath {
        RegistryPath(root: .localMachine, components: RegistryKey.components(of: path))
    }

    /// The key a reader of `view` opens at `HKLM\path`: in a win64 prefix or a 64-bit Windows export a 32-bit
    /// reader of `Software\…` is redirected into `Wow6432Node` with no fallback, except where the views share
    /// keys (Wine's `#link` keys, `Software\Classes\Wow6432Node` falling back to `Software\Classes`).
    public func machineKey(_ path: String, view: View = .bit32) -> RegistryKey? {
        snapshot(answering: path).key(at: Self.machinePath(path), bitness: view.bitness)
    }

    public func userKey(_ path: String) -> RegistryKey? {
        snapshot(answering: path).key(at: RegistryPath(root: .currentUser, components: RegistryKey.components(of: path)))
    }

    /// Whether the machine tree has a 32-bit view at all (a win64 prefix or a 64-bit Windows export).
    public var hasWow64Node: Bool {
        machine.key(at: "Software\\Wow6432Node") != nil
    }

    /// Where `HKLM\path` is stored for a reader of `view` (relative to HKLM): the resolved key when it exists,
    /// else where a writer in that view would create it.
    public func machinePath(_ path: String, view: View) -> String {
        if let resolved = snapshot(answering: path).resolve(Self.machinePath(path), bitness: view.bitness), resolved.isMachine {
            return resolved.components.joined(separator: "\\")
        }
        let parts = RegistryKey.components(of: path)
        guard view == .bit32, hasWow64Node, parts.count >= 2, RegistryName.equal(parts[0], "Software"),
              !RegistryName.equal(parts[1], "Wow6432Node") else { return path }
        if RegistryName.equal(parts[1], "Classes") {
            return (["Software", "Classes", "Wow6432Node"] + parts.dropFirst(2)).joined(separator: "\\")
        }
        return (["Software", "Wow6432Node"] + parts.dropFirst(1)).joined(separator: "\\")
    }

    /// `HKLM\…` as people read it, with the view's redirection spelled out.
    public func machineDisplayPath(_ path: String, view: View = .bit32) -> String {
        "HKLM\\" + machinePath(path, view: view)
    }

    /// A key that a 32-bit reader does not see but a 64-bit one does: for the message that names it.
    public func onlyIn64BitView(_ path: String) -> String? {
        guard hasWow64Node, machineKey(path, view: .bit32) == nil, machineKey(path, view: .bit64) != nil else { return nil }
        return "HKLM\\" + path
    }
}

/// A file given with `--registry` (or found in a collected zip) that is kept for the checks to read.
public struct ExportedFile: Sendable {
    /// The file's own name (`sites.xml`, `Preferences`).
    public var name: String
    /// How messages name it: a path, or `ticket.zip:sites.xml` for a zip member.
    public var displayPath: String
    public var bytes: [UInt8]

    public init(name: String, displayPath: String, bytes: [UInt8]) {
        self.name = name
        self.displayPath = displayPath
        self.bytes = bytes
    }
}

/// The kinds of file `--registry` reads, by name (the content is then parsed strictly as that kind).
public enum ExportKind: Equatable {
    /// `.reg`: `reg export`/regedit (v5 or REGEDIT4), or a Wine hive file copied from a prefix.
    case registry
    /// `Registry.pol` (any `.pol`): Group Policy's PReg file.
    case policy
    /// An Enterprise Mode Site List (`.xml`) that the Edge policy names.
    case siteList
    /// Edge's profile `Preferences` (JSON), which holds the user's own IE-mode pages.
    case edgePreferences
    /// The zip that `collect-script` produces: its members are read as if given one by one.
    case zip
    /// A control's server file that `collect-script` copied as `{CLSID}.dll`, for its version resource.
    case controlFile

    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".reg") {
            self = .registry
        } else if lower.hasSuffix(".pol") {
            self = .policy
        } else if lower.hasSuffix(".xml") {
            self = .siteList
        } else if fileName == "Preferences" || lower.hasSuffix(".json") {
            self = .edgePreferences
        } else if lower.hasSuffix(".zip") {
            self = .zip
        } else if lower.hasSuffix(".dll") || lower.hasSuffix(".ocx") {
            self = .controlFile
        } else {
            return nil
        }
    }

    public static let described = Localized(
        zh: ".reg（reg export 或注册表编辑器导出，或 Wine 的 system.reg/user.reg）、Registry.pol（.pol）、企业模式站点列表（.xml）、Edge 的 Preferences（或 .json）、插件文件（.dll、.ocx），以及 certdoctor collect-script 生成的 .zip",
        en: ".reg (reg export or regedit, or a Wine system.reg/user.reg), Registry.pol (.pol), an Enterprise Mode Site List (.xml), Edge's Preferences (or .json), a control's file (.dll, .ocx), and the .zip that certdoctor collect-script makes")

    /// Parses a non-registry file once at load time, so that a broken one stops the run instead of a check.
    public func validate(_ file: ExportedFile) throws {
        switch self {
        case .siteList:
            do {
                _ = try XMLDocument(bytes: file.bytes, fileName: file.displayPath)
            } catch let error as XMLError {
                throw WindowsSideError.xml(error)
            }
        case .edgePreferences:
            _ = try EdgePreferences.read(file)
        case .controlFile:
            guard file.bytes.starts(with: [0x4d, 0x5a]) else {
                throw WindowsSideError.malformedFile(
                    path: file.displayPath, reason: Localized(zh: "不是 Windows 程序文件（缺少 MZ 头）", en: "expected a Windows executable file (an MZ header)"))
            }
        case .registry, .policy, .zip:
            break
        }
    }
}

extension EdgePreferences {
    /// Edge's Preferences as the checks read them; a file Edge would not have written is malformed input.
    public static func read(_ file: ExportedFile) throws(WindowsSideError) -> EdgePreferences {
        do {
            return try EdgePreferences(bytes: file.bytes)
        } catch {
            switch error {
            case .notJSON(let reason):
                throw .malformedFile(path: file.displayPath, reason: Localized(zh: "不是有效的 JSON：\(reason)", en: "expected JSON: \(reason)"))
            case .notAnObject(let path):
                throw .malformedFile(
                    path: file.displayPath,
                    reason: Localized(zh: "\(path) 应为 JSON 对象，与 Edge 写入的不同", en: "expected a JSON object at \(path), as Edge writes it"))
            }
        }
    }
}

/// Why the Windows side could not be read or changed.
public enum WindowsSideError: Error, LocalizedMessage, LocalizedError, Sendable {
    case noWindowsSide
    case notAWinePrefix(path: String)
    case unknownHive(String)
    case registry(RegistryError)
    case unreadableKind(path: String)
    case malformedFile(path: String, reason: Localized)
    case xml(XMLError)
    case archive(path: String, reason: Localized)
    case wineserverRunning(prefix: String, pid: Int32)
    case hivesMayBeStale(prefix: String, pid: Int32)

    public var localizedMessage: Localized {
        switch self {
        case .noWindowsSide:
            Localized(zh: "未指定 Windows 环境（--wine-prefix 或 --registry）", en: "no Windows side given (--wine-prefix or --registry)")
        case .notAWinePrefix(let path):
            Localized(zh: "\(path) 不是 Wine 前缀（缺少 system.reg）", en: "\(path) is not a Wine prefix (no system.reg)")
        case .unknownHive(let hive):
            Localized(zh: "--registry-hive 应为 HKLM 或 HKCU，而不是 \(hive)", en: "--registry-hive must be HKLM or HKCU, not \(hive)")
        case .registry(let error):
            Localized(zh: error.chineseDescription, en: error.errorDescription ?? "\(error)")
        case .unreadableKind(let path):
            Localized(zh: "\(path)：certdoctor 不读取这种文件；可读取的有：", en: "\(path): certdoctor does not read this kind of file; it reads ")
                + ExportKind.described
        case .malformedFile(let path, let reason):
            Localized(zh: "\(path)：无法解析：", en: "\(path): cannot parse: ") + reason
        case .xml(let error):
            Localized(zh: error.chineseDescription, en: error.errorDescription ?? "\(error)")
        case .archive(let path, let reason):
            Localized(zh: "\(path)：无法读取压缩包：", en: "\(path): cannot read the zip file: ") + reason
        case .wineserverRunning(let prefix, let pid):
            Localized(
                zh: "Wine 前缀 \(prefix) 的 wineserver（进程 \(pid)）正在运行，它会覆盖任何修改。请先关闭所有 Wine 程序并执行：WINEPREFIX='\(prefix)' wineserver -k",
                en: "a wineserver (pid \(pid)) is running for the Wine prefix \(prefix) and would overwrite any change; close every Wine program and run: WINEPREFIX='\(prefix)' wineserver -k")
        case .hivesMayBeStale(let prefix, let pid):
            Localized(
                zh: "Wine 前缀 \(prefix) 的 wineserver（进程 \(pid)）正在运行：最近的修改可能只在它的内存中，注册表文件尚未写入，因此不作判断。请关闭 Wine 程序后执行 WINEPREFIX='\(prefix)' wineserver -w（等它保存并退出），或 wineserver -k，然后再检查",
                en: "a wineserver (pid \(pid)) is running for the Wine prefix \(prefix): recent changes may exist only in its memory, not yet in the hive files, so no verdict is given; close the Wine programs and run WINEPREFIX='\(prefix)' wineserver -w (waits until it has saved and exited), or wineserver -k, then check again")
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }

    public static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RegistryError {
            throw WindowsSideError.registry(error)
        }
    }
}

extension WindowsSideError: CommandEndingProviding {
    public var ending: CommandEnding {
        switch self {
        case .noWindowsSide, .notAWinePrefix: .noInput
        case .unknownHive: .usage
        case .registry(let error): error.ending
        case .unreadableKind, .malformedFile, .xml, .archive: .dataError
        // The person closes Wine and tries again.
        case .wineserverRunning, .hivesMayBeStale: .temporaryFailure
        }
    }
}
