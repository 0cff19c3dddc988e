import CertDoctorCore
import Foundation

/// The Windows-side checks (a Wine prefix or a customer's exported registry). The integrator registers them
/// next to `BuiltInChecks.all`.
public enum WindowsChecks {
    public static let all: [any Check] = [
        TrustedSiteCheck(),
        RegistrySettingCheck(spec: ZoneActions.spec),
    ]
}

/// R3 as a registry-setting spec. `Checks/manifests/browser.zone-actions.xml` states the same check as data;
/// this copy is what runs when the manifests are not loaded, and a test keeps the two equal.
enum ZoneActions {
    static let spec = RegistrySettingSpec(
        description: CheckDescription(
            id: "browser.zone-actions",
            title: Localized(zh: "受信任的站点区域允许插件和下载", en: "Trusted sites allow the plugins and downloads"),
            summary: Localized(
                zh: "受信任的站点（区域 2）中 URL 操作 2201、1004、1803、2200 的有效值均为 0（启用）；组策略的值优先于用户的值；“提示”(1) 不够（Wine 遇到提示直接失败）。",
                en: "In Trusted sites (zone 2) the effective value of URL actions 2201, 1004, 1803 and 2200 is 0 (enable) each; a policy value overrides the user's; 'prompt' (1) is not enough (Wine fails on it)."),
            requirements: ["R3", "E9"],
            category: "browser",
            severity: .required,
            facets: [.windowsSide],
            fix: Localized(
                zh: "在 Wine 前缀的 HKCU Zones\\2 中把各项设为 0；离线注册表则生成 .reg（由策略决定时生成 Registry.pol）。",
                en: "Sets each action to 0 under HKCU Zones\\2 in the Wine prefix; for exported registry files, writes a .reg (a Registry.pol where a policy decides)."),
            examples: WindowsExamples.zoneActions),
        requirements: [
            .init(setting: .urlAction(zone: 2, action: "2201"), label: Localized(zh: "ActiveX 控件自动提示", en: "Automatic prompting for ActiveX controls"), expected: 0),
            .init(setting: .urlAction(zone: 2, action: "1004"), label: Localized(zh: "下载未签名的 ActiveX 控件", en: "Download unsigned ActiveX controls"), expected: 0),
            .init(setting: .urlAction(zone: 2, action: "1803"), label: Localized(zh: "文件下载", en: "File download"), expected: 0),
            .init(setting: .urlAction(zone: 2, action: "2200"), label: Localized(zh: "文件下载的自动提示", en: "Automatic prompting for file downloads"), expected: 0),
        ],
        restartBrowser: true)
}

/// The examples of the Windows-side checks. `target` says how the fixture is given: `prefix` imports the
/// `.reg` files with `wine reg import` into a fresh Wine prefix, `registry` passes the files as `--registry`.
/// A fixture that is a directory stands for every file in it.
enum WindowsExamples {
    static func prefix(_ fixture: String, _ outcome: Outcome, _ note: String = "", line: Int = #line) -> CheckExample {
        CheckExample("windows/" + fixture, options: ["target": "prefix"], expect: outcome, note, line: line)
    }

    static func registry(_ fixture: String, _ outcome: Outcome, hive: String? = nil, _ note: String = "", line: Int = #line) -> CheckExample {
        var options = ["target": "registry"]
        if let hive { options["hive"] = hive }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

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
    ]

    static let zoneActions: [CheckExample] = [
        prefix("zone-actions/enabled.reg", .pass),
        registry("zone-actions/enabled.reg", .pass),
        prefix("zone-actions/prompt.reg", .fail, "prompt is not enough"),
        registry("zone-actions/prompt.reg", .fail),
        prefix("empty.reg", .fail, "a fresh prefix prompts for 1004"),
        registry("empty.reg", .fail, "nothing set"),
        registry("zone-actions/policy-disables-download.reg", .fail, "a machine policy overrides the user's 1803"),
        prefix("zone-actions/policy-disables-download.reg", .pass, "Wine ignores policy keys"),
        registry("zone-actions/hklm-only-policy.reg", .fail, "Security_HKLM_only: the user's values do not count"),
        registry("gpo-zone-actions", .pass, hive: "HKCU", "a Registry.pol outside Machine/User, --registry-hive HKCU"),
        registry("gpo-zone-actions-prompt", .fail, "user policy leaves 2200 at prompt"),
    ]
}
