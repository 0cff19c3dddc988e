import CertDoctorCore
import Foundation
import WindowsRegistry

/// IE's security zones as the target's platform resolves them (R2, R3): which zone a URL is in and what a
/// URL action's effective value is, with the key that decided it.
///
/// Windows: the Group Policy Site-to-Zone list first, then — unless `Security_HKLM_only` restricts it to the
/// machine — the user's ZoneMap before the machine's; for URL actions the machine policy, the user policy,
/// then the user's zone settings before the machine's (or the machine's alone under `Security_HKLM_only`).
/// Wine (dlls/urlmon/sec_mgr.c): only `ZoneMap\Domains` and `Zones\N`, HKCU then HKLM; policy keys are ignored.
public struct InternetZones: Sendable {
    public static let settings = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    public static let policySettings = "Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

    public let side: WindowsSide

    public init(side: WindowsSide) {
        self.side = side
    }

    /// Where a setting came from, as people read it: `HKCU\…\ZoneMap\Domains\sscc.com\biz` `https`.
    public struct Source: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var value: String
        public var isPolicy: Bool
        public var description: String { key + " \"" + value + "\"" }
    }

    public struct ZoneAssignment: Sendable, Hashable {
        public var zone: Int
        public var source: Source
    }

    public struct ActionSetting: Sendable, Hashable {
        public var value: UInt32
        public var source: Source
    }

    /// `Security_HKLM_only` = 1: only the machine's zone settings count (Windows; Wine ignores it).
    public var machineOnly: Bool {
        guard !side.isWine else { return false }
        let policy = side.machineKey(Self.policySettings, view: .bit64)
        return policy?.value(named: "Security_HKLM_only")?.dwordValue == 1
    }

    // MARK: - Zones

    public func zone(host: String, scheme: String) -> ZoneAssignment? {
        if !side.isWine {
            for (tree, label) in [(side.machineKey(Self.policySettings + "\\ZoneMapKey", view: .bit64), "HKLM"),
                                  (side.userKey(Self.policySettings + "\\ZoneMapKey"), "HKCU")] {
                guard let list = tree else { continue }
                if let match = Self.siteToZoneMatch(list, host: host, scheme: scheme) {
                    return ZoneAssignment(zone: match.zone, source: Source(
                        key: "\(label)\\\(Self.policySettings)\\ZoneMapKey", value: match.name, isPolicy: true))
                }
            }
        }
        for (label, domains) in zoneMaps() {
            if let match = Self.domainMatch(domains, host: host, scheme: scheme) {
                return ZoneAssignment(zone: match.zone, source: Source(
                    key: "\(label)\\ZoneMap\\Domains\\" + match.path, value: match.value, isPolicy: false))
            }
        }
        return nil
    }

    /// The ZoneMap\Domains keys in the order the platform consults them, labelled for evidence.
    func zoneMaps() -> [(String, RegistryKey)] {
        var maps: [(String, RegistryKey)] = []
        if !machineOnly, let user = side.userKey(Self.settings + "\\ZoneMap\\Domains") {
            maps.append(("HKCU\\" + Self.settings, user))
        }
        if let machine = side.machineKey(Self.settings + "\\ZoneMap\\Domains") {
            maps.append((side.machineDisplayPath(Self.settings), machine))
        }
        return maps
    }

    /// Every ZoneMap or Site-to-Zone entry that names `host` (for the manual's `sccc` typo), with its zone.
    public func entries(naming host: String) -> [ZoneAssignment] {
        var found: [ZoneAssignment] = []
        for scheme in ["https", "http", "*"] {
            if let match = zone(host: host, scheme: scheme), !found.contains(match) { found.append(match) }
        }
        return found
    }

    /// A Site-to-Zone list entry: value name = `https://biz.sscc.com`, `biz.sscc.com`, `*.sscc.com` or
    /// `https://*.sscc.com`; data = the zone number as text.
    static func siteToZoneMatch(_ list: RegistryKey, host: String, scheme: String) -> (zone: Int, name: String)? {
        var best: (zone: Int, name: String, score: Int)?
        for value in list.values where !value.name.isEmpty {
            var site = value.name.lowercased()
            var siteScheme: String?
            if let range = site.range(of: "://") {
                siteScheme = String(site[..<range.lowerBound])
                site = String(site[range.upperBound...])
            }
            if let slash = site.firstIndex(of: "/") { site = String(site[..<slash]) }
            if let siteScheme, siteScheme != "*", siteScheme != scheme.lowercased() { continue }
            let lowerHost = host.lowercased()
            var score = 0
            if site == lowerHost {
                score = 3
            } else if site.hasPrefix("*.") && lowerHost.hasSuffix(String(site.dropFirst(1))) {
                score = 2
            } else if !site.contains("*") && lowerHost.hasSuffix("." + site) {
                score = 1
            } else {
                continue
            }
            let text = value.stringValue ?? value.dwordValue.map(String.init) ?? ""
            guard let zone = Int(text.trimmingCharacters(in: .whitespaces)) else { continue }
            if best == nil || score > best!.score { best = (zone, value.name, score) }
        }
        return best.map { ($0.zone, $0.name) }
    }

    /// ZoneMap\Domains lookup: the host's own key (`sscc.com\biz`, or `biz.sscc.com` spelled flat), then an
    /// explicit `*` subkey, then the registrable domain's key, which covers its subdomains. Within a key the
    /// scheme's value wins over `*`; a key holding only another scheme does not match.
    static func domainMatch(_ domains: RegistryKey, host: String, scheme: String) -> (zone: Int, path: String, value: String)? {
        let labels = host.lowercased().split(separator: ".").map(String.init)
        guard labels.count >= 2 else {
            return lookup(domains.subkey(named: host), path: host, scheme: scheme)
        }
        let domain = labels.suffix(2).joined(separator: ".")
        let subdomain = labels.dropLast(2).joined(separator: ".")
        var candidates: [(RegistryKey?, String)] = []
        if !subdomain.isEmpty {
            let domainKey = domains.subkey(named: domain)
            candidates.append((domainKey?.key(at: subdomain.split(separator: ".").reversed().joined(separator: "\\")), domain + "\\" + subdomain))
            candidates.append((domainKey?.subkey(named: subdomain), domain + "\\" + subdomain))
            candidates.append((domains.subkey(named: host), host))
            candidates.append((domainKey?.subkey(named: "*"), domain + "\\*"))
        }
        candidates.append((domains.subkey(named: domain), domain))
        for (key, path) in candidates {
            if let match = lookup(key, path: path, scheme: scheme) { return match }
        }
        return nil
    }

    static func lookup(_ key: RegistryKey?, path: String, scheme: String) -> (zone: Int, path: String, value: String)? {
        guard let key else { return nil }
        for name in [scheme, "*"] {
            if let zone = key.value(named: name)?.dwordValue {
                return (Int(zone), key.name.isEmpty ? path : displayPath(path, key: key), key.value(named: name)!.name)
            }
        }
        return nil
    }

    /// Keeps the key's own spelling (upper-case key names are legal and shown as found).
    private static func displayPath(_ path: String, key: RegistryKey) -> String {
        var parts = path.split(separator: "\\").map(String.init)
        if let last = parts.last, RegistryName.equal(last, key.name) { parts[parts.count - 1] = key.name }
        return parts.joined(separator: "\\")
    }

    // MARK: - URL actions

    /// The effective value of a URL action (value name = the action in upper-case hex) in a zone.
    public func action(_ action: String, zone: Int) -> ActionSetting? {
        let name = action.uppercased()
        let zones = "\\Zones\\\(zone)"
        var places: [(RegistryKey?, String, Bool)] = []
        if !side.isWine {
            places.append((side.machineKey(Self.policySettings + zones, view: .bit64), "HKLM\\" + Self.policySettings + zones, true))
            places.append((side.userKey(Self.policySettings + zones), "HKCU\\" + Self.policySettings + zones, true))
        }
        if !machineOnly {
            places.append((side.userKey(Self.settings + zones), "HKCU\\" + Self.settings + zones, false))
        }
        places.append((side.machineKey(Self.settings + zones), side.machineDisplayPath(Self.settings + zones), false))
        for (key, label, isPolicy) in places {
            if let value = key?.value(named: name), let number = value.dwordValue {
                return ActionSetting(value: number, source: Source(key: label, value: value.name, isPolicy: isPolicy))
            }
        }
        return nil
    }

    /// How people read a URL action's value.
    public static func describe(actionValue value: UInt32) -> Localized {
        switch value {
        case 0: Localized(zh: "启用 (0)", en: "enable (0)")
        case 1: Localized(zh: "提示 (1)", en: "prompt (1)")
        case 3: Localized(zh: "禁用 (3)", en: "disable (3)")
        default: Localized(verbatim: "0x" + String(value, radix: 16))
        }
    }
}
