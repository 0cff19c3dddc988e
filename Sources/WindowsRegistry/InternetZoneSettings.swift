import Foundation

/// The platform whose rules decide an effective setting: a check must answer for the platform
/// the target is, because Wine's urlmon reads far less than Windows does.
public enum TargetPlatform: String, Sendable, CaseIterable {
    /// Real Windows (offline `.reg`/Registry.pol analysis): Group Policy, `Security_HKLM_only`,
    /// `EscDomains` under IE Enhanced Security Configuration.
    case windows
    /// Wine 8 (urlmon `sec_mgr.c`): only `ZoneMap\Domains`, HKCU then HKLM; policy keys ignored.
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

/// IE security zones (KB182569 numbering).
public enum SecurityZone: Int, Sendable, CaseIterable {
    case localMachine = 0, intranet = 1, trusted = 2, internet = 3, restricted = 4
}

/// URL action policies (URLPOLICY_*): 0 allow, 1 prompt, 3 disallow.
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
}

/// Effective Internet Explorer zone mapping and URL-action settings of one registry, under the
/// rules of Windows or of Wine. Keys are read in the view of the 32-bit IE the SSCC controls need.
public struct InternetZoneSettings: Sendable {
    public let snapshot: RegistrySnapshot
    public let platform: TargetPlatform
    public let bitness: RegistryBitness
    /// IE Enhanced Security Configuration (Windows Server): `EscDomains` replaces `Domains`.
    public let enhancedSecurityConfiguration: Bool

    static let settingsPath = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let policyPath = "Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

    public init(snapshot: RegistrySnapshot, platform: TargetPlatform, bitness: RegistryBitness = .wow32,
                enhancedSecurityConfiguration: Bool = false) {
        self.snapshot = snapshot
        self.platform = platform
        self.bitness = bitness
        self.enhancedSecurityConfiguration = enhancedSecurityConfiguration
    }

    private func path(_ root: RegistryRoot, _ relative: String) -> RegistryPath {
        RegistryPath(root: root, components: RegistryKey.components(of: relative))
    }

    private func key(_ path: RegistryPath) -> RegistryKey? {
        // Software\Policies is shared between the 32- and 64-bit views on Windows (and a link in Wine).
        let isPolicy = path.components.count > 1 && RegistryName.equal(path.components[1], "Policies")
        return snapshot.key(at: path, bitness: isPolicy ? .native64 : bitness)
    }

    /// `Security_HKLM_only`=1 in the machine policy: only HKLM zone settings count (Windows only).
    public var machineSettingsOnly: EffectiveSetting<Bool> {
        let policy = path(.localMachine, Self.policyPath)
        if platform == .windows, let value = key(policy)?.value(named: "Security_HKLM_only")?.dwordValue {
            return EffectiveSetting(value: value == 1, source: SettingSource(layer: .machinePolicy, path: policy, valueName: "Security_HKLM_only"))
        }
        return EffectiveSetting(value: false, source: SettingSource(layer: .builtInDefault))
    }

    /// The non-policy layers in the order they are consulted.
    private var settingLayers: [(SettingSource.Layer, RegistryRoot)] {
        if platform == .windows && machineSettingsOnly.value { return [(.machine, .localMachine)] }
        return [(.user, .currentUser), (.machine, .localMachine)]
    }

    // MARK: Zone of a URL

    /// The zone IE puts `url` in, and the entry that decided it.
    public func zone(for url: String) -> EffectiveSetting<SecurityZone> {
        let (scheme, host) = Self.split(url)
        if platform == .windows {
            for (layer, root) in [(SettingSource.Layer.machinePolicy, RegistryRoot.localMachine), (.userPolicy, .currentUser)] {
                let listPath = path(root, Self.policyPath + "\\ZoneMapKey")
                if let found = siteListMatch(in: key(listPath), scheme: scheme, host: host) {
                    return EffectiveSetting(value: found.zone, source: SettingSource(layer: layer, path: listPath, valueName: found.name))
                }
            }
        }
        let domainsName = platform == .windows && enhancedSecurityConfiguration ? "EscDomains" : "Domains"
        for (layer, root) in settingLayers {
            let domainsPath = path(root, Self.settingsPath + "\\ZoneMap\\" + domainsName)
            if let found = domainMatch(in: key(domainsPath), scheme: scheme, host: host, base: domainsPath) {
                return EffectiveSetting(value: found.zone, source: SettingSource(layer: layer, path: found.path, valueName: found.name))
            }
        }
        for (layer, root) in settingLayers {
            let defaults = path(root, Self.settingsPath + "\\ZoneMap\\ProtocolDefaults")
            if let value = key(defaults)?.value(named: scheme)?.dwordValue, let zone = SecurityZone(rawValue: Int(value)) {
                return EffectiveSetting(value: zone, source: SettingSource(layer: layer, path: defaults, valueName: scheme))
            }
        }
        return EffectiveSetting(value: .internet, source: SettingSource(layer: .builtInDefault))
    }

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

    /// Site to Zone Assignment List: value name = `https://biz.sscc.com`, `biz.sscc.com` or
    /// `*.sscc.com`, data = zone number as text. The most specific matching entry wins.
    private func siteListMatch(in list: RegistryKey?, scheme: String, host: String) -> (zone: SecurityZone, name: String)? {
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
    /// A domain key's own values also cover its subdomains (implicit wildcard, as in Wine's
    /// `matches_domain_pattern`). The most specific match wins; the exact scheme beats `*`.
    private func domainMatch(in domains: RegistryKey?, scheme: String, host: String, base: RegistryPath)
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

    // MARK: URL actions

    /// Value name of a URL action: uppercase hex without `0x` (`1004`, `120A`).
    public static func valueName(ofAction action: UInt32) -> String { String(action, radix: 16, uppercase: true) }

    /// The effective policy for a URL action (e.g. 0x1004) in a zone, with its source. Windows:
    /// machine policy, user policy, then HKCU (unless `Security_HKLM_only`) and HKLM. Wine: HKCU
    /// then HKLM, policy ignored. Nil when no layer sets it (IE then uses the zone template).
    public func urlAction(_ action: UInt32, zone: SecurityZone) -> EffectiveSetting<URLActionPolicy>? {
        let name = Self.valueName(ofAction: action)
        var layers: [(SettingSource.Layer, RegistryPath)] = []
        if platform == .windows {
            layers.append((.machinePolicy, path(.localMachine, Self.policyPath + "\\Zones\\\(zone.rawValue)")))
            layers.append((.userPolicy, path(.currentUser, Self.policyPath + "\\Zones\\\(zone.rawValue)")))
        }
        for (layer, root) in settingLayers {
            layers.append((layer, path(root, Self.settingsPath + "\\Zones\\\(zone.rawValue)")))
        }
        for (layer, keyPath) in layers {
            if let value = key(keyPath)?.value(named: name)?.dwordValue {
                return EffectiveSetting(value: URLActionPolicy(rawValue: value), source: SettingSource(layer: layer, path: keyPath, valueName: name))
            }
        }
        return nil
    }
}
