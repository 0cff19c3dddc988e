import CertDoctorCore
import Foundation
import WindowsRegistry

/// The Windows side of a run as the browser and ActiveX checks read it: the machine (HKLM) and user (HKCU)
/// trees, from a Wine prefix's hives or merged from a customer's exported `.reg` and `Registry.pol` files.
public struct WindowsSide: Sendable {
    public enum Kind: Sendable {
        /// Checked and fixed in place; Wine's own lookup rules apply (sec_mgr.c, WoW64 redirection).
        case winePrefix(URL)
        /// A customer's exports, analysed offline under Windows' rules; fixes become files.
        case exported([URL])
    }

    public var kind: Kind
    /// `HKEY_LOCAL_MACHINE`, relative (`Software\…`).
    public var machine: RegistryKey
    /// `HKEY_CURRENT_USER`, relative.
    public var user: RegistryKey
    /// Files given with `--registry` that are neither `.reg` nor `Registry.pol` (an IE-mode site list, …),
    /// matched by file name when a policy names a file on the customer's machine.
    public var otherFiles: [URL]

    public init(kind: Kind, machine: RegistryKey, user: RegistryKey, otherFiles: [URL] = []) {
        self.kind = kind
        self.machine = machine
        self.user = user
        self.otherFiles = otherFiles
    }

    public var isWine: Bool {
        if case .winePrefix = kind { return true }
        return false
    }

    public var prefix: URL? {
        if case .winePrefix(let url) = kind { return url }
        return nil
    }

    /// Loads the side the environment names, once per run (a prefix's `system.reg` is 1.7 MB).
    public static func load(_ context: CheckContext) throws -> WindowsSide {
        try context.loads.value("windows-side") {
            let environment = context.environment
            if let prefix = environment.winePrefix {
                return try loadPrefix(prefix)
            }
            guard !environment.registryFiles.isEmpty else { throw WindowsSideError.noWindowsSide }
            return try loadExports(environment.registryFiles, hive: environment.registryHive)
        }
    }

    public static func loadPrefix(_ prefix: URL) throws -> WindowsSide {
        let system = prefix.appendingPathComponent(WinePrefixFiles.system)
        let user = prefix.appendingPathComponent(WinePrefixFiles.user)
        guard FileManager.default.fileExists(atPath: system.path) else {
            throw WindowsSideError.notAWinePrefix(path: prefix.path)
        }
        let machineHive = try WindowsSideError.wrapping { try WineHiveCodec.decode(try readBytes(system), fileName: system.path) }
        var userRoot = RegistryKey(name: "")
        if FileManager.default.fileExists(atPath: user.path) {
            userRoot = try WindowsSideError.wrapping { try WineHiveCodec.decode(try readBytes(user), fileName: user.path) }.root
        }
        return WindowsSide(kind: .winePrefix(prefix), machine: machineHive.root, user: userRoot)
    }

    /// Merges exports in the order given (a later file wins, as importing them one after another would).
    public static func loadExports(_ files: [URL], hive: String?) throws -> WindowsSide {
        var machine = RegistryKey(name: "")
        var user = RegistryKey(name: "")
        var others: [URL] = []
        for file in files {
            let bytes = try readBytes(file)
            if bytes.starts(with: Array("PReg".utf8)) {
                let policy = try WindowsSideError.wrapping { try PolicyFileCodec.decode(bytes, fileName: file.path) }
                switch try policyScope(of: file, hive: hive) {
                case .machine: policy.apply(to: &machine)
                case .user: policy.apply(to: &user)
                }
            } else if ExportedRegistryFile.looksLikeRegFile(bytes) {
                let export = try ExportedRegistryFile.decode(bytes, fileName: file.path)
                export.apply(machine: &machine, user: &user)
            } else {
                others.append(file)
            }
        }
        return WindowsSide(kind: .exported(files), machine: machine, user: user, otherFiles: others)
    }

    /// A Registry.pol is machine or user by its folder (`…/Machine/…`, `…/User/…`), else by `--registry-hive`.
    static func policyScope(of file: URL, hive: String?) throws -> PolicyScope {
        if let scope = PolicyScope(filePath: file.path) { return scope }
        switch hive?.uppercased() {
        case "HKLM", "HKEY_LOCAL_MACHINE", "MACHINE": return .machine
        case "HKCU", "HKEY_CURRENT_USER", "USER": return .user
        default: throw WindowsSideError.policyScopeUnknown(path: file.path)
        }
    }

    // MARK: - Reading with the target's view

    /// Which registry view a reader is: 32-bit IE (the SSCC controls are 32-bit) or a 64-bit process.
    public enum View: Sendable {
        case bit32
        case bit64
    }

    /// Where a machine key lives for a reader of `view`. In a win64 Wine prefix a 32-bit process reading
    /// `HKLM\Software\…` sees `Software\Wow6432Node\…` with no fallback, except under `Software\Classes`,
    /// which falls back to the 64-bit key (§1.8, server/registry.c). Exports from Windows are read as written.
    public func machinePath(_ path: String, view: View) -> String {
        guard view == .bit32, hasWow64Node else { return path }
        let parts = RegistryKey.components(of: path)
        guard parts.count >= 1, RegistryName.equal(parts[0], "Software") else { return path }
        if parts.count >= 2, RegistryName.equal(parts[1], "Wow6432Node") { return path }
        if parts.count >= 2, RegistryName.equal(parts[1], "Classes") {
            return (["Software", "Classes", "Wow6432Node"] + parts.dropFirst(2)).joined(separator: "\\")
        }
        return (["Software", "Wow6432Node"] + parts.dropFirst(1)).joined(separator: "\\")
    }

    /// Whether the machine tree has a 32-bit view at all (a win64 prefix or a 64-bit Windows export).
    public var hasWow64Node: Bool {
        machine.key(at: "Software\\Wow6432Node") != nil
    }

    public func machineKey(_ path: String, view: View = .bit32) -> RegistryKey? {
        if isWine {
            let redirected = machinePath(path, view: view)
            if let key = machine.key(at: redirected) { return key }
            // Only Classes falls back from the 32-bit node to the shared key.
            let isClasses = RegistryKey.components(of: path).dropFirst().first.map { RegistryName.equal($0, "Classes") } ?? false
            return isClasses && redirected != path ? machine.key(at: path) : nil
        }
        // Internet Settings and the policy keys are shared between the views on Windows; a customer's
        // export may hold either spelling.
        return machine.key(at: path) ?? machine.key(at: machinePath(path, view: .bit32))
    }

    public func userKey(_ path: String) -> RegistryKey? {
        user.key(at: path)
    }

    /// `HKLM\…` as people read it, with the 32-bit redirection spelled out where it applies.
    public func machineDisplayPath(_ path: String, view: View = .bit32) -> String {
        "HKLM\\" + (isWine ? machinePath(path, view: view) : path)
    }
}

/// The hive files of a Wine prefix.
public enum WinePrefixFiles {
    public static let system = "system.reg"
    public static let user = "user.reg"
    public static let userDefault = "userdef.reg"
    public static let all = [system, user, userDefault]
}

/// Why the Windows side could not be read or changed.
public enum WindowsSideError: Error, LocalizedMessage, LocalizedError, Sendable {
    case noWindowsSide
    case notAWinePrefix(path: String)
    case policyScopeUnknown(path: String)
    case registry(RegistryError)
    case malformedRegFile(path: String, line: Int, reason: String)
    case wineserverRunning(prefix: String, pid: Int32)

    public var localizedMessage: Localized {
        switch self {
        case .noWindowsSide:
            Localized(zh: "未指定 Windows 环境（--wine-prefix 或 --registry）", en: "no Windows side given (--wine-prefix or --registry)")
        case .notAWinePrefix(let path):
            Localized(zh: "\(path) 不是 Wine 前缀（缺少 system.reg）", en: "\(path) is not a Wine prefix (no system.reg)")
        case .policyScopeUnknown(let path):
            Localized(
                zh: "无法判断 \(path) 属于计算机还是用户策略：请放在 …/Machine/ 或 …/User/ 目录下，或加 --registry-hive HKLM|HKCU",
                en: "cannot tell whether \(path) is a machine or a user policy: keep it under …/Machine/ or …/User/, or add --registry-hive HKLM|HKCU")
        case .registry(let error):
            Localized(zh: error.chineseDescription, en: error.errorDescription ?? "\(error)")
        case .malformedRegFile(let path, let line, let reason):
            Localized(zh: "\(path):\(line)：无法解析：\(reason)", en: "\(path):\(line): cannot parse: \(reason)")
        case .wineserverRunning(let prefix, let pid):
            Localized(
                zh: "Wine 前缀 \(prefix) 的 wineserver（进程 \(pid)）正在运行，它会覆盖任何修改。请先关闭所有 Wine 程序并执行：WINEPREFIX='\(prefix)' wineserver -k",
                en: "a wineserver (pid \(pid)) is running for the Wine prefix \(prefix) and would overwrite any change; close every Wine program and run: WINEPREFIX='\(prefix)' wineserver -k")
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }

    static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RegistryError {
            throw WindowsSideError.registry(error)
        }
    }
}

extension WindowsSideError: ExitStatusProviding {
    public var exitStatus: ExitStatus {
        switch self {
        case .noWindowsSide, .notAWinePrefix: .noInput
        case .policyScopeUnknown: .usage
        case .registry, .malformedRegFile: .dataError
        // The person closes Wine and tries again.
        case .wineserverRunning: .temporaryFailure
        }
    }
}
