import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
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
public struct ActiveXControlCheck: Check {
    /// The control as the profile names it: class id, version and how it is compared, severity, requirements.
    typealias Control = SSCCProfile.ActiveXControl

    public let control: SSCCProfile.ActiveXControl
    public let description: CheckDescription

    init(_ control: Control, examples: [CheckExample]) {
        self.control = control
        let rule = control.comparison == .exact ? "= \(control.version)" : "≥ \(control.version)"
        description = CheckDescription(
            id: control.check,
            title: Localized(zh: "\(control.name) 插件已安装且版本 \(rule)", en: "\(control.name) is installed at version \(rule)"),
            summary: Localized(
                zh: "\(control.name) \(control.clsid) 在 32 位 IE 使用的注册表视图中已注册，其文件存在（Wine 前缀），安装版本 \(rule)，未在加载项中禁用，也没有 kill bit。",
                en: "\(control.name) \(control.clsid) is registered in the registry view 32-bit IE uses, its file exists (in a Wine prefix), its installed version is \(rule), and it is neither disabled as an add-on nor kill-bitted."),
            requirements: control.requirements ?? [],
            category: "activex",
            severity: control.severity,
            facets: [.windowsSide],
            fix: Localized(
                zh: "版本错误或安装不完整时，删除该类 ID 的全部注册表残留（R17），之后由统一客户专区重新安装。",
                en: "When the version is wrong or the install is incomplete, removes every registry trace of the class ID (R17) so that the portal installs it afresh."),
            examples: examples)
    }

    /// One check per control the profile names: the class ids and versions are the profile's alone (R8, R9),
    /// so a manual that changes a version changes the profile, not this code. The examples are this file's.
    static func all(in profile: SSCCProfile) -> [ActiveXControlCheck] {
        profile.activeXControls.map { ActiveXControlCheck($0, examples: WindowsExamples.activeX[$0.check] ?? []) }
    }

    /// What the target holds for the control.
    struct State {
        var registration: String?
        /// The CLSID is registered only where 64-bit programs look, which 32-bit IE does not read.
        var onlyIn64BitView: String?
        var server: String?
        var serverFile: URL?
        var serverExists: Bool?
        var version: FileVersion?
        var versionSource: String?
        var disabledBy: String?
        var allowedBy: String?
        var killBit: String?
        var notes: [Evidence] = []
    }

    public static let codeStore = "Software\\Microsoft\\Code Store Database\\Distribution Units"
    public static let extSettings = "Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Settings"
    public static let extPolicyRoot = "Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Ext"
    static let extPolicy = extPolicyRoot + "\\CLSID"
    public static let compatibility = "Software\\Microsoft\\Internet Explorer\\ActiveX Compatibility"

    func state(of control: Control, in side: WindowsSide) -> State {
        var state = State()
        let classPath = "Software\\Classes\\CLSID\\\(control.clsid)"
        // 32-bit IE reads the 32-bit view of the machine's classes, merged with the user's own classes.
        var key = side.machineKey(classPath, view: .bit32)
        if key != nil {
            state.registration = side.machineDisplayPath(classPath, view: .bit32)
        } else {
            for path in ["Software\\Classes\\Wow6432Node\\CLSID\\\(control.clsid)", classPath] {
                if let found = side.userKey(path) {
                    key = found
                    state.registration = "HKCU\\" + path
                    break
                }
            }
        }
        if key == nil { state.onlyIn64BitView = side.onlyIn64BitView(classPath) }
        let server = key?.subkey(named: "InprocServer32")?.defaultValue?.stringValue?.trimmingCharacters(in: .whitespaces)
        state.server = server
        if let prefix = side.prefix, let server, !server.isEmpty {
            state.serverFile = WindowsPath.resolve(server, in: prefix)
            state.serverExists = state.serverFile.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
        }
        readVersion(of: control, key: key, side: side, into: &state)
        readAddOnState(of: control, side: side, into: &state)
        // The kill bit that counts is the one 32-bit IE reads; a native-view entry does not change it.
        let compatibilityPath = "\(Self.compatibility)\\\(control.clsid)"
        if let flags = side.machineKey(compatibilityPath, view: .bit32)?.value(named: "Compatibility Flags")?.dwordValue, flags & 0x400 != 0 {
            state.killBit = side.machineDisplayPath(compatibilityPath, view: .bit32) + " Compatibility Flags=0x" + String(flags, radix: 16)
        } else if let flags = side.machineKey(compatibilityPath, view: .bit64)?.value(named: "Compatibility Flags")?.dwordValue,
                  flags & 0x400 != 0, side.hasWow64Node {
            state.notes.append(Evidence("ignored", "HKLM\\\(compatibilityPath) Compatibility Flags=0x\(String(flags, radix: 16)) (64-bit view only; 32-bit IE does not read it)"))
        }
        return state
    }

    /// The installed version as Internet Explorer takes it: the CLSID's `Installed Version` key (with its
    /// optional `Path`), else the server file's version resource where the file is at hand, and only then the
    /// Code Store Database's record, which IE itself does not consult — named as the weaker source.
    func readVersion(of control: Control, key: RegistryKey?, side: WindowsSide, into state: inout State) {
        if let installed = key?.subkey(named: "Installed Version"), let text = installed.defaultValue?.stringValue,
           let version = FileVersion(text) {
            let path = installed.value(named: "Path")?.stringValue
            var pathExists: Bool?
            if let path, let prefix = side.prefix {
                pathExists = WindowsPath.resolve(path, in: prefix).map { FileManager.default.fileExists(atPath: $0.path) } ?? false
            }
            if pathExists != false {
                state.version = version
                state.versionSource = "\(state.registration ?? "CLSID")\\Installed Version = \(text)"
                return
            }
            state.notes.append(Evidence("ignored", "Installed Version \(text): its Path \(path ?? "") does not exist"))
        }
        if let file = state.serverFile, let bytes = try? readBytes(file), let version = FileVersion.ofPortableExecutable(bytes) {
            state.version = version
            state.versionSource = "\(state.server ?? file.path) (version resource)"
            return
        }
        // collect-script copies the server file as {CLSID}.dll, so an export carries the file's own version too.
        let collectedNames = ["\(control.clsid).dll", "\(control.clsid).ocx"].map { $0.lowercased() }
        if let collected = side.otherFiles.first(where: { collectedNames.contains($0.name.lowercased()) }),
           let version = FileVersion.ofPortableExecutable(collected.bytes) {
            state.version = version
            state.versionSource = "\(collected.displayPath), the collected copy of \(state.server ?? "the server file") (version resource)"
            return
        }
        let path = "\(Self.codeStore)\\\(control.clsid)\\InstalledVersion"
        for view in [WindowsSide.View.bit32, .bit64] {
            if let text = side.machineKey(path, view: view)?.defaultValue?.stringValue, let version = FileVersion(text) {
                state.version = version
                state.versionSource = side.machineDisplayPath(path, view: view) + " = \(text) (Code Store Database: the installer's record, weaker than the file)"
                return
            }
        }
    }

    /// The Add-on List policy decides before the user's own setting: "0" denies, "1" allows (the user cannot
    /// disable it), "2" allows and leaves it to the user; `RestrictToList`=1 denies every control not listed.
    /// The machine's policy wins over the user's.
    func readAddOnState(of control: Control, side: WindowsSide, into state: inout State) {
        var policy: (value: String, source: String)?
        var restricted: String?
        for (label, list, root) in [("HKLM", side.machineKey(Self.extPolicy, view: .bit64), side.machineKey(Self.extPolicyRoot, view: .bit64)),
                                    ("HKCU", side.userKey(Self.extPolicy), side.userKey(Self.extPolicyRoot))] {
            if policy == nil, let value = list?.values.first(where: { RegistryName.equal($0.name, control.clsid) }) {
                let text = value.stringValue?.trimmingCharacters(in: .whitespaces) ?? value.dwordValue.map(String.init) ?? ""
                policy = (text, "\(label)\\\(Self.extPolicy) \(control.clsid)=\(text)")
            }
            if restricted == nil, root?.value(named: "RestrictToList")?.dwordValue == 1 {
                restricted = "\(label)\\\(Self.extPolicyRoot) RestrictToList=1"
            }
        }
        switch policy?.value {
        case "0"?:
            state.disabledBy = policy!.source
            return
        case "1"?:
            state.allowedBy = policy!.source
            return
        case "2"?:
            state.allowedBy = policy!.source
        default:
            if let restricted {
                state.disabledBy = restricted + " (the control is not in the Add-on List)"
                return
            }
        }
        if let flags = side.userKey("\(Self.extSettings)\\\(control.clsid)")?.value(named: "Flags")?.dwordValue, flags & 1 == 1 {
            state.disabledBy = "HKCU\\\(Self.extSettings)\\\(control.clsid) Flags=\(flags)"
        }
    }

    public func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        let state = state(of: control, in: side)
        var evidence = [Evidence("clsid", control.clsid)]
        if let registration = state.registration { evidence.append(Evidence("registered", registration)) }
        if let server = state.server { evidence.append(Evidence("InprocServer32", server, kind: .path)) }
        if let file = state.serverFile { evidence.append(Evidence("file", file.path + (state.serverExists == true ? "" : " (missing)"), kind: .path)) }
        if let version = state.version { evidence.append(Evidence("version", "\(version) ← \(state.versionSource ?? "")")) }
        if let disabled = state.disabledBy { evidence.append(Evidence("disabled", disabled)) }
        if let killBit = state.killBit { evidence.append(Evidence("killBit", killBit)) }
        if let allowed = state.allowedBy { evidence.append(Evidence("Add-on List", allowed)) }
        if let only64 = state.onlyIn64BitView { evidence.append(Evidence("ignored", "\(only64) (64-bit view only)")) }
        evidence += state.notes
        if let resolution = control.resolution { evidence.append(Evidence("resolution", resolution.en)) }
        let reinstall = Localized(
            zh: "按手册第四部分删除旧插件残留（certdoctor fix 可完成），重新登录统一客户专区安装 \(control.name)。",
            en: "Remove the old plugin's residue as the manual's part four says (certdoctor fix does it), then log in to the portal again to install \(control.name).")
        guard state.registration != nil else {
            let only64 = state.onlyIn64BitView.map {
                Localized(zh: "；\($0) 只存在于 64 位注册表视图中，32 位 Internet Explorer 不读取它",
                          en: "; \($0) is found only in the 64-bit registry view, which 32-bit Internet Explorer does not read")
            } ?? Localized(verbatim: "")
            return .fail(Localized(zh: "\(control.name) 未安装（\(control.clsid) 未注册）", en: "\(control.name) is not installed (\(control.clsid) is not registered)") + only64,
                         evidence: evidence, remedy: reinstall)
        }
        guard let server = state.server, !server.isEmpty else {
            return .fail(Localized(zh: "\(control.name) 安装不完整：\(control.clsid) 没有 InprocServer32 文件路径", en: "\(control.name) is half-installed: \(control.clsid) has no InprocServer32 file path"),
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

    public func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        let state = state(of: control, in: side)
        let wrongVersion: Bool = {
            guard let version = state.version, let wanted = FileVersion(control.version) else { return false }
            return control.comparison == .exact ? version != wanted : version < wanted
        }()
        let halfInstalled = state.registration == nil || (state.server ?? "").isEmpty || state.serverExists == false
        guard wrongVersion || halfInstalled || state.killBit != nil else { return nil }
        let residue = try PluginResidue.find(control.clsid, in: side)
        guard let prefix = side.prefix else {
            return try residue.offlinePlan(checkID: control.check, directory: OfflineFix.directory(context.environment), controlName: control.name)
        }
        return residue.plan(checkID: control.check, prefix: prefix, controlName: control.name)
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

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
    /// The examples of each control's check, by the check id the profile gives it.
    static let activeX: [String: [CheckExample]] = [
        "activex.certenroll": certEnroll, "activex.jitvctk": jitvctk, "activex.jitvctkex": jitvctkex,
    ]

    static let certEnroll: [CheckExample] = [
        registry("activex/certenroll-2048.reg", .pass, "version from the Code Store Database"),
        registry("activex/certenroll-2046.reg", .fail, "must be exactly 2.0.4.8 (E8)"),
        registry("activex/certenroll-killbit.reg", .fail, "kill bit in the 32-bit view"),
        registry("activex/certenroll-disabled.reg", .fail, "disabled in Manage add-ons"),
        registry("empty.reg", .fail, "not installed (E1)"),
        prefix("activex/prefix-certenroll-2048", .pass, "version from the DLL's version resource"),
        prefix("activex/prefix-certenroll-2046", .fail, "the DLL is 2.0.4.6"),
        prefix("activex/prefix-certenroll-half", .fail, "registered, but the DLL is missing"),
        registry("activex/certenroll-installed-version.reg", .pass, "Installed Version 2,0,4,8 decides before the Code Store's 2,0,4,6"),
        registry("activex/certenroll-no-server.reg", .fail, "an empty InprocServer32 is half-installed"),
        registry("activex/certenroll-64-bit-only.reg", .fail, "registered for 64-bit programs only"),
        registry("activex/certenroll-killbit-32-bit.reg", .fail, "a native Compatibility Flags=0 does not lift the 32-bit kill bit"),
        registry("activex/certenroll-addon-policy-allows.reg", .pass, "Add-on List \"1\" overrides the user's disable flag"),
        registry("activex/certenroll-addon-policy-user-managed.reg", .fail, "Add-on List \"2\" leaves the user's disable flag in force"),
        registry("activex/certenroll-addon-policy-denies.reg", .fail, "Add-on List \"0\" denies"),
        registry("activex/certenroll-restrict-to-list.reg", .fail, "RestrictToList=1 denies a control not listed"),
    ]

    static let jitvctk: [CheckExample] = [
        registry("activex/jitvctk-2-0-24-43.reg", .pass, "newer is fine"),
        registry("activex/jitvctk-2-0-24-41.reg", .fail),
        registry("empty.reg", .fail),
    ]

    static let jitvctkex: [CheckExample] = [
        registry("activex/jitvctkex-2-1-9-4.reg", .pass, "the table's 2.1.9.4, not the text's 2.1.9.6"),
        registry("activex/jitvctkex-2-1-9-3.reg", .fail, "advisory: fails without blocking renewal"),
    ]
}
