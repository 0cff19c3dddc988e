import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// R2: `https://biz.sscc.com` must be a Trusted site (zone 2) under the rules of the target's platform, or the
/// zone-2 settings of R3 never apply to the portal.
struct TrustedSiteCheck: Check {
    static let description = CheckDescription(
        id: "browser.trusted-site",
        title: Localized(zh: "统一客户专区在受信任的站点中", en: "The portal is a Trusted site"),
        summary: Localized(
            zh: "https://biz.sscc.com 按目标平台的规则属于“受信任的站点”（区域 2）：Windows 先看组策略的站点到区域列表和 Security_HKLM_only，再看用户和计算机的 ZoneMap；Wine 只看 ZoneMap\\Domains（先 HKCU 后 HKLM）。",
            en: "https://biz.sscc.com is in zone 2 (Trusted sites) under the target platform's rules: on Windows the Group Policy Site-to-Zone list and Security_HKLM_only first, then the user's and the machine's ZoneMap; under Wine only ZoneMap\\Domains, HKCU before HKLM."),
        requirements: ["R2"],
        category: "browser",
        severity: .required,
        facets: [.windowsSide],
        fix: Localized(
            zh: "在 Wine 前缀的 HKCU ZoneMap\\Domains\\sscc.com\\biz 中写入 https=2；离线注册表则生成 .reg 文件。",
            en: "Writes https=2 under HKCU ZoneMap\\Domains\\sscc.com\\biz in the Wine prefix; for exported registry files, writes a .reg file."),
        examples: WindowsExamples.trustedSite)

    var description: CheckDescription { Self.description }

    static let portalScheme = "https"

    func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        let portal = try PortalNames(context.environment)
        let zones = side.zones
        var evidence = [Evidence("platform", side.isWine ? "Wine (urlmon rules)" : "Windows (exported registry, Windows rules)")]
        if zones.machineSettingsOnly.value { evidence.append(Evidence("Security_HKLM_only", "1")) }
        let typoEntries = portal.typoHosts.compactMap { typo -> (String, EffectiveSetting<SecurityZone>)? in
            let found = zones.zone(for: "https://" + typo)
            return found.source.isZoneListEntry ? (typo, found) : nil
        }
        for (typo, entry) in typoEntries {
            evidence.append(Evidence("typo \(typo)", "zone \(entry.value.rawValue) ← \(side.describe(entry.source))"))
        }
        let typoNote: Localized = typoEntries.isEmpty ? Localized(verbatim: "") : Localized(
            zh: "；已找到手册笔误域名 \(typoEntries[0].0) 的条目，它不能代替 \(portal.host)",
            en: "; an entry for the manual's typo \(typoEntries[0].0) was found, which does not stand for \(portal.host)")
        let ignored = side.ignoredNotes(zones.ignoredZoneEntries(for: portal.url))
        evidence += ignored.evidence
        let ignoredNote = ignored.note ?? Localized(verbatim: "")
        let assignment = zones.zone(for: portal.url)
        evidence.append(Evidence("zone", "\(assignment.value.rawValue)"))
        evidence.append(Evidence("source", side.describe(assignment.source)))
        guard assignment.source.isZoneListEntry else {
            return .fail(
                Localized(
                    zh: "\(portal.url) 不在任何区域列表中（属于区域 \(assignment.value.rawValue)）",
                    en: "\(portal.url) is in no zone list (it is in zone \(assignment.value.rawValue))") + ignoredNote + typoNote,
                evidence: evidence, remedy: Self.remedy(side))
        }
        if assignment.value == .trusted {
            return .pass(
                Localized(zh: "\(portal.url) 在受信任的站点中（\(side.describe(assignment.source))）",
                          en: "\(portal.url) is a Trusted site (\(side.describe(assignment.source)))"),
                evidence: evidence)
        }
        let why: Localized = assignment.source.isPolicy
            ? Localized(zh: "（组策略的站点到区域列表优先于用户设置）", en: " (the Group Policy Site-to-Zone list overrides the user's own list)")
            : Localized(verbatim: "")
        return .fail(
            Localized(
                zh: "\(portal.url) 属于区域 \(assignment.value.rawValue)，不是受信任的站点（区域 2）；来源 \(side.describe(assignment.source))",
                en: "\(portal.url) is in zone \(assignment.value.rawValue), not Trusted sites (zone 2); from \(side.describe(assignment.source))")
                + why + ignoredNote + typoNote,
            evidence: evidence, remedy: Self.remedy(side))
    }

    static func remedy(_ side: WindowsSide) -> Localized {
        Localized(
            zh: "在 Internet 选项 → 安全 → 受信任的站点 → 站点 中添加 https://biz.sscc.com；若由组策略管理，请管理员在“站点到区域分配列表”中把它设为 2。certdoctor fix 可自动完成。",
            en: "Add https://biz.sscc.com under Internet Options → Security → Trusted sites → Sites; where Group Policy manages the list, an administrator must map it to 2 in the Site to Zone Assignment List. certdoctor fix can do this.")
    }

    /// The HKCU key the fix writes `https`=2 into: the user's Domains key that decides the portal today (Wine
    /// stops at the first matching key, so a new key beside it might never be reached), else `sscc.com\biz`.
    static func userKeyPath(for portal: PortalNames, current: EffectiveSetting<SecurityZone>) -> String {
        if current.source.layer == .user, let path = current.source.path, path.root == .currentUser,
           path.components.contains(where: { RegistryName.equal($0, "Domains") }) {
            return path.relativePath
        }
        let labels = portal.host.lowercased().split(separator: ".")
        let domain = labels.suffix(2).joined(separator: ".")
        let subdomain = labels.dropLast(2).joined(separator: ".")
        return InternetZoneSettings.settingsPath + "\\ZoneMap\\Domains\\" + domain + (subdomain.isEmpty ? "" : "\\" + subdomain)
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        let portal = try PortalNames(context.environment)
        let current = side.zones.zone(for: portal.url)
        let summary = Localized(zh: "把 \(portal.url) 加入受信任的站点", en: "make \(portal.url) a Trusted site")
        if current.source.isPolicy || (!side.isWine && Self.siteToZoneListIsOn(side)) {
            guard !side.isWine else { return nil }
            let machine = current.source.layer != .userPolicy
            return try OfflineFix.plan(
                checkID: Self.description.id, context: context, side: side, summary: summary, userValues: [],
                policyValues: [(InternetZoneSettings.policyPath + "\\ZoneMapKey", RegistryValue(name: portal.url, string: "2"), machine)])
        }
        let keyPath = Self.userKeyPath(for: portal, current: current)
        // Only a change that makes the portal Trusted under the platform's own rules is offered.
        var changed = side.snapshot
        changed.withKey(creating: RegistryPath(root: .currentUser, components: RegistryKey.components(of: keyPath))) {
            $0.setValue(RegistryValue(name: Self.portalScheme, dword: 2))
        }
        guard InternetZoneSettings(snapshot: changed, platform: side.platform).zone(for: portal.url).value == .trusted else { return nil }
        guard let prefix = side.prefix else {
            return try OfflineFix.plan(
                checkID: Self.description.id, context: context, side: side, summary: summary,
                userValues: [(keyPath, RegistryValue(name: Self.portalScheme, dword: 2))])
        }
        let was = side.userKey(keyPath)?.value(named: Self.portalScheme)?.dwordValue
        return FixPlan(
            checkID: Self.description.id,
            summary: summary,
            steps: [PrefixHiveEdit.step(
                prefix: prefix, hive: .user,
                description: PrefixHiveEdit.describeSet("HKCU", keyPath, Self.portalScheme, 2, was: was),
                edit: PrefixHiveEdit.setDWord(2, name: Self.portalScheme, at: keyPath))],
            afterword: BrowserRestart.afterword)
    }

    /// `ListBox_Support_ZoneMapKey`=1: on Windows only the policy list can make the portal Trusted.
    static func siteToZoneListIsOn(_ side: WindowsSide) -> Bool {
        [side.machineKey(InternetZoneSettings.policyPath, view: .bit64), side.userKey(InternetZoneSettings.policyPath)]
            .contains { $0?.value(named: "ListBox_Support_ZoneMapKey")?.dwordValue == 1 }
    }
}

/// The portal as the profile names it.
struct PortalNames {
    var url: String
    var host: String
    var typoHosts: [String]

    init(_ environment: Environment) throws {
        let portal = try environment.attachedProfile().portal
        url = portal.url
        host = portal.host
        typoHosts = portal.typoHosts
    }
}

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
    static let trustedSite: [CheckExample] = [
        prefix("trusted/https.reg", .pass),
        registry("trusted/https.reg", .pass),
        prefix("trusted/domain-wildcard.reg", .pass, "a domain-level * entry covers biz.sscc.com"),
        registry("trusted/domain-wildcard.reg", .pass),
        prefix("trusted/upper-case.reg", .pass, "key names compare case-insensitively"),
        registry("trusted/upper-case.reg", .pass),
        prefix("trusted/machine-only.reg", .pass, "HKLM only, both views"),
        registry("trusted/machine-only.reg", .pass),
        prefix("trusted/http-only.reg", .fail, "an http-only entry does not cover https"),
        registry("trusted/http-only.reg", .fail),
        prefix("trusted/restricted-zone.reg", .fail),
        registry("trusted/typo-sccc.reg", .fail, "the manual's sccc typo"),
        prefix("trusted/typo-sccc.reg", .fail),
        prefix("empty.reg", .fail, "a fresh prefix"),
        registry("trusted/policy-overrides-user.reg", .fail, "the Site-to-Zone policy wins on Windows"),
        prefix("trusted/policy-overrides-user.reg", .pass, "Wine ignores the policy keys"),
        registry("trusted/hklm-only-policy.reg", .fail, "Security_HKLM_only hides the user's entry"),
        prefix("trusted/hklm-only-policy.reg", .pass, "Wine ignores Security_HKLM_only"),
        registry("gpo-site-to-zone", .pass, "Registry.pol under Machine/, *.sscc.com"),
        registry("trusted/machine-64-bit-only.reg", .fail, "only the 64-bit view trusts it; 32-bit IE reads Wow6432Node"),
        prefix("trusted/machine-64-bit-only.reg", .fail, "the same under Wine's own view rules"),
        registry("trusted/site-to-zone-list-hides-user.reg", .fail, "ListBox_Support_ZoneMapKey=1: only the policy list counts"),
        prefix("trusted/site-to-zone-list-hides-user.reg", .pass, "Wine ignores the policy list"),
        registry("trusted/esc-domains.reg", .pass, "IE ESC on: EscDomains decide"),
        registry("trusted/esc-domains-only-in-domains.reg", .fail, "IE ESC on: Domains do not count"),
        prefix("trusted/esc-domains-only-in-domains.reg", .pass, "Wine has no ESC"),
    ]
}
