import CertDoctorCore
import Foundation

/// The Windows-side checks written in Swift (a Wine prefix or a customer's exported registry). The
/// integrator registers them next to `BuiltInChecks.all`, together with the declarative checks of
/// `Checks/manifests/` (`CheckManifests.load`), where `browser.zone-actions` (R3) lives as data.
public enum WindowsChecks {
    public static let all: [any Check] = [
        TrustedSiteCheck(),
        PersonalCertificateCheck(),
        DownloadsCheck(),
        IEModeCheck(),
        TokenCSPCheck(),
    ] + ActiveXControlCheck.all

    /// `all` and the manifest checks: everything the Windows side contributes to a run.
    public static func all(dataDirectory: DataDirectory, manifestDirectories: [URL] = []) throws -> [any Check] {
        all + (try CheckManifests.load(dataDirectory: dataDirectory, extraDirectories: manifestDirectories))
    }
}

/// The examples of the Windows-side checks. `target` says how the fixture is given: `prefix` imports the
/// `.reg` files with `wine reg import` into a fresh Wine prefix, `registry` passes the files as `--registry`.
/// A fixture that is a directory stands for every file in it.
enum WindowsExamples {
    static func prefix(_ fixture: String, _ outcome: Outcome, _ note: String = "", token: Bool = false, atr: String? = nil, line: Int = #line) -> CheckExample {
        var options = ["target": "prefix"]
        if token { options["token"] = "yes" }
        if let atr { options["atr"] = atr }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

    static func registry(
        _ fixture: String, _ outcome: Outcome, hive: String? = nil, gateway: String? = nil, _ note: String = "", line: Int = #line
    ) -> CheckExample {
        var options = ["target": "registry"]
        if let hive { options["hive"] = hive }
        if let gateway { options["gateway"] = gateway }
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

    static let certEnroll: [CheckExample] = [
        registry("activex/certenroll-2048.reg", .pass, "version from the Code Store Database"),
        registry("activex/certenroll-2046.reg", .fail, "must be exactly 2.0.4.8 (E8)"),
        registry("activex/certenroll-killbit.reg", .fail, "kill bit in the 32-bit view"),
        registry("activex/certenroll-disabled.reg", .fail, "disabled in Manage add-ons"),
        registry("empty.reg", .fail, "not installed (E1)"),
        prefix("activex/prefix-certenroll-2048", .pass, "version from the DLL's version resource"),
        prefix("activex/prefix-certenroll-2046", .fail, "the DLL is 2.0.4.6"),
        prefix("activex/prefix-certenroll-half", .fail, "registered, but the DLL is missing"),
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

    static let personalCertificate: [CheckExample] = [
        registry("store/good-3des", .pass, "exported by Wine after a real import; the gateway comes from the store"),
        registry("store/good-3des", .fail, gateway: "F000333Q0001", "--gateway names another gateway"),
        registry("store/expired", .fail, "only an expired certificate"),
        prefix("store/good-3des-with-key", .pass, "certificate and rsaenh key container"),
        prefix("store/good-3des", .fail, "the certificate without its key container"),
        prefix("empty.reg", .fail, "E6: nothing imported"),
    ]

    /// `target: linux`: the fixture directory stands for `/` (its `etc/…/policies` and `usr/bin`).
    static func linux(_ fixture: String, browser: String?, _ outcome: Outcome, _ note: String = "", line: Int = #line) -> CheckExample {
        var options = ["target": "linux"]
        if let browser { options["browser"] = browser }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

    static let downloads: [CheckExample] = [
        registry("downloads/allowed.reg", .pass),
        prefix("downloads/allowed.reg", .pass),
        registry("downloads/no-allow-list.reg", .fail, "2200 enabled but pop-ups blocked"),
        prefix("empty.reg", .fail),
        registry("downloads/policy-allow.reg", .pass, "the policy allow list counts"),
        linux("linux-browsers/chromium-allowed", browser: "chromium", .pass),
        linux("linux-browsers/chromium-popups-only", browser: "chromium", .fail, "downloads not allowed"),
        linux("linux-browsers/firefox-allowed", browser: "firefox", .pass, "Firefox: PopupBlocking.Allow"),
        linux("linux-browsers/chromium-allowed", browser: nil, .pass, "installed browsers when none is named"),
        linux("linux-browsers/none", browser: nil, .notapplicable, "no Windows side, no browser installed"),
    ]

    static let ieMode: [CheckExample] = [
        registry("ie-mode/site-list", .pass, "the policy's site list, matched by file name"),
        registry("ie-mode/typo", .fail, "only biz.sccc.com: the manual's typo"),
        registry("ie-mode/missing-file", .fail, "the policy names a file that was not given"),
        registry("ie-mode/user-list", .pass, "the user's IE-mode pages in Edge's Preferences"),
        registry("empty.reg", .fail),
        prefix("empty.reg", .notapplicable, "no Edge in a Wine prefix"),
    ]

    /// A made-up ATR for the tests (no public ePass3003 ATR was found); the Mingwah fixture's mask matches it.
    static let testATR = "3B9F958131FE9F006646530510001171"

    static let tokenCSP: [CheckExample] = [
        prefix("token-csp/good", .pass, token: true),
        prefix("token-csp/missing-image", .fail, "registered, but the DLL is missing", token: true),
        prefix("empty.reg", .fail, "E3: no driver", token: true),
        prefix("token-csp/other-vendor", .fail, "a Mingwah entry claims the token's ATR", token: true, atr: testATR),
        prefix("token-csp/good", .pass, "no other vendor claims the ATR", token: true, atr: testATR),
        prefix("token-csp/good", .notapplicable, "a file certificate needs no token driver"),
    ]
}
