import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry

/// R1 (E9): downloads and pop-ups from the portal are not blocked — or the renewed certificate is issued
/// and never saved ("证书更新成功, 下载拦截导致证书保存失败").
struct DownloadsCheck: Check {
    static let description = CheckDescription(
        id: "browser.downloads",
        title: Localized(zh: "浏览器允许统一客户专区的下载和弹出窗口", en: "The browser allows the portal's downloads and pop-ups"),
        summary: Localized(
            zh: "Windows 端：IE 弹出窗口允许列表（New Windows\\Allow）含门户，且区域 2 的 2200 为 0；Linux 浏览器（--browser 指定，或未指定 Windows 端时已安装的）：托管策略 PopupsAllowedForUrls、AutomaticDownloadsAllowedForUrls（Firefox 为 PopupBlocking.Allow）允许门户。",
            en: "Windows side: the IE pop-up allow list (New Windows\\Allow) holds the portal and action 2200 is 0 in zone 2; Linux browsers (--browser, or the installed ones when no Windows side is given): the managed policies PopupsAllowedForUrls and AutomaticDownloadsAllowedForUrls (Firefox: PopupBlocking.Allow) allow the portal."),
        requirements: ["R1", "E9"],
        category: "browser",
        severity: .required,
        facets: [.host],
        fix: Localized(
            zh: "Wine 前缀：写入 HKCU New Windows\\Allow 和 Zones\\2 2200=0；Linux 浏览器：在策略目录写入 certdoctor-sscc.json。",
            en: "Wine prefix: writes HKCU New Windows\\Allow and Zones\\2 2200=0; Linux browsers: writes certdoctor-sscc.json into the policy directory."),
        examples: WindowsExamples.downloads)

    var description: CheckDescription { Self.description }

    static let allowList = "Software\\Microsoft\\Internet Explorer\\New Windows\\Allow"
    static let policyAllowList = "Software\\Policies\\Microsoft\\Internet Explorer\\New Windows\\Allow"

    /// The browsers to look at: those asked for; else, with no Windows side, those installed; else none
    /// (a Windows-side run is not failed by a Linux browser nobody asked about).
    static func browsers(_ environment: Environment) -> [LinuxBrowser] {
        if !environment.browsers.isEmpty { return environment.browsers.compactMap { LinuxBrowser(rawValue: $0.lowercased()) } }
        if environment.provides(.windowsSide) { return [] }
        return LinuxBrowser.allCases.filter { $0.isInstalled(root: environment.browserPolicyRoot) }
    }

    /// A pop-up/download pattern covers the portal: `https://biz.sscc.com`, `biz.sscc.com`, `[*.]sscc.com`,
    /// `*.sscc.com`, `sscc.com` (Chromium patterns without a scheme match every scheme).
    static func covers(_ pattern: String, host: String) -> Bool {
        var text = pattern.lowercased().trimmingCharacters(in: .whitespaces)
        if let range = text.range(of: "://") {
            guard ["https", "*"].contains(String(text[..<range.lowerBound])) else { return false }
            text = String(text[range.upperBound...])
        }
        if let end = text.firstIndex(where: { $0 == "/" || $0 == ":" }) { text = String(text[..<end]) }
        for prefix in ["[*.]", "*."] where text.hasPrefix(prefix) {
            let domain = String(text.dropFirst(prefix.count))
            return host == domain || host.hasSuffix("." + domain)
        }
        return text == host || host.hasSuffix("." + text)
    }

    struct BrowserState {
        var browser: LinuxBrowser
        var popups: Bool
        var downloads: Bool
        var files: [String]
    }

    static func state(of browser: LinuxBrowser, root: URL, host: String) -> BrowserState {
        let directory = root.appendingPathComponent(browser.policyDirectory)
        var state = BrowserState(browser: browser, popups: false, downloads: browser == .firefox, files: [])
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        for name in names where browser != .firefox || name == "policies.json" {
            let file = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file.path),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            state.files.append(file.path)
            if browser == .firefox {
                let popup = (object["policies"] as? [String: Any])?["PopupBlocking"] as? [String: Any]
                if (popup?["Allow"] as? [String] ?? []).contains(where: { covers($0, host: host) }) { state.popups = true }
            } else {
                if (object["PopupsAllowedForUrls"] as? [String] ?? []).contains(where: { covers($0, host: host) }) { state.popups = true }
                if (object["AutomaticDownloadsAllowedForUrls"] as? [String] ?? []).contains(where: { covers($0, host: host) }) { state.downloads = true }
            }
        }
        return state
    }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let environment = context.environment
        let portal = try PortalNames(environment)
        var evidence: [Evidence] = []
        var problems: [Localized] = []
        if environment.provides(.windowsSide) {
            let side = try WindowsSide.load(context)
            let allowed = windowsAllowEntry(side, host: portal.host)
            evidence.append(Evidence("New Windows\\Allow", allowed ?? "no entry for \(portal.host)"))
            if allowed == nil {
                problems.append(Localized(zh: "IE 弹出窗口允许列表中没有 \(portal.host)", en: "the IE pop-up allow list does not hold \(portal.host)"))
            }
            let action = side.zones.urlAction(0x2200, zone: .trusted)
            evidence.append(Evidence("zone 2 action 2200", action.map { "\($0.value.rawValue) ← \(side.describe($0.source))" } ?? "not set"))
            if action?.value != .allow {
                problems.append(Localized(zh: "文件下载的自动提示（2200）未启用", en: "automatic prompting for file downloads (2200) is not enabled"))
            }
        }
        let browsers = Self.browsers(environment)
        for browser in browsers {
            let state = Self.state(of: browser, root: environment.browserPolicyRoot, host: portal.host)
            evidence.append(Evidence(browser.rawValue, "pop-ups \(state.popups ? "allowed" : "blocked"), downloads \(state.downloads ? "allowed" : "not allowed") (\(state.files.isEmpty ? "no policy file" : state.files.joined(separator: ", ")))", kind: .path))
            if !state.popups || !state.downloads {
                problems.append(Localized(zh: "\(browser.rawValue) 的托管策略未允许门户的弹出窗口/自动下载", en: "\(browser.rawValue)'s managed policies do not allow the portal's pop-ups/automatic downloads"))
            }
        }
        if !environment.provides(.windowsSide) && browsers.isEmpty {
            return .notApplicable(Localized(zh: "未指定 Windows 端，也未找到已安装的 Linux 浏览器（--browser）", en: "no Windows side given and no Linux browser installed (--browser)"))
        }
        if problems.isEmpty {
            return .pass(Localized(zh: "门户的下载和弹出窗口不会被拦截", en: "the portal's downloads and pop-ups are not blocked"), evidence: evidence)
        }
        return .fail(
            Localized.joined(problems),
            evidence: evidence,
            remedy: Localized(
                zh: "浏览器拦截下载时选择“始终允许”；或运行 certdoctor fix 写入允许列表和策略（R1）。",
                en: "When the browser blocks a download, choose 'always allow'; or run certdoctor fix to write the allow lists and policies (R1)."))
    }

    func windowsAllowEntry(_ side: WindowsSide, host: String) -> String? {
        let places: [(RegistryKey?, String)] = [
            (side.machineKey(Self.policyAllowList, view: .bit64), "HKLM\\" + Self.policyAllowList),
            (side.userKey(Self.policyAllowList), "HKCU\\" + Self.policyAllowList),
            (side.userKey(Self.allowList), "HKCU\\" + Self.allowList),
            (side.machineKey(Self.allowList), side.machineDisplayPath(Self.allowList)),
        ]
        for (key, label) in places {
            if let value = key?.values.first(where: { !$0.name.isEmpty && Self.covers($0.name, host: host) }) {
                return "\(label) \"\(value.name)\""
            }
        }
        return nil
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let environment = context.environment
        let portal = try PortalNames(environment)
        var steps: [FixStep] = []
        if let prefix = environment.winePrefix, environment.provides(.windowsSide) {
            let side = try WindowsSide.load(context)
            if windowsAllowEntry(side, host: portal.host) == nil {
                let host = portal.host
                steps.append(PrefixHiveEdit.step(
                    prefix: prefix, hive: .user,
                    description: Localized(verbatim: "HKCU\\\(Self.allowList) \"\(host)\" = hex:00,00"),
                    edit: PrefixHiveEdit.setValue(RegistryValue(name: host, type: .binary, data: [0, 0]), at: Self.allowList)))
            }
            if side.zones.urlAction(0x2200, zone: .trusted)?.value != .allow {
                let path = InternetZoneSettings.settingsPath + "\\Zones\\2"
                steps.append(PrefixHiveEdit.step(
                    prefix: prefix, hive: .user,
                    description: PrefixHiveEdit.describeSet("HKCU", path, "2200", 0, was: side.userKey(path)?.value(named: "2200")?.dwordValue),
                    edit: PrefixHiveEdit.setDWord(0, name: "2200", at: path)))
            }
        }
        if environment.winePrefix == nil, environment.provides(.windowsSide) {
            // An exported registry: the fix is a .reg (and a Registry.pol where a policy decides 2200).
            let side = try WindowsSide.load(context)
            var userValues: [OfflineFix.UserValue] = []
            var policyValues: [OfflineFix.PolicyValue] = []
            if windowsAllowEntry(side, host: portal.host) == nil {
                userValues.append((Self.allowList, RegistryValue(name: portal.host, type: .binary, data: [0, 0])))
            }
            let action = side.zones.urlAction(0x2200, zone: .trusted)
            if let action, action.value != .allow, action.source.isPolicy {
                policyValues.append((InternetZoneSettings.policyPath + "\\Zones\\2", RegistryValue(name: "2200", dword: 0), action.source.layer == .machinePolicy))
            } else if action?.value != .allow {
                userValues.append((InternetZoneSettings.settingsPath + "\\Zones\\2", RegistryValue(name: "2200", dword: 0)))
            }
            if let plan = try OfflineFix.plan(
                checkID: Self.description.id, context: context, side: side,
                summary: Localized(zh: "允许门户的下载和弹出窗口（R1）", en: "allow the portal's downloads and pop-ups (R1)"),
                userValues: userValues, policyValues: policyValues) {
                steps += plan.steps
            }
        }
        let root = environment.browserPolicyRoot
        for browser in Self.browsers(environment) {
            let state = Self.state(of: browser, root: root, host: portal.host)
            guard !state.popups || !state.downloads else { continue }
            let directory = root.appendingPathComponent(browser.policyDirectory)
            let file = directory.appendingPathComponent(browser == .firefox ? "policies.json" : LinuxBrowser.fixFileName)
            let url = portal.url
            steps.append(FixStep(
                description: Localized(zh: "写入 \(file.path)：允许 \(url) 的弹出窗口和自动下载", en: "write \(file.path): allow \(url)'s pop-ups and automatic downloads"),
                touches: [file],
                apply: { writer in
                    // Read through the writer, which holds what earlier steps left; the journal writes the file
                    // (and creates its directory) once all steps have run.
                    var object = try writer.contents(of: file).flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } ?? [:]
                    func adding(_ list: Any?) -> [String] {
                        let existing = list as? [String] ?? []
                        return existing.contains(url) ? existing : existing + [url]
                    }
                    if browser == .firefox {
                        var policies = object["policies"] as? [String: Any] ?? [:]
                        var popups = policies["PopupBlocking"] as? [String: Any] ?? [:]
                        popups["Allow"] = adding(popups["Allow"])
                        policies["PopupBlocking"] = popups
                        object["policies"] = policies
                    } else {
                        object["PopupsAllowedForUrls"] = adding(object["PopupsAllowedForUrls"])
                        object["AutomaticDownloadsAllowedForUrls"] = adding(object["AutomaticDownloadsAllowedForUrls"])
                    }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                    // Browsers read the policy as the desktop user, so a new file must be world-readable (the
                    // journal's atomic write keeps an existing file's mode).
                    try writer.replace(file, with: Array(data), newFileMode: 0o644)
                }))
        }
        guard !steps.isEmpty else { return nil }
        return FixPlan(
            checkID: Self.description.id,
            summary: Localized(zh: "允许门户的下载和弹出窗口（R1）", en: "allow the portal's downloads and pop-ups (R1)"),
            steps: steps, afterword: BrowserRestart.afterword)
    }
}

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
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
}
