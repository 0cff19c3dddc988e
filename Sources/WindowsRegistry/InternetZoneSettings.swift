import Foundation

/// The platform whose rules decide an effective setting: a check must answer for the platform
/// the target is, because Wine's urlmon reads far less than Windows does.
public enum TargetPlatform: String, Sendable, CaseIterable {
    /// Real Windows (offline `.reg`/Registry.pol analysis): Group Policy, `Security_HKLM_only`,
    /// `EscDomains` under IE Enhanced Security Configuration. See `WindowsZoneRules`.
    case windows
    /// Wine 8 (urlmon `sec_mgr.c`): only `ZoneMap\Domains`, HKCU then HKLM; policy keys ignored.
    /// See `WineZoneRules`.
    case wine
}

/// Where an effective value came from, for evidence ("HKLM policy", "HKCU", …).
public struct SettingSource: Hashable, Sendable, CustomStringConvertible {
    public enum Layer: String, Sendable {
        case machinePolicy = "HKLM policy"
        case userPolicy = "HKCU policy"
        case user = "HKCU"
        case machine = "HKLM"
        case builtInDefault = "default"
    }

    public var layer: Layer
    /// The key that held the value (nil for a built-in default).
    public var path: RegistryPath?
    public var valueName: String?

    public init(layer: Layer, path: RegistryPath? = nil, valueName: String? = nil) {
        self.layer = layer
        self.path = path
        self.valueName = valueName
    }

    public var description: String {
        guard let path else { return layer.rawValue }
        return "\(layer.rawValue): \(path)" + (valueName.map { " \"\($0)\"" } ?? "")
    }
}

/// A value together with the place that decided it.
public struct EffectiveSetting<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var source: SettingSource
}

/// A registry entry that names the URL's host (or the URL action) but did not decide, and why:
/// a check can then say where the administrator's setting went.
public struct IgnoredSetting: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// Windows: the Site to Zone Assignment List policy (`ListBox_Support_ZoneMapKey`=1) is on,
        /// so the user's and machine's `ZoneMap\Domains` are not used.
        case hiddenBySiteToZoneList
        /// Found only in the 64-bit registry view, which the 32-bit Internet Explorer (and the
        /// 32-bit SSCC controls) do not read.
        case only64BitView
        /// A policy key or `EscDomains` entry: Wine's urlmon does not read it.
        case notReadByWine
    }

    public var source: SettingSource
    public var reason: Reason

    public init(source: SettingSource, reason: Reason) {
        self.source = source
        self.reason = reason
    }
}

/// IE security zones (KB182569 numbering).
public enum SecurityZone: Int, Sendable, CaseIterable {
    case localMachine = 0, intranet = 1, trusted = 2, internet = 3, restricted = 4
}

/// URL action policies (URLPOLICY_*): 0 allow, 1 prompt, 3 disallow.
///
/// Under Wine, `.prompt` is not a working setting: `ProcessUrlAction` implements only allow and
/// disallow and returns `E_FAIL` for URLPOLICY_QUERY (and for any other permission value), so a
/// page sees the action as failed, never as a prompt. `wineProcessUrlActionResult` says which.
public enum URLActionPolicy: Hashable, Sendable {
    case allow, prompt, disallow
    case other(UInt32)

    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .allow
        case 1: self = .prompt
        case 3: self = .disallow
        default: self = .other(rawValue)
        }
    }

    public var rawValue: UInt32 {
        switch self {
        case .allow: 0
        case .prompt: 1
        case .disallow: 3
        case .other(let value): value
        }
    }

    /// What Wine's `IInternetSecurityManager::ProcessUrlAction` returns for this policy.
    public enum WineProcessUrlActionResult: Sendable, Hashable {
        /// S_OK: the action runs.
        case allowed
        /// S_FALSE: the action is refused.
        case disallowed
        /// E_FAIL: prompt (1) and other permission values are not implemented by Wine.
        case failedNotImplemented
    }

    /// Wine decides on the permission bits only (`GetUrlPolicyPermissions`, value & 0x0F).
    public var wineProcessUrlActionResult: WineProcessUrlActionResult {
        switch rawValue & 0x0F {
        case 0: .allowed
        case 3: .disallowed
        default: .failedNotImplemented
        }
    }
}

/// Effective Internet Explorer zone mapping and URL-action settings of one registry, under the
/// rules of Windows (`WindowsZoneRules`) or of Wine (`WineZoneRules`). Keys under
/// `HKLM\Software\Microsoft\Windows\CurrentVersion\Internet Settings` are read in the view of
/// `bitness` (default: the 32-bit IE the SSCC controls need); `Software\Policies` is shared by
/// both views.
public struct InternetZoneSettings: Sendable {
    public let snapshot: RegistrySnapshot
    public let platform: TargetPlatform
    public let bitness: RegistryBitness
    /// IE Enhanced Security Configuration (Windows Server): `EscDomains` replaces `Domains`.
    public let enhancedSecurityConfiguration: Bool

    public static let settingsPath = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    public static let policyPath = "Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

    /// `enhancedSecurityConfiguration` nil reads it from the snapshot: HKCU `…\ZoneMap` `IEHarden`=1
    /// (Windows only; Wine has no ESC).
    public init(snapshot: RegistrySnapshot, platform: TargetPlatform, bitness: RegistryBitness = .wow32,
                enhancedSecurityConfiguration: Bool? = nil) {
        self.snapshot = snapshot
        self.platform = platform
        self.bitness = bitness
        if let enhancedSecurityConfiguration {
            self.enhancedSecurityConfiguration = enhancedSecurityConfiguration
        } else if platform == .windows {
            let zoneMap = RegistryPath(root: .currentUser, components: RegistryKey.components(of: Self.settingsPath + "\\ZoneMap"))
            self.enhancedSecurityConfiguration = snapshot.key(at: zoneMap, bitness: bitness)?.value(named: "IEHarden")?.dwordValue == 1
        } else {
            self.enhancedSecurityConfiguration = false
        }
    }

    func path(_ root: RegistryRoot, _ relative: String) -> RegistryPath {
        RegistryPath(root: root, components: RegistryKey.components(of: relative))
    }

    static func isPolicy(_ path: RegistryPath) -> Bool {
        path.components.count > 1 && RegistryName.equal(path.components[1], "Policies")
    }

    /// The key the caller's view opens. Software\Policies is shared between the 32- and 64-bit
    /// views on Windows (and not redirected in Wine), so it is read natively.
    func key(_ path: RegistryPath) -> RegistryKey? {
        snapshot.key(at: path, bitness: Self.isPolicy(path) ? .native64 : bitness)
    }

    /// The key at `path` in the 64-bit view when a 32-bit caller would open a different physical
    /// key there (HKLM Internet Settings under Wow6432Node), else nil: entries only in it are not read.
    func otherViewKey(_ path: RegistryPath) -> RegistryKey? {
        guard bitness == .wow32, !Self.isPolicy(path),
              let native = snapshot.resolve(path, bitness: .native64) else { return nil }
        if let own = snapshot.resolve(path, bitness: .wow32), own.isMachine == native.isMachine,
           own.components.count == native.components.count,
           zip(own.components, native.components).allSatisfy({ RegistryName.equal($0, $1) }) { return nil }
        return snapshot.key(at: path, bitness: .native64)
    }

    /// `Security_HKLM_only`=1 in the machine policy: only HKLM zone settings count (Windows only).
    public var machineSettingsOnly: EffectiveSetting<Bool> {
        let policy = path(.localMachine, Self.policyPath)
        if platform == .windows, let value = key(policy)?.value(named: "Security_HKLM_only")?.dwordValue {
            return EffectiveSetting(value: value == 1, source: SettingSource(layer: .machinePolicy, path: policy, valueName: "Security_HKLM_only"))
        }
        return EffectiveSetting(value: false, source: SettingSource(layer: .builtInDefault))
    }

    // MARK: Zone of a URL

    /// The zone IE puts `url` in, and the entry that decided it.
    public func zone(for url: String) -> EffectiveSetting<SecurityZone> {
        switch platform {
        case .windows: WindowsZoneRules(settings: self).zone(for: url)
        case .wine: WineZoneRules(settings: self).zone(for: url)
        }
    }

    /// Entries that name the URL's host but did not decide its zone (see `IgnoredSetting.Reason`).
    public func ignoredZoneEntries(for url: String) -> [IgnoredSetting] {
        switch platform {
        case .windows: WindowsZoneRules(settings: self).ignoredZoneEntries(for: url)
        case .wine: WineZoneRules(settings: self).ignoredZoneEntries(for: url)
        }
    }

    /// Scheme and lower-case host of a URL (userinfo and port dropped); `http` without a scheme.
    static func split(_ url: String) -> (scheme: String, host: String) {
        var rest = Substring(url)
        var scheme = "http"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        var host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if let colon = host.lastIndex(of: ":"), !host.contains("]") { host = host[..<colon] }
        return (scheme, host.lowercased())
    }

    // MARK: URL actions

    /// Value name of a URL action: uppercase hex without `0x` (`1004`, `120A`).
    public static func valueName(ofAction action: UInt32) -> String { String(action, radix: 16, uppercase: true) }

    /// URLACTION_ACTIVEX_OVERRIDE_SCRIPT_SAFETY (0x1203) and URLACTION_SCRIPT_OVERRIDE_SAFETY
    /// (0x1401): Wine's `get_action_policy` answers URLPOLICY_DISALLOW for them without reading
    /// the registry. (0x1201, ACTIVEX_OVERRIDE_OBJECT_SAFETY, is read from the registry.)
    public static let wineHardWiredDisallowedActions: Set<UInt32> = [0x1203, 0x1401]

    /// The effective policy for a URL action (e.g. 0x1004) in a zone, with its source. Windows:
    /// machine policy, user policy, then HKCU (unless `Security_HKLM_only`) and HKLM. Wine: HKCU
    /// then HKLM, policy ignored; the hard-wired actions (`wineHardWiredDisallowedActions`) are
    /// `.disallow` from `.builtInDefault`. Nil when no layer sets it (Windows then uses the zone
    /// template; Wine's ProcessUrlAction fails with E_FAIL).
    public func urlAction(_ action: UInt32, zone: SecurityZone) -> EffectiveSetting<URLActionPolicy>? {
        switch platform {
        case .windows: WindowsZoneRules(settings: self).urlAction(action, zone: zone)
        case .wine: WineZoneRules(settings: self).urlAction(action, zone: zone)
        }
    }

    /// Values for the action that did not decide it (see `IgnoredSetting.Reason`).
    public func ignoredActionSettings(_ action: UInt32, zone: SecurityZone) -> [IgnoredSetting] {
        switch platform {
        case .windows: WindowsZoneRules(settings: self).ignoredActionSettings(action, zone: zone)
        case .wine: WineZoneRules(settings: self).ignoredActionSettings(action, zone: zone)
        }
    }

    /// Action values in `Zones\<zone>` of `root` that only the 64-bit view has (absent or
    /// different in the view read).
    func only64BitActionValues(_ action: UInt32, zone: SecurityZone, layers: [(SettingSource.Layer, RegistryRoot)]) -> [IgnoredSetting] {
        let name = Self.valueName(ofAction: action)
        var ignored: [IgnoredSetting] = []
        for (layer, root) in layers {
            let zonePath = path(root, Self.settingsPath + "\\Zones\\\(zone.rawValue)")
            guard let native = otherViewKey(zonePath)?.value(named: name) else { continue }
            if let own = key(zonePath)?.value(named: name), own.type == native.type, own.data == native.data { continue }
            ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: zonePath, valueName: name), reason: .only64BitView))
        }
        return ignored
    }
}

// MARK: - Windows rule set

/// Windows (IE 11) zone rules, for offline analysis of a Windows registry export:
/// - Site to Zone Assignment List policy (`ZoneMapKey`, HKLM policy before HKCU policy); with
///   `ListBox_Support_ZoneMapKey`=1 it is the only list: user and machine `Domains` are hidden.
/// - `ZoneMap\Domains` (or `EscDomains` under ESC) of HKCU (unless `Security_HKLM_only`) then
///   HKLM; the most specific matching entry wins, the exact scheme beats `*`.
/// - `ProtocolDefaults`, else Internet.
struct WindowsZoneRules {
    let settings: InternetZoneSettings

    private var settingLayers: [(SettingSource.Layer, RegistryRoot)] {
        settings.machineSettingsOnly.value ? [(.machine, .localMachine)] : [(.user, .currentUser), (.machine, .localMachine)]
    }

    private var policyLayers: [(SettingSource.Layer, RegistryRoot)] { [(.machinePolicy, .localMachine), (.userPolicy, .currentUser)] }

    /// `ListBox_Support_ZoneMapKey`=1 under the HKLM or HKCU policy key.
    var siteToZoneListOnly: Bool {
        policyLayers.contains { _, root in
            settings.key(settings.path(root, InternetZoneSettings.policyPath))?.value(named: "ListBox_Support_ZoneMapKey")?.dwordValue == 1
        }
    }

    private var domainsName: String { settings.enhancedSecurityConfiguration ? "EscDomains" : "Domains" }

    func zone(for url: String) -> EffectiveSetting<SecurityZone> {
        let (scheme, host) = InternetZoneSettings.split(url)
        for (layer, root) in policyLayers {
            let listPath = settings.path(root, InternetZoneSettings.policyPath + "\\ZoneMapKey")
            if let found = Self.siteListMatch(in: settings.key(listPath), scheme: scheme, host: host) {
                return EffectiveSetting(value: found.zone, source: SettingSource(layer: layer, path: listPath, valueName: found.name))
            }
        }
        if !siteToZoneListOnly {
            for (layer, root) in settingLayers {
                let domainsPath = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\" + domainsName)
                if let found = Self.domainMatch(in: settings.key(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                    return EffectiveSetting(value: found.zone, source: SettingSource(layer: layer, path: found.path, valueName: found.name))
                }
            }
        }
        for (layer, root) in settingLayers {
            let defaults = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\ProtocolDefaults")
            if let value = settings.key(defaults)?.value(named: scheme)?.dwordValue, let zone = SecurityZone(rawValue: Int(value)) {
                return EffectiveSetting(value: zone, source: SettingSource(layer: layer, path: defaults, valueName: scheme))
            }
        }
        return EffectiveSetting(value: .internet, source: SettingSource(layer: .builtInDefault))
    }

    func ignoredZoneEntries(for url: String) -> [IgnoredSetting] {
        let (scheme, host) = InternetZoneSettings.split(url)
        let listOnly = siteToZoneListOnly
        var ignored: [IgnoredSetting] = []
        for (layer, root) in settingLayers {
            let domainsPath = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\" + domainsName)
            if listOnly, let found = Self.domainMatch(in: settings.key(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: found.path, valueName: found.name), reason: .hiddenBySiteToZoneList))
            }
            if let found = Self.domainMatch(in: settings.otherViewKey(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: found.path, valueName: found.name), reason: .only64BitView))
            }
        }
        return ignored
    }

    func urlAction(_ action: UInt32, zone: SecurityZone) -> EffectiveSetting<URLActionPolicy>? {
        let name = InternetZoneSettings.valueName(ofAction: action)
        for (layer, keyPath) in actionLayers(zone) {
            if let value = settings.key(keyPath)?.value(named: name), let number = Self.actionNumber(value) {
                return EffectiveSetting(value: URLActionPolicy(rawValue: number), source: SettingSource(layer: layer, path: keyPath, valueName: name))
            }
        }
        return nil
    }

    func ignoredActionSettings(_ action: UInt32, zone: SecurityZone) -> [IgnoredSetting] {
        settings.only64BitActionValues(action, zone: zone, layers: settingLayers)
    }

    private func actionLayers(_ zone: SecurityZone) -> [(SettingSource.Layer, RegistryPath)] {
        var layers = policyLayers.map { ($0.0, settings.path($0.1, InternetZoneSettings.policyPath + "\\Zones\\\(zone.rawValue)")) }
        layers += settingLayers.map { ($0.0, settings.path($0.1, InternetZoneSettings.settingsPath + "\\Zones\\\(zone.rawValue)")) }
        return layers
    }

    /// A URL action value: REG_DWORD, or a 4-byte REG_BINARY read as its little-endian DWORD.
    static func actionNumber(_ value: RegistryValue) -> UInt32? {
        if let number = value.dwordValue { return number }
        guard value.type == .binary, value.data.count == 4 else { return nil }
        return WineZoneRules.littleEndian(value.data)
    }

    /// Site to Zone Assignment List: value name = `https://biz.sscc.com`, `biz.sscc.com` or
    /// `*.sscc.com`, data = zone number as text. The most specific matching entry wins.
    static func siteListMatch(in list: RegistryKey?, scheme: String, host: String) -> (zone: SecurityZone, name: String)? {
        guard let list else { return nil }
        var best: (zone: SecurityZone, name: String, rank: Int)? = nil
        for value in list.values {
            let entry = value.name.lowercased()
            var pattern = Substring(entry)
            var rank = 0
            if let range = pattern.range(of: "://") {
                guard pattern[..<range.lowerBound] == scheme else { continue }
                pattern = pattern[range.upperBound...]
                rank += 1
            }
            pattern = pattern.prefix { $0 != "/" }
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)
                guard host.hasSuffix(suffix) || host == pattern.dropFirst(2) else { continue }
                rank += 2 * suffix.count
            } else {
                guard host == pattern else { continue }
                rank += 2 * pattern.count + 1000
            }
            let text = value.stringValue ?? value.dwordValue.map(String.init) ?? ""
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), let zone = SecurityZone(rawValue: number) else { continue }
            if best == nil || rank > best!.rank { best = (zone, value.name, rank) }
        }
        return best.map { ($0.zone, $0.name) }
    }

    /// `ZoneMap\Domains`: a key per registrable domain (`sscc.com`) whose subkeys name the rest
    /// of the host (`biz`, `*`, `*.biz`), each with a value per scheme (`https`) or `*` for any.
    /// A domain key's own values also cover its subdomains (implicit wildcard). The most specific
    /// match wins; the exact scheme beats `*`.
    static func domainMatch(in domains: RegistryKey?, scheme: String, host: String, base: RegistryPath)
        -> (zone: SecurityZone, path: RegistryPath, name: String)? {
        guard let domains, !host.isEmpty else { return nil }
        let labels = host.split(separator: ".").map(String.init)
        var best: (zone: SecurityZone, path: RegistryPath, name: String, rank: Int)? = nil
        func consider(_ key: RegistryKey, _ path: RegistryPath, rank: Int) {
            for (offset, name) in [scheme, "*"].enumerated() {
                if let value = key.value(named: name)?.dwordValue, let zone = SecurityZone(rawValue: Int(value)) {
                    let total = rank * 2 + (offset == 0 ? 1 : 0)
                    if best == nil || total > best!.rank { best = (zone, path, name, total) }
                    return
                }
            }
        }
        let lastStart = labels.count >= 2 ? labels.count - 2 : 0
        for start in 0...lastStart {
            let domainName = labels[start...].joined(separator: ".")
            guard let domainKey = domains.subkey(named: domainName) else { continue }
            let domainPath = base.appending(domainKey.name)
            let prefix = Array(labels[..<start])
            if prefix.isEmpty {
                consider(domainKey, domainPath, rank: 4 * (labels.count - start) + 1)
                continue
            }
            consider(domainKey, domainPath, rank: 4 * (labels.count - start))
            for subkey in domainKey.subkeys {
                let pattern = subkey.name.split(separator: ".").map { $0.lowercased() }
                guard Self.labels(prefix, match: pattern) else { continue }
                let exact = pattern.filter { $0 != "*" }.count
                consider(subkey, domainPath.appending(subkey.name), rank: 4 * (labels.count - start) + 2 * exact + 2)
            }
        }
        return best.map { ($0.zone, $0.path, $0.name) }
    }

    /// `*` as a whole pattern matches any prefix; otherwise label by label, `*` matching one label.
    static func labels(_ labels: [String], match pattern: [String]) -> Bool {
        if pattern == ["*"] { return true }
        guard labels.count == pattern.count else { return false }
        return zip(labels, pattern).allSatisfy { $1 == "*" || $0 == $1 }
    }
}

// MARK: - Wine rule set

/// Wine 8 urlmon (`dlls/urlmon/sec_mgr.c`) zone rules, as measured against Wine itself by the
/// differential tests:
/// - Only `ZoneMap\Domains` of HKCU, then HKLM, each in the caller's view. EscDomains, Ranges and
///   all policy keys are never read.
/// - Domain keys are tried in the registry's sorted order; the first that yields a zone wins.
///   A domain key matches the host exactly, as a suffix after a `.` (implicit wildcard), or as an
///   explicit `*.` pattern. Exact: its own values decide. Otherwise its subkeys (sorted) are
///   matched against the labels before the matched part: equal, or a `*.` pattern covering one
///   label; the first matching subkey alone decides (its scheme or `*` value, else this domain
///   key gives nothing). With no matching subkey, the domain key's own values count only when
///   the key name is itself a registrable domain (`sscc.com`, not `biz.sscc.com`).
/// - Zone values must be REG_DWORD. Then `ZoneMap\ProtocolDefaults` (HKCU, then HKLM; any
///   4-byte value), else Internet.
/// - URL actions: `Zones\<zone>` value `%X` of HKCU, then HKLM when the key or value is missing
///   or longer than 4 bytes; any type; the permission bits decide.
struct WineZoneRules {
    let settings: InternetZoneSettings

    private static let layers: [(SettingSource.Layer, RegistryRoot)] = [(.user, .currentUser), (.machine, .localMachine)]

    /// Scheme names Wine's URI parser knows; for other schemes the Domains lists are skipped.
    static let knownSchemes: Set<String> = [
        "ftp", "http", "gopher", "mailto", "news", "nntp", "telnet", "wais", "file", "mk", "https",
        "shell", "snews", "local", "javascript", "vbscript", "about", "res",
    ]

    func zone(for url: String) -> EffectiveSetting<SecurityZone> {
        let (scheme, host) = InternetZoneSettings.split(url)
        if Self.knownSchemes.contains(scheme), !host.isEmpty {
            for (layer, root) in Self.layers {
                let domainsPath = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\Domains")
                if let found = Self.domainMatch(in: settings.key(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                    return EffectiveSetting(value: found.zone, source: SettingSource(layer: layer, path: found.path, valueName: found.name))
                }
            }
        }
        for (layer, root) in Self.layers {
            let defaults = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\ProtocolDefaults")
            // RegQueryValueEx into a DWORD without a type check: any value of exactly 4 bytes.
            if let value = settings.key(defaults)?.value(named: scheme), value.data.count == 4,
               let zone = SecurityZone(rawValue: Int(Self.littleEndian(value.data))) {
                return EffectiveSetting(value: zone, source: SettingSource(layer: layer, path: defaults, valueName: scheme))
            }
        }
        return EffectiveSetting(value: .internet, source: SettingSource(layer: .builtInDefault))
    }

    func ignoredZoneEntries(for url: String) -> [IgnoredSetting] {
        let (scheme, host) = InternetZoneSettings.split(url)
        var ignored: [IgnoredSetting] = []
        for (layer, root) in Self.layers {
            let domainsPath = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\Domains")
            if let found = Self.domainMatch(in: settings.otherViewKey(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: found.path, valueName: found.name), reason: .only64BitView))
            }
        }
        // What Windows would have used and Wine never reads: the policy site list and EscDomains.
        for (layer, root) in [(SettingSource.Layer.machinePolicy, RegistryRoot.localMachine), (.userPolicy, .currentUser)] {
            let listPath = settings.path(root, InternetZoneSettings.policyPath + "\\ZoneMapKey")
            if let found = WindowsZoneRules.siteListMatch(in: settings.key(listPath), scheme: scheme, host: host) {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: listPath, valueName: found.name), reason: .notReadByWine))
            }
        }
        for (layer, root) in Self.layers {
            let escPath = settings.path(root, InternetZoneSettings.settingsPath + "\\ZoneMap\\EscDomains")
            if let found = WindowsZoneRules.domainMatch(in: settings.key(escPath), scheme: scheme, host: host, base: escPath) {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: found.path, valueName: found.name), reason: .notReadByWine))
            }
        }
        return ignored
    }

    func urlAction(_ action: UInt32, zone: SecurityZone) -> EffectiveSetting<URLActionPolicy>? {
        if InternetZoneSettings.wineHardWiredDisallowedActions.contains(action) {
            return EffectiveSetting(value: .disallow, source: SettingSource(layer: .builtInDefault))
        }
        let name = InternetZoneSettings.valueName(ofAction: action)
        for (layer, root) in Self.layers {
            let zonePath = settings.path(root, InternetZoneSettings.settingsPath + "\\Zones\\\(zone.rawValue)")
            // RegQueryValueEx into a 4-byte buffer, type ignored: a longer value fails (ERROR_MORE_DATA)
            // and HKLM is tried. A shorter one fills only its bytes; the rest are undefined in Wine.
            guard let value = settings.key(zonePath)?.value(named: name), value.data.count <= 4 else { continue }
            let number = Self.littleEndian(value.data)
            return EffectiveSetting(value: URLActionPolicy(rawValue: number), source: SettingSource(layer: layer, path: zonePath, valueName: name))
        }
        return nil
    }

    func ignoredActionSettings(_ action: UInt32, zone: SecurityZone) -> [IgnoredSetting] {
        var ignored = settings.only64BitActionValues(action, zone: zone, layers: Self.layers)
        let name = InternetZoneSettings.valueName(ofAction: action)
        for (layer, root) in [(SettingSource.Layer.machinePolicy, RegistryRoot.localMachine), (.userPolicy, .currentUser)] {
            let policyPath = settings.path(root, InternetZoneSettings.policyPath + "\\Zones\\\(zone.rawValue)")
            if settings.key(policyPath)?.value(named: name) != nil {
                ignored.append(IgnoredSetting(source: SettingSource(layer: layer, path: policyPath, valueName: name), reason: .notReadByWine))
            }
        }
        return ignored
    }

    static func littleEndian(_ bytes: [UInt8]) -> UInt32 {
        bytes.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    /// `search_for_domain_mapping`: the domain keys in sorted order, the first that yields a zone.
    static func domainMatch(in domains: RegistryKey?, scheme: String, host: String, base: RegistryPath)
        -> (zone: SecurityZone, path: RegistryPath, name: String)? {
        guard let domains else { return nil }
        let hostUnits = Array(host.utf16)
        for domainKey in domains.subkeys {
            if let found = searchDomain(domainKey, scheme: scheme, host: hostUnits, path: base.appending(domainKey.name)) {
                return found
            }
        }
        return nil
    }

    /// `search_domain_for_zone` for one domain key.
    private static func searchDomain(_ domainKey: RegistryKey, scheme: String, host: [UInt16], path: RegistryPath)
        -> (zone: SecurityZone, path: RegistryPath, name: String)? {
        let domain = Array(domainKey.name.utf16)
        guard host.count >= domain.count, let matched = matchedOffset(pattern: domain, in: host, implicitWildcard: true) else { return nil }
        if matched == 0 { return zoneForScheme(domainKey, scheme: scheme, path: path) }
        // The labels in front of the part the domain key matched, without the joining dot.
        let rest = Array(host[..<(matched - 1)])
        for subkey in domainKey.subkeys where matchedOffset(pattern: Array(subkey.name.utf16), in: rest, implicitWildcard: false) != nil {
            return zoneForScheme(subkey, scheme: scheme, path: path.appending(subkey.name))
        }
        // (Wine also tests `!wcschr(host, matched - host - 1)`, which passes an offset as a
        // character and so is always true for a printable host.)
        guard registrableDomainOffset(domain) == 0 else { return nil }
        return zoneForScheme(domainKey, scheme: scheme, path: path)
    }

    /// `get_zone_for_scheme`: the scheme value, else `*`; only REG_DWORD counts.
    private static func zoneForScheme(_ key: RegistryKey, scheme: String, path: RegistryPath)
        -> (zone: SecurityZone, path: RegistryPath, name: String)? {
        for name in [scheme, "*"] {
            guard let value = key.value(named: name), value.type == .dword, value.data.count <= 4 else { continue }
            // A zone Wine accepts but SecurityZone cannot hold (5 and up) is treated as no match.
            guard let zone = SecurityZone(rawValue: Int(littleEndian(value.data))) else { return nil }
            return (zone, path, value.name)
        }
        return nil
    }

    private static let dot = UInt16(UInt8(ascii: "."))
    private static let star = UInt16(UInt8(ascii: "*"))

    private static func lower(_ unit: UInt16) -> UInt16 { RegistryName.fold(unit) }

    private static func equalIgnoringCase<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
        where A.Element == UInt16, B.Element == UInt16 {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    /// `matches_domain_pattern`: where in `string` the match starts (0 = the whole string), or nil.
    /// An explicit `*.suffix` pattern needs at least one character before the suffix's dot; it
    /// covers one label, or more with the implicit wildcard. An implicit wildcard is a suffix
    /// after a dot. Otherwise the names must be equal.
    static func matchedOffset(pattern: [UInt16], in string: [UInt16], implicitWildcard: Bool) -> Int? {
        guard string.count >= pattern.count else { return nil }
        if pattern.count >= 2, pattern[0] == star, pattern[1] == dot {
            guard string.count >= pattern.count + 1,
                  equalIgnoringCase(string[(string.count - pattern.count + 1)...], pattern[1...]) else { return nil }
            var start = string.count - pattern.count
            while start > 0 && string[start - 1] != dot { start -= 1 }
            return start == 0 || implicitWildcard ? start : nil
        }
        if implicitWildcard && string.count > pattern.count {
            let start = string.count - pattern.count
            guard string[start - 1] == dot, equalIgnoringCase(string[start...], pattern) else { return nil }
            return start
        }
        return equalIgnoringCase(string, pattern) ? 0 : nil
    }

    /// Three-letter names Wine's `find_domain_name` treats as top-level domains.
    private static let recognizedTopLevelDomains: [[UInt16]] = ["com", "edu", "gov", "int", "mil", "net", "org"].map { Array($0.utf16) }

    private static func isRecognizedTopLevelDomain(_ units: ArraySlice<UInt16>) -> Bool {
        units.count >= 3 && recognizedTopLevelDomains.contains { equalIgnoringCase(units.prefix(3), $0) }
    }

    /// Offset of the registrable domain in `name` as Wine's `find_domain_name` (uri.c) computes
    /// it, or nil when there is none: `sscc.com` → 0, `biz.sscc.com` → 4, `com` → nil.
    static func registrableDomainOffset(_ name: [UInt16]) -> Int? {
        guard name.count >= 4, let last = name.lastIndex(of: dot) else { return nil }
        guard let secondLast = name[..<last].lastIndex(of: dot) else {
            if last == 0 {
                return name.count - last < 3 ? nil : 0
            }
            if last == 3 {
                return isRecognizedTopLevelDomain(name[0...]) ? nil : 0
            }
            return last < 3 ? nil : 0
        }
        if name.count - last > 3 { return secondLast + 1 }
        let middleLength = last - (secondLast + 1)
        guard middleLength < 4 else { return secondLast + 1 }
        if middleLength == 3 && !isRecognizedTopLevelDomain(name[(secondLast + 1)...]) { return secondLast + 1 }
        // A short (or recognised three-letter) second level belongs to the TLD: take one label more.
        if let third = name[..<secondLast].lastIndex(of: dot) { return third + 1 }
        return 0
    }
}
