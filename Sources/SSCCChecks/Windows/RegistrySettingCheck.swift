import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// A check of the form "these registry settings must have these effective values; the fix sets them" (R3 is
/// the model). It is data: `Checks/manifests/*.xml` describe such checks, and the built-in zone-actions check
/// is loaded from its manifest the same way.
public struct RegistrySettingSpec: Sendable {
    public enum Setting: Sendable, Hashable {
        /// A URL action in a security zone, resolved by `InternetZoneSettings` under the platform's rules.
        case urlAction(zone: Int, action: String)
        /// A DWORD under `path` (relative to HKCU/HKLM); `policyPath`, when given, overrides it (machine
        /// policy, then user policy), as Group Policy does.
        case value(path: String, name: String, policyPath: String?, machine: Bool)
    }

    /// The keys (relative to HKLM and HKCU) that the DWORD settings read; zone settings read the zone keys.
    var paths: [String] {
        requirements.flatMap { requirement -> [String] in
            guard case .value(let path, _, let policyPath, _) = requirement.setting else { return [] }
            return [path] + (policyPath.map { [$0] } ?? [])
        }
    }

    public struct Requirement: Sendable, Hashable {
        public var setting: Setting
        public var label: Localized
        public var expected: UInt32

        public init(setting: Setting, label: Localized, expected: UInt32) {
            self.setting = setting
            self.label = label
            self.expected = expected
        }
    }

    public var description: CheckDescription
    public var requirements: [Requirement]
    /// Whether the fix must tell the person to restart the browser (R6).
    public var restartBrowser: Bool

    public init(description: CheckDescription, requirements: [Requirement], restartBrowser: Bool) {
        self.description = description
        self.requirements = requirements
        self.restartBrowser = restartBrowser
    }
}

/// Evaluates and fixes a `RegistrySettingSpec` on either kind of Windows side.
public struct RegistrySettingCheck: Check {
    public let spec: RegistrySettingSpec

    public init(spec: RegistrySettingSpec) {
        self.spec = spec
    }

    public var description: CheckDescription { spec.description }

    /// The effective value of one requirement and the key that decided it.
    struct Observation {
        var requirement: RegistrySettingSpec.Requirement
        var value: UInt32?
        var source: SettingSource?
        /// Entries that name the setting but did not decide (a 64-bit-only value, a key Wine does not read).
        var ignored: [IgnoredSetting] = []
        /// Wine answers this action from its own code, whatever the registry says (Wine hard-wires the
        /// script-safety overrides to disallow); the registry cannot change it, so it is not required there.
        var fixedByPlatform: Bool { source?.layer == .builtInDefault }
        var ok: Bool { fixedByPlatform || value == requirement.expected }
    }

    func observe(_ side: WindowsSide) -> [Observation] {
        let zones = side.zones
        return spec.requirements.map { requirement in
            switch requirement.setting {
            case .urlAction(let zone, let action):
                guard let number = UInt32(action, radix: 16), let securityZone = SecurityZone(rawValue: zone) else {
                    return Observation(requirement: requirement, value: nil, source: nil)
                }
                let setting = zones.urlAction(number, zone: securityZone)
                return Observation(
                    requirement: requirement, value: setting.map { $0.value.rawValue }, source: setting?.source,
                    ignored: zones.ignoredActionSettings(number, zone: securityZone))
            case .value(let path, let name, let policyPath, _):
                let found = Self.effectiveValue(side, path: path, name: name, policyPath: policyPath)
                return Observation(requirement: requirement, value: found?.0, source: found?.1)
            }
        }
    }

    /// A DWORD with its policy override: machine policy, user policy (Windows only), then HKCU and HKLM (the
    /// machine key in the 32-bit view the portal's controls use).
    static func effectiveValue(_ side: WindowsSide, path: String, name: String, policyPath: String?) -> (UInt32, SettingSource)? {
        func registryPath(_ root: RegistryRoot, _ relative: String) -> RegistryPath {
            RegistryPath(root: root, components: RegistryKey.components(of: relative))
        }
        var places: [(RegistryKey?, SettingSource.Layer, RegistryPath)] = []
        if let policyPath, !side.isWine {
            places.append((side.machineKey(policyPath, view: .bit64), .machinePolicy, registryPath(.localMachine, policyPath)))
            places.append((side.userKey(policyPath), .userPolicy, registryPath(.currentUser, policyPath)))
        }
        places.append((side.userKey(path), .user, registryPath(.currentUser, path)))
        places.append((side.machineKey(path), .machine, registryPath(.localMachine, path)))
        for (key, layer, keyPath) in places {
            if let value = key?.value(named: name), let number = value.dwordValue {
                return (number, SettingSource(layer: layer, path: keyPath, valueName: value.name))
            }
        }
        return nil
    }

    /// How people read a URL action's value.
    static func describe(actionValue value: UInt32) -> Localized {
        switch value {
        case 0: Localized(zh: "启用 (0)", en: "enable (0)")
        case 1: Localized(zh: "提示 (1)", en: "prompt (1)")
        case 3: Localized(zh: "禁用 (3)", en: "disable (3)")
        default: Localized(verbatim: "0x" + String(value, radix: 16))
        }
    }

    public func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context).reading(spec.paths)
        let observations = observe(side)
        var evidence: [Evidence] = []
        for observation in observations {
            let shown = observation.value.map { Self.describe(actionValue: $0).en } ?? "not set"
            let source = observation.source.map { side.describe($0) } ?? "no key sets it"
            let fixed = observation.fixedByPlatform ? "; fixed by Wine itself, not a registry setting" : ""
            evidence.append(Evidence(
                Self.settingName(observation.requirement), "\(shown) ← \(source) (\(observation.requirement.label.en))\(fixed)"))
            evidence += side.ignoredNotes(observation.ignored).evidence
        }
        let bad = observations.filter { !$0.ok }
        if bad.isEmpty {
            return .pass(
                Localized(zh: "\(observations.count) 项设置均为要求的值", en: "all \(observations.count) settings have the required value"),
                evidence: evidence)
        }
        let problems = bad.map { observation in
            let requirement = observation.requirement
            let now = observation.value.map { Self.describe(actionValue: $0) } ?? Localized(zh: "未设置", en: "not set")
            let policy = observation.source?.isPolicy == true
                ? Localized(zh: "，由组策略决定", en: ", decided by Group Policy") : Localized(verbatim: "")
            let wanted = Self.describe(actionValue: requirement.expected)
            let name = Self.settingName(requirement)
            return Localized(
                zh: "\(requirement.label.zh)（\(name)）为 \(now.zh)\(policy.zh)，应为 \(wanted.zh)",
                en: "\(requirement.label.en) (\(name)) is \(now.en)\(policy.en), must be \(wanted.en)")
                + (side.ignoredNotes(observation.ignored).note ?? Localized(verbatim: ""))
        }
        let promptNote = bad.contains { $0.value == 1 && $0.requirement.expected == 0 }
            ? Localized(zh: "；“提示”不够：Wine 遇到提示直接失败", en: "; 'prompt' is not enough: Wine fails on it")
            : Localized(verbatim: "")
        return .fail(
            Localized.joined(problems) + promptNote,
            evidence: evidence,
            remedy: Localized(
                zh: "在 Internet 选项 → 安全 → 受信任的站点 → 自定义级别 中把以上各项设为“启用”；由组策略决定的项需管理员修改策略。certdoctor fix 可自动完成。",
                en: "Set each of these to Enable under Internet Options → Security → Trusted sites → Custom level; settings decided by Group Policy must be changed in the policy by an administrator. certdoctor fix can do this."))
    }

    static func settingName(_ requirement: RegistrySettingSpec.Requirement) -> String {
        switch requirement.setting {
        case .urlAction(let zone, let action): "zone \(zone) action \(action)"
        case .value(let path, let name, _, _): "\(path)\\\(name)"
        }
    }

    /// Where a requirement is written: the user's (or machine's) key, relative to its hive.
    static func target(_ requirement: RegistrySettingSpec.Requirement, machineOnly: Bool) -> (path: String, name: String, machine: Bool) {
        switch requirement.setting {
        case .urlAction(let zone, let action):
            (InternetZoneSettings.settingsPath + "\\Zones\\\(zone)", action.uppercased(), machineOnly)
        case .value(let path, let name, _, let machine):
            (path, name, machine)
        }
    }

    static func policyPath(_ requirement: RegistrySettingSpec.Requirement) -> String? {
        switch requirement.setting {
        case .urlAction(let zone, _): InternetZoneSettings.policyPath + "\\Zones\\\(zone)"
        case .value(_, _, let policyPath, _): policyPath
        }
    }

    public func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context).reading(spec.paths)
        let bad = observe(side).filter { !$0.ok }
        guard !bad.isEmpty else { return nil }
        let summary = Localized(zh: "设置 \(bad.count) 项注册表值", en: "set \(bad.count) registry values") + spec.description.title.map { Localized(zh: "（\($0.zh)）", en: " (\($0.en))") }
        let machineOnly = side.zones.machineSettingsOnly.value
        guard let prefix = side.prefix else {
            var userValues: [OfflineFix.UserValue] = []
            var machineValues: [OfflineFix.UserValue] = []
            var policyValues: [OfflineFix.PolicyValue] = []
            for observation in bad {
                let target = Self.target(observation.requirement, machineOnly: machineOnly)
                let value = RegistryValue(name: target.name, dword: observation.requirement.expected)
                if let source = observation.source, source.isPolicy, let policyPath = Self.policyPath(observation.requirement) {
                    policyValues.append((policyPath, value, source.layer == .machinePolicy))
                } else if target.machine {
                    machineValues.append((target.path, value))
                } else {
                    userValues.append((target.path, value))
                }
            }
            return try OfflineFix.plan(
                checkID: spec.description.id, context: context, side: side, summary: summary,
                userValues: userValues, policyValues: policyValues, machineValues: machineValues)
        }
        var steps: [FixStep] = []
        for observation in bad {
            // Wine reads HKCU before HKLM and ignores policy keys, so the user's key decides.
            let target = Self.target(observation.requirement, machineOnly: false)
            let expected = observation.requirement.expected
            if target.machine {
                // 32-bit IE reads the Wow6432Node twin in a win64 prefix; 64-bit programs the native key.
                var paths = [target.path]
                if side.hasWow64Node { paths.append(side.machinePath(target.path, view: .bit32)) }
                for path in paths {
                    let was = side.machine.key(at: path)?.value(named: target.name)?.dwordValue
                    steps.append(PrefixHiveEdit.step(
                        prefix: prefix, hive: .machine,
                        description: PrefixHiveEdit.describeSet("HKLM", path, target.name, expected, was: was),
                        edit: PrefixHiveEdit.setDWord(expected, name: target.name, at: path)))
                }
            } else {
                let was = side.userKey(target.path)?.value(named: target.name)?.dwordValue
                steps.append(PrefixHiveEdit.step(
                    prefix: prefix, hive: .user,
                    description: PrefixHiveEdit.describeSet("HKCU", target.path, target.name, expected, was: was),
                    edit: PrefixHiveEdit.setDWord(expected, name: target.name, at: target.path)))
            }
        }
        return FixPlan(
            checkID: spec.description.id, summary: summary, steps: steps,
            afterword: spec.restartBrowser ? BrowserRestart.afterword : nil)
    }
}

extension Localized {
    func map(_ transform: (Localized) -> Localized) -> Localized { transform(self) }
}
