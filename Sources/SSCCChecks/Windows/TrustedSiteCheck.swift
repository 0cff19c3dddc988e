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
        let portal = PortalNames(context.environment)
        let zones = InternetZones(side: side)
        var evidence = [Evidence("platform", side.isWine ? "Wine" : "Windows (exported registry)")]
        if zones.machineOnly { evidence.append(Evidence("Security_HKLM_only", "1")) }
        let typoEntries = portal.typoHosts.flatMap { typo in zones.entries(naming: typo).map { (typo, $0) } }
        for (typo, entry) in typoEntries {
            evidence.append(Evidence("typo \(typo)", "zone \(entry.zone) ← \(entry.source)"))
        }
        let typoNote: Localized = typoEntries.isEmpty ? Localized(verbatim: "") : Localized(
            zh: "；已找到手册笔误域名 \(typoEntries[0].0) 的条目，它不能代替 \(portal.host)",
            en: "; an entry for the manual's typo \(typoEntries[0].0) was found, which does not stand for \(portal.host)")
        guard let assignment = zones.zone(host: portal.host, scheme: Self.portalScheme) else {
            return .fail(
                Localized(zh: "\(portal.url) 不在任何区域列表中（属于 Internet 区域）", en: "\(portal.url) is in no zone list (it is in the Internet zone)") + typoNote,
                evidence: evidence, remedy: Self.remedy(side))
        }
        evidence.append(Evidence("zone", "\(assignment.zone)"))
        evidence.append(Evidence("source", assignment.source.description))
        if assignment.zone == 2 {
            return .pass(
                Localized(zh: "\(portal.url) 在受信任的站点中（\(assignment.source)）", en: "\(portal.url) is a Trusted site (\(assignment.source))"),
                evidence: evidence)
        }
        let why: Localized = assignment.source.isPolicy
            ? Localized(zh: "（组策略的站点到区域列表优先于用户设置）", en: " (the Group Policy Site-to-Zone list overrides the user's own list)")
            : Localized(verbatim: "")
        return .fail(
            Localized(
                zh: "\(portal.url) 属于区域 \(assignment.zone)，不是受信任的站点（区域 2）；来源 \(assignment.source)",
                en: "\(portal.url) is in zone \(assignment.zone), not Trusted sites (zone 2); from \(assignment.source)") + why + typoNote,
            evidence: evidence, remedy: Self.remedy(side))
    }

    static func remedy(_ side: WindowsSide) -> Localized {
        Localized(
            zh: "在 Internet 选项 → 安全 → 受信任的站点 → 站点 中添加 https://biz.sscc.com；若由组策略管理，请管理员在“站点到区域分配列表”中把它设为 2。certdoctor fix 可自动完成。",
            en: "Add https://biz.sscc.com under Internet Options → Security → Trusted sites → Sites; where Group Policy manages the list, an administrator must map it to 2 in the Site to Zone Assignment List. certdoctor fix can do this.")
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        let portal = PortalNames(context.environment)
        let labels = portal.host.lowercased().split(separator: ".")
        let domain = labels.suffix(2).joined(separator: ".")
        let subdomain = labels.dropLast(2).reversed().joined(separator: "\\")
        let keyPath = InternetZones.settings + "\\ZoneMap\\Domains\\" + domain + (subdomain.isEmpty ? "" : "\\" + subdomain)
        let zones = InternetZones(side: side)
        let current = zones.zone(host: portal.host, scheme: Self.portalScheme)
        let policyBlocks = current.map { $0.source.isPolicy && $0.zone != 2 } ?? false
        guard let prefix = side.prefix else {
            return try OfflineFix.plan(
                checkID: Self.description.id, context: context, side: side,
                summary: Localized(zh: "把 \(portal.url) 加入受信任的站点", en: "make \(portal.url) a Trusted site"),
                userValues: policyBlocks ? [] : [(keyPath, RegistryValue(name: Self.portalScheme, dword: 2))],
                policyValues: policyBlocks ? [(InternetZones.policySettings + "\\ZoneMapKey", RegistryValue(name: portal.url, string: "2"), current!.source.key.hasPrefix("HKLM"))] : [])
        }
        let was = side.userKey(keyPath)?.value(named: Self.portalScheme)?.dwordValue
        return FixPlan(
            checkID: Self.description.id,
            summary: Localized(zh: "把 \(portal.url) 加入受信任的站点", en: "make \(portal.url) a Trusted site"),
            steps: [PrefixHiveEdit.step(
                prefix: prefix, hive: .user,
                description: PrefixHiveEdit.describeSet("HKCU", keyPath, Self.portalScheme, 2, was: was),
                edit: PrefixHiveEdit.setDWord(2, name: Self.portalScheme, at: keyPath))],
            afterword: BrowserRestart.afterword)
    }
}

/// The portal as the profile names it, with the manual's values when no profile is attached.
struct PortalNames {
    var url: String
    var host: String
    var typoHosts: [String]

    init(_ environment: Environment) {
        // Defaults: the values of Checks/profiles/sscc.json, for checks run without a profile (tests of the
        // manifest loader build a bare environment).
        url = environment.profile?.portal.url ?? "https://biz.sscc.com"
        host = environment.profile?.portal.host ?? "biz.sscc.com"
        typoHosts = environment.profile?.portal.typoHosts ?? ["biz.sccc.com"]
    }
}
