import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry
import XMLSupport

/// R4, R5: on Windows 10 and later IE is gone; Edge must allow IE mode and open the portal in it, from an
/// Enterprise Mode Site List or the user's own IE-mode pages.
public struct IEModeCheck: Check {
    static let description = CheckDescription(
        id: "browser.ie-mode",
        title: Localized(zh: "Edge 以 IE 模式打开统一客户专区", en: "Edge opens the portal in IE mode"),
        summary: Localized(
            zh: "Windows 10 及以上：Edge 允许 IE 模式（InternetExplorerIntegrationLevel=1，允许在 IE 模式下重新加载），且站点列表（企业模式站点列表 XML 或用户列表）以 IE 模式打开 biz.sscc.com；只有 biz.sccc.com（手册笔误）的列表不合格。Wine 前缀中没有 Edge，不适用。",
            en: "Windows 10 and later: Edge allows IE mode (InternetExplorerIntegrationLevel=1, reload in IE mode allowed) and a site list (Enterprise Mode Site List XML, or the user list) opens biz.sscc.com in IE mode; a list with only biz.sccc.com (the manual's typo) fails. Not applicable to a Wine prefix, which has no Edge."),
        requirements: ["R4", "R5"],
        category: "browser",
        severity: .required,
        facets: [.windowsSide],
        fix: Localized(
            zh: "离线注册表：生成 Edge 的计算机策略 Registry.pol（启用 IE 模式、允许重新加载、站点列表路径）和含 biz.sscc.com 的站点列表 XML（去掉笔误的 biz.sccc.com）。",
            en: "Exported registry: writes Edge machine policy as a Registry.pol (IE mode on, reload allowed, site list path) and a site list XML holding biz.sscc.com (without the typo biz.sccc.com)."),
        examples: WindowsExamples.ieMode)

    public var description: CheckDescription { Self.description }

    public static let edgePolicy = "Software\\Policies\\Microsoft\\Edge"
    static let edgeRecommended = edgePolicy + "\\Recommended"
    /// Windows' own version (`CurrentBuild`, `ProductName`), which `collect-script` exports.
    public static let windowsVersion = WindowsSide.currentVersionKey

    public func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        if side.isWine {
            return .notApplicable(Localized(
                zh: "Wine 前缀中没有 Edge：控件在 Wine 的 IE（mshtml）中直接运行，不需要 IE 模式",
                en: "a Wine prefix has no Edge: the controls run in Wine's own IE (mshtml), so IE mode does not apply"))
        }
        var evidence: [Evidence] = []
        if let product = side.machineKey(Self.windowsVersion, view: .bit64)?.value(named: "ProductName")?.stringValue {
            evidence.append(Evidence("ProductName", product))
        }
        if let build = side.machineKey(Self.windowsVersion, view: .bit64)?.value(named: "CurrentBuild")?.stringValue,
           let number = Int(build) {
            evidence.append(Evidence("CurrentBuild", build))
            if number < 10240 {
                return .notApplicable(Localized(zh: "Windows 10 之前的系统（版本 \(build)）直接使用 IE", en: "Windows before 10 (build \(build)) uses IE itself"))
            }
        }
        let portal = try PortalNames(context.environment)
        // Only the mandatory policy counts: Edge does not apply these two from `…\Edge\Recommended`.
        func policy(_ name: String) -> (RegistryValue, String)? {
            for (key, label) in [(side.machineKey(Self.edgePolicy, view: .bit64), "HKLM"), (side.userKey(Self.edgePolicy), "HKCU")] {
                if let value = key?.value(named: name) { return (value, "\(label)\\\(Self.edgePolicy)") }
            }
            for (key, label) in [(side.machineKey(Self.edgeRecommended, view: .bit64), "HKLM"), (side.userKey(Self.edgeRecommended), "HKCU")] {
                if key?.value(named: name) != nil {
                    evidence.append(Evidence("ignored", "\(label)\\\(Self.edgeRecommended) \"\(name)\" (Edge does not apply this policy as a recommended one)"))
                }
            }
            return nil
        }
        var problems: [Localized] = []
        let level = policy("InternetExplorerIntegrationLevel")
        evidence.append(Evidence("InternetExplorerIntegrationLevel", level.map { "\($0.0.dwordValue.map(String.init) ?? "?") ← \($0.1)" } ?? "not set"))
        if level?.0.dwordValue != 1 {
            problems.append(Localized(zh: "Edge 未启用 IE 模式（InternetExplorerIntegrationLevel 应为 1）", en: "Edge does not enable IE mode (InternetExplorerIntegrationLevel must be 1)"))
        }
        let reload = policy("InternetExplorerIntegrationReloadInIEModeAllowed")
        evidence.append(Evidence("InternetExplorerIntegrationReloadInIEModeAllowed", reload.map { "\($0.0.dwordValue.map(String.init) ?? "?") ← \($0.1)" } ?? "not set"))

        var listed = false
        var typo: String?
        if let (value, source) = policy("InternetExplorerIntegrationSiteList"), let location = value.stringValue {
            evidence.append(Evidence("InternetExplorerIntegrationSiteList", "\(location) ← \(source)", kind: .path))
            // The policy names a file on the customer's machine; the copy given on the command line is matched by name.
            let name = location.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? location
            if let file = side.otherFiles.first(where: { $0.name.lowercased() == name.lowercased() }) {
                let sites = try Self.sites(in: file)
                evidence.append(Evidence("site list", "\(file.displayPath): " + sites.map { "\($0.url) → \($0.openIn)" }.joined(separator: ", "), kind: .path))
                if let decisive = Self.mostSpecific(sites, host: portal.host) {
                    evidence.append(Evidence("decides", "\(decisive.url) → \(decisive.openIn)"))
                    listed = decisive.openIn == "IE11"
                }
                typo = portal.typoHosts.first { typo in Self.mostSpecific(sites, host: typo)?.openIn == "IE11" }
            } else {
                problems.append(Localized(
                    zh: "策略指定的站点列表 \(name) 未随 --registry 提供，无法检查", en: "the site list \(name) the policy names was not given with --registry, so it cannot be checked"))
            }
        }
        if !listed, let preferences = side.otherFiles.first(where: { ExportKind(fileName: $0.name) == .edgePreferences }) {
            let pages = try EdgePreferences.read(preferences).ieModeUserPages
            evidence.append(Evidence("IE mode pages", pages.joined(separator: ", "), kind: .path))
            listed = pages.contains { Self.matches($0, host: portal.host) }
            typo = typo ?? portal.typoHosts.first { typo in pages.contains { Self.matches($0, host: typo) } }
            if listed && reload?.0.dwordValue != 1 && level?.0.dwordValue != 1 {
                problems.append(Localized(zh: "用户列表需要“允许在 IE 模式下重新加载网站”", en: "the user list needs 'allow sites to be reloaded in IE mode'"))
            }
        }
        if !listed {
            problems.append(Localized(zh: "没有以 IE 模式打开 \(portal.host) 的站点列表", en: "no site list opens \(portal.host) in IE mode")
                + (typo.map { Localized(zh: "（列表中只有手册笔误的 \($0)）", en: " (the list holds only the manual's typo \($0))") } ?? Localized(verbatim: "")))
        }
        if problems.isEmpty {
            return .pass(Localized(zh: "Edge 以 IE 模式打开 \(portal.host)", en: "Edge opens \(portal.host) in IE mode"), evidence: evidence)
        }
        return .fail(
            Localized.joined(problems),
            evidence: evidence,
            remedy: Localized(
                zh: "在 Edge 设置 → 默认浏览器 中把“允许在 Internet Explorer 模式下重新加载网站”设为允许，并添加 https://biz.sscc.com 等三个 IE 模式页面（不是 biz.sccc.com）；或由管理员配置企业模式站点列表。",
                en: "In Edge Settings → Default browser set 'Allow sites to be reloaded in Internet Explorer mode' to Allow and add the three IE-mode pages starting https://biz.sscc.com (not biz.sccc.com); or have an administrator configure an Enterprise Mode Site List."))
    }

    /// One `<site>` of an Enterprise Mode Site List v2: its `url` and where it opens (`IE11`, `MSEdge`, `None`).
    struct Site: Equatable {
        var url: String
        var openIn: String
    }

    static func sites(in file: ExportedFile) throws -> [Site] {
        do {
            let document = try XMLDocument(bytes: file.bytes, fileName: file.displayPath)
            return document.root.children(named: "site").compactMap { site in
                guard let url = site.attribute("url") else { return nil }
                let openIn = site.firstChild(named: "open-in")?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? "None"
                return Site(url: url, openIn: openIn.isEmpty ? "None" : openIn)
            }
        } catch let error as XMLError {
            throw ManifestError.xml(error)
        }
    }

    /// The entry that decides for the host's start page: of those naming the host (or a domain above it) with no
    /// path below `/`, the most specific — the longest host — as Edge picks the best match.
    static func mostSpecific(_ sites: [Site], host: String) -> Site? {
        sites.filter { site in
            var text = site.url.lowercased()
            if let range = text.range(of: "://") { text = String(text[range.upperBound...]) }
            let path = text.drop { $0 != "/" }
            return matches(site.url, host: host) && (path.isEmpty || path == "/")
        }.max { hostPart(of: $0.url).count < hostPart(of: $1.url).count }
    }

    static func hostPart(of entry: String) -> String {
        var text = entry.lowercased()
        if let range = text.range(of: "://") { text = String(text[range.upperBound...]) }
        return String(text.prefix { $0 != "/" && $0 != ":" && $0 != "#" })
    }

    /// A site-list URL (domain, subdomain or path, no scheme) or a page URL names the host.
    static func matches(_ entry: String, host: String) -> Bool {
        var text = entry.lowercased()
        if let range = text.range(of: "://") { text = String(text[range.upperBound...]) }
        if let end = text.firstIndex(where: { $0 == "/" || $0 == ":" || $0 == "#" }) { text = String(text[..<end]) }
        return text == host || host.hasSuffix("." + text)
    }

    /// Where the fix's site list goes on the customer's machine when no policy names one yet.
    static let defaultSiteListPath = "C:\\ProgramData\\SSCC\\sscc-sites.xml"

    public func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        guard !side.isWine else { return nil }
        let portal = try PortalNames(context.environment)
        func dword(_ name: String) -> UInt32? {
            [side.machineKey(Self.edgePolicy, view: .bit64), side.userKey(Self.edgePolicy)].compactMap { $0?.value(named: name)?.dwordValue }.first
        }
        var policy: [OfflineFix.PolicyValue] = []
        if dword("InternetExplorerIntegrationLevel") != 1 {
            policy.append((Self.edgePolicy, RegistryValue(name: "InternetExplorerIntegrationLevel", dword: 1), true))
        }
        if dword("InternetExplorerIntegrationReloadInIEModeAllowed") != 1 {
            policy.append((Self.edgePolicy, RegistryValue(name: "InternetExplorerIntegrationReloadInIEModeAllowed", dword: 1), true))
        }
        let named = [side.machineKey(Self.edgePolicy, view: .bit64), side.userKey(Self.edgePolicy)]
            .compactMap { $0?.value(named: "InternetExplorerIntegrationSiteList")?.stringValue }.first
        if named == nil {
            policy.append((Self.edgePolicy, RegistryValue(name: "InternetExplorerIntegrationSiteList", string: Self.defaultSiteListPath), true))
        }
        let location = named ?? Self.defaultSiteListPath
        let fileName = location.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? "sscc-sites.xml"
        let existing = side.otherFiles.first { $0.name.lowercased() == fileName.lowercased() }
        let siteList = try Self.correctedSiteList(existing: existing, host: portal.host, typos: portal.typoHosts)
        let output = OfflineFix.directory(context.environment).appendingPathComponent(fileName)
        var steps = try OfflineFix.plan(
            checkID: Self.description.id, context: context, side: side, summary: Localized(verbatim: ""),
            userValues: [], policyValues: policy)?.steps ?? []
        steps.append(FixStep(
            description: Localized(
                zh: "写入站点列表 \(output.path)（以 IE 模式打开 \(portal.host)；放到客户电脑的 \(location)）",
                en: "write the site list \(output.path) (opens \(portal.host) in IE mode; goes to \(location) on the customer's machine)"),
            touches: [output], apply: { writer in try writer.replace(output, with: siteList) }))
        return FixPlan(
            checkID: Self.description.id,
            summary: Localized(zh: "让 Edge 以 IE 模式打开统一客户专区（R4、R5）", en: "make Edge open the portal in IE mode (R4, R5)"),
            steps: steps, afterword: BrowserRestart.afterword)
    }

    /// The given Enterprise Mode Site List with the portal added and the typo entries left out (its version
    /// raised so that Edge reloads it), or a new list.
    static func correctedSiteList(existing: ExportedFile?, host: String, typos: [String]) throws -> [UInt8] {
        let output = XMLDocument(rootName: "site-list")
        var version = 0
        do {
            if let existing {
                let document = try XMLDocument(bytes: existing.bytes, fileName: existing.displayPath)
                version = try siteListVersion(document.root.attribute("version"), file: existing.displayPath)
                for site in document.root.children(named: "site") {
                    guard let url = site.attribute("url"), !typos.contains(where: { matches(url, host: $0) }), !matches(url, host: host) else { continue }
                    let copy = output.root.addChild("site")
                    copy.setAttribute("url", url)
                    for child in site.children { copy.addChild(child.name, text: child.text).setAttributesFrom(child) }
                }
            }
            output.root.setAttribute("version", String(version + 1))
            let site = output.root.addChild("site")
            site.setAttribute("url", host)
            site.addChild("compat-mode", text: "Default")
            site.addChild("open-in", text: "IE11").setAttribute("allow-redirect", "true")
            return try output.serialized(pretty: true)
        } catch let error as XMLError {
            throw ManifestError.xml(error)
        }
    }
}

extension IEModeCheck {
    /// The site list's version, which Edge compares to reload the list: a whole number the next one can follow.
    /// Anything else is named, never trapped on when it is raised (9223372036854775807 + 1).
    static func siteListVersion(_ text: String?, file: String) throws -> Int {
        guard let text, !text.isEmpty else { return 0 }
        guard let value = Int(text), (0..<Int(Int32.max)).contains(value) else {
            throw ManifestError.invalid(
                file: file, line: 1, reason: "site-list version '\(text)' is not a whole number from 0 to \(Int32.max - 1)")
        }
        return value
    }
}

extension XMLElement {
    func setAttributesFrom(_ other: XMLElement) {
        for attribute in other.attributes where attribute.namespaceURI == nil { setAttribute(attribute.name, attribute.value) }
    }
}

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
    static let ieMode: [CheckExample] = [
        registry("ie-mode/site-list", .pass, "the policy's site list, matched by file name"),
        registry("ie-mode/typo", .fail, "only biz.sccc.com: the manual's typo"),
        registry("ie-mode/missing-file", .fail, "the policy names a file that was not given"),
        registry("ie-mode/user-list", .pass, "the user's IE-mode pages in Edge's Preferences"),
        registry("empty.reg", .fail),
        prefix("empty.reg", .notapplicable, "no Edge in a Wine prefix"),
        registry("ie-mode/recommended-only", .fail, "Edge does not apply these policies from Recommended"),
        registry("ie-mode/most-specific", .fail, "biz.sscc.com → MSEdge is more specific than sscc.com → IE11"),
        registry("ie-mode/windows7.reg", .notapplicable, "Windows 7 (build 7601) runs IE itself"),
    ]
}
