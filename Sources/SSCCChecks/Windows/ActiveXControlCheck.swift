import CertDoctorCore
import Foundation
import WindowsRegistry

/// R8, R9 (E1, E8): one of the portal's ActiveX controls is registered where 32-bit IE looks, its server file
/// exists, its installed version is the one the manual asks for, and it is neither disabled nor kill-bitted.
///
/// Where the installed version is read: in a Wine prefix, the `VS_FIXEDFILEINFO` of the DLL that
/// `InprocServer32` names (the file is what runs); otherwise — an exported registry has no files — the Code
/// Store Database entry IE writes when it installs a CAB (`Distribution Units\{CLSID}\InstalledVersion`,
/// default value `a,b,c,d`, the CAB INF's `FileVersion`). The CLSID's `Version` subkey is the type library's
/// version, not the file's, and is not used.
struct ActiveXControlCheck: Check {
    struct Control: Sendable {
        var id: String
        var name: String
        var clsid: String
        var version: String
        var comparison: SSCCProfile.ActiveXControl.Comparison
        var severity: Severity
        var requirements: [String]
        var resolution: Localized?
    }

    let control: Control
    let description: CheckDescription

    init(_ control: Control, examples: [CheckExample]) {
        self.control = control
        let rule = control.comparison == .exact ? "= \(control.version)" : "≥ \(control.version)"
        description = CheckDescription(
            id: control.id,
            title: Localized(zh: "\(control.name) 插件已安装且版本 \(rule)", en: "\(control.name) is installed at version \(rule)"),
            summary: Localized(
                zh: "\(control.name) \(control.clsid) 在 32 位 IE 使用的注册表视图中已注册，其文件存在（Wine 前缀），安装版本 \(rule)，未在加载项中禁用，也没有 kill bit。",
                en: "\(control.name) \(control.clsid) is registered in the registry view 32-bit IE uses, its file exists (in a Wine prefix), its installed version is \(rule), and it is neither disabled as an add-on nor kill-bitted."),
            requirements: control.requirements,
            category: "activex",
            severity: control.severity,
            facets: [.windowsSide],
            fix: Localized(
                zh: "版本错误或安装不完整时，删除该类 ID 的全部注册表残留（R17），之后由统一客户专区重新安装。",
                en: "When the version is wrong or the install is incomplete, removes every registry trace of the class ID (R17) so that the portal installs it afresh."),
            examples: examples)
    }

    static let all: [ActiveXControlCheck] = [
        ActiveXControlCheck(Control(
            id: "activex.certenroll", name: "CertEnroll Control", clsid: "{33BBBFD1-0A97-4339-9032-F68F19CB3030}",
            version: "2.0.4.8", comparison: .exact, severity: .required, requirements: ["R8", "R9", "R17", "E1", "E8"]),
            examples: WindowsExamples.certEnroll),
        ActiveXControlCheck(Control(
            id: "activex.jitvctk", name: "JITVCTK Class", clsid: "{707C7D52-85A8-4584-8954-573EFCE77488}",
            version: "2.0.24.42", comparison: .atLeast, severity: .required, requirements: ["R8", "R9", "R17", "E1"]),
            examples: WindowsExamples.jitvctk),
        ActiveXControlCheck(Control(
            id: "activex.jitvctkex", name: "JITVCTKEx Class", clsid: "{B0EF56AD-D711-412D-BE74-A751595F3633}",
            version: "2.1.9.4", comparison: .atLeast, severity: .advisory, requirements: ["R9"],
            // The manual's text says "higher than 2.1.9.6", its table "2.1.9.4 and above, not required".
            resolution: Localized(
                zh: "手册正文要求“高于 2.1.9.6”，表格写“2.1.9.4 及以上，非必需”；本工具取表格（R9）。",
                en: "The manual's text asks for 'higher than 2.1.9.6', its table '2.1.9.4 and above, not required'; this tool follows the table (R9).")),
            examples: WindowsExamples.jitvctkex),
    ]

    /// The profile's values for this control when a profile is attached (the data wins over the defaults).
    func effectiveControl(_ environment: Environment) -> Control {
        var current = control
        if let entry = environment.profile?.activeXControls.first(where: { $0.check == control.id }) {
            current.clsid = entry.clsid
            current.version = entry.version
            current.comparison = entry.comparison
            current.resolution = entry.resolution ?? current.resolution
        }
        return current
    }

    /// What the target holds for the control.
    struct State {
        var registration: String?
        var server: String?
        var serverFile: URL?
        var serverExists: Bool?
        var version: FileVersion?
        var versionSource: String?
        var disabledBy: String?
        var killBit: String?
    }

    static let codeStore = "Software\\Microsoft\\Code Store Database\\Distribution Units"
    static let extSettings = "Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Settings"
    static let extPolicy = "Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Ext\\CLSID"
    static let compatibility = "Software\\Microsoft\\Internet Explorer\\ActiveX Compatibility"

    func state(of control: Control, in side: WindowsSide) -> State {
        var state = State()
        let classPath = "Software\\Classes\\CLSID\\\(control.clsid)"
        var key: RegistryKey?
        if side.isWine {
            key = side.machineKey(classPath, view: .bit32)
            if key != nil { state.registration = side.machineDisplayPath(classPath, view: .bit32) }
        } else {
            let places = [("HKLM\\Software\\Classes\\Wow6432Node\\CLSID\\\(control.clsid)", side.machine.key(at: "Software\\Classes\\Wow6432Node\\CLSID\\\(control.clsid)")),
                          ("HKLM\\" + classPath, side.machine.key(at: classPath)),
                          ("HKCU\\" + classPath, side.user.key(at: classPath))]
            if let found = places.first(where: { $0.1 != nil }) {
                key = found.1
                state.registration = found.0
            }
        }
        state.server = key?.subkey(named: "InprocServer32")?.defaultValue?.stringValue
        if let prefix = side.prefix, let server = state.server {
            state.serverFile = WindowsPath.resolve(server, in: prefix)
            state.serverExists = state.serverFile.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
            if let file = state.serverFile, let bytes = try? readBytes(file), let version = FileVersion.ofPortableExecutable(bytes) {
                state.version = version
                state.versionSource = "\(server) (version resource)"
            }
        }
        if state.version == nil {
            let path = "\(Self.codeStore)\\\(control.clsid)\\InstalledVersion"
            if let text = side.machineKey(path)?.defaultValue?.stringValue, let version = FileVersion(text) {
                state.version = version
                state.versionSource = side.machineDisplayPath(path) + " = \(text)"
            }
        }
        if let flags = side.userKey("\(Self.extSettings)\\\(control.clsid)")?.value(named: "Flags")?.dwordValue, flags & 1 == 1 {
            state.disabledBy = "HKCU\\\(Self.extSettings)\\\(control.clsid) Flags=\(flags)"
        }
        for (label, key) in [("HKLM", side.machineKey(Self.extPolicy, view: .bit64)), ("HKCU", side.userKey(Self.extPolicy))] {
            if let value = key?.value(named: control.clsid)?.stringValue, value == "0" {
                state.disabledBy = "\(label)\\\(Self.extPolicy) \(control.clsid)=0"
            }
        }
        for view in [WindowsSide.View.bit32, .bit64] {
            let path = "\(Self.compatibility)\\\(control.clsid)"
            let key = side.isWine ? side.machine.key(at: side.machinePath(path, view: view)) : side.machineKey(path)
            if let flags = key?.value(named: "Compatibility Flags")?.dwordValue, flags & 0x400 != 0 {
                state.killBit = (side.isWine ? "HKLM\\" + side.machinePath(path, view: view) : "HKLM\\" + path) + " Compatibility Flags=0x" + String(flags, radix: 16)
            }
        }
        return state
    }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        let control = effectiveControl(context.environment)
        let state = state(of: control, in: side)
        var evidence = [Evidence("clsid", control.clsid)]
        if let registration = state.registration { evidence.append(Evidence("registered", registration)) }
        if let server = state.server { evidence.append(Evidence("InprocServer32", server, kind: .path)) }
        if let file = state.serverFile { evidence.append(Evidence("file", file.path + (state.serverExists == true ? "" : " (missing)"), kind: .path)) }
        if let version = state.version { evidence.append(Evidence("version", "\(version) ← \(state.versionSource ?? "")")) }
        if let disabled = state.disabledBy { evidence.append(Evidence("disabled", disabled)) }
        if let killBit = state.killBit { evidence.append(Evidence("killBit", killBit)) }
        if let resolution = control.resolution { evidence.append(Evidence("resolution", resolution.en)) }
        let reinstall = Localized(
            zh: "按手册第四部分删除旧插件残留（certdoctor fix 可完成），重新登录统一客户专区安装 \(control.name)。",
            en: "Remove the old plugin's residue as the manual's part four says (certdoctor fix does it), then log in to the portal again to install \(control.name).")
        guard state.registration != nil else {
            return .fail(Localized(zh: "\(control.name) 未安装（\(control.clsid) 未注册）", en: "\(control.name) is not installed (\(control.clsid) is not registered)"),
                         evidence: evidence, remedy: reinstall)
        }
        if state.serverExists == false {
            return .fail(Localized(zh: "\(control.name) 安装不完整：注册的文件 \(state.server ?? "") 不存在", en: "\(control.name) is half-installed: the registered file \(state.server ?? "") does not exist"),
                         evidence: evidence, remedy: reinstall)
        }
        if let disabled = state.disabledBy {
            return .fail(Localized(zh: "\(control.name) 已在加载项中被禁用（\(disabled)）", en: "\(control.name) is disabled as an add-on (\(disabled))"),
                         evidence: evidence,
                         remedy: Localized(zh: "在 IE → 管理加载项 中启用 \(control.name)；由组策略禁用时请联系管理员。", en: "Enable \(control.name) under IE → Manage add-ons; where Group Policy disables it, ask an administrator."))
        }
        if let killBit = state.killBit {
            return .fail(Localized(zh: "\(control.name) 被设置了 kill bit（\(killBit)）", en: "\(control.name) has its kill bit set (\(killBit))"),
                         evidence: evidence, remedy: reinstall)
        }
        guard let version = state.version, let wanted = FileVersion(control.version) else {
            return Finding(.error, Localized(
                zh: "无法确定 \(control.name) 的安装版本（文件无版本信息，Code Store Database 中也没有记录）",
                en: "the installed version of \(control.name) cannot be determined (no version resource, no Code Store Database record)"),
                evidence: evidence)
        }
        let ok = control.comparison == .exact ? version == wanted : version >= wanted
        let rule = control.comparison == .exact ? "= \(wanted)" : "≥ \(wanted)"
        if ok {
            return .pass(Localized(zh: "\(control.name) 版本 \(version)（要求 \(rule)）", en: "\(control.name) version \(version) (required \(rule))"), evidence: evidence)
        }
        return .fail(Localized(zh: "\(control.name) 版本为 \(version)，要求 \(rule)", en: "\(control.name) is version \(version), required \(rule)"),
                     evidence: evidence, remedy: reinstall)
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        let control = effectiveControl(context.environment)
        let state = state(of: control, in: side)
        let wrongVersion: Bool = {
            guard let version = state.version, let wanted = FileVersion(control.version) else { return false }
            return control.comparison == .exact ? version != wanted : version < wanted
        }()
        let halfInstalled = state.registration == nil || state.serverExists == false
        guard wrongVersion || halfInstalled || state.killBit != nil else { return nil }
        let residue = PluginResidue.find(control.clsid, in: side)
        guard let prefix = side.prefix else {
            return try residue.offlinePlan(checkID: control.id, directory: OfflineFix.directory(context.environment), controlName: control.name)
        }
        return residue.plan(checkID: control.id, prefix: prefix, controlName: control.name)
    }
}

/// Windows paths as a Wine prefix stores them on disk.
enum WindowsPath {
    /// `C:\Windows\…` (environment variables expanded the way a default prefix sets them) → the file under
    /// `drive_c`, matching each component case-insensitively as Wine does; nil for other drives.
    static func resolve(_ windowsPath: String, in prefix: URL) -> URL? {
        var path = windowsPath
        let variables = ["%SystemRoot%": "C:\\windows", "%windir%": "C:\\windows", "%SystemDrive%": "C:",
                         "%ProgramFiles%": "C:\\Program Files", "%ProgramFiles(x86)%": "C:\\Program Files (x86)"]
        for (name, value) in variables {
            path = path.replacingOccurrences(of: name, with: value, options: .caseInsensitive)
        }
        path = path.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard path.lowercased().hasPrefix("c:\\") else { return nil }
        var url = prefix.appendingPathComponent("drive_c")
        for component in path.dropFirst(3).split(separator: "\\") {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            let match = names.first { $0.lowercased() == component.lowercased() } ?? String(component)
            url.appendPathComponent(match)
        }
        return url
    }
}
