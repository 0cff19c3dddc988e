import Foundation
import Testing
@testable import WindowsRegistry

/// One test per zone rule of `InternetZoneSettings`; the Wine rule set is also checked against
/// Wine's own urlmon in `ZoneDifferentialTests`.
struct InternetZoneSettingsTests {
    static let settings = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let wowSettings = "Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let policy = "Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let userDomains = "HKCU\\" + settings + "\\ZoneMap\\Domains"
    static let machineDomains = "HKLM\\" + settings + "\\ZoneMap\\Domains"

    func registry(_ entries: [(String, RegistryValue)]) throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        for (path, value) in entries {
            snapshot.withKey(creating: try RegistryPath(parsing: path)) { $0.setValue(value) }
        }
        return snapshot
    }

    func wine(_ entries: [(String, RegistryValue)], bitness: RegistryBitness = .native64) throws -> InternetZoneSettings {
        InternetZoneSettings(snapshot: try registry(entries), platform: .wine, bitness: bitness)
    }

    static func binary(_ bytes: [UInt8], name: String) -> RegistryValue { RegistryValue(name: name, type: .binary, data: bytes) }

    // MARK: Both rule sets

    @Test func trustedSiteFromUserDomainsWithSchemeAndImplicitWildcard() throws {
        let snapshot = try registry([
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            (Self.machineDomains + "\\corp.cn", RegistryValue(name: "http", dword: 1)),
        ])
        for platform in TargetPlatform.allCases {
            let zones = InternetZoneSettings(snapshot: snapshot, platform: platform, bitness: .native64)
            let trusted = zones.zone(for: "https://biz.sscc.com/portal")
            #expect(trusted.value == .trusted)
            #expect(trusted.source.layer == .user)
            #expect(trusted.source.path?.description.hasSuffix("Domains\\sscc.com\\biz") == true)
            #expect(zones.zone(for: "http://biz.sscc.com").value == .internet)
            #expect(zones.zone(for: "http://biz.sscc.com").source.layer == .builtInDefault)
            // A registrable domain key's value covers its subdomains.
            let intranet = zones.zone(for: "http://a.b.corp.cn:8080/x")
            #expect(intranet.value == .intranet)
            #expect(intranet.source.layer == .machine)
        }
    }

    // MARK: Rule 1: registry views

    @Test func machineZoneMapIsReadInTheCallersViewAndThe64BitOnlyEntryIsReported() throws {
        let snapshot = try registry([
            (Self.machineDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.wowSettings + "\\ZoneMap\\Domains\\other.cn", RegistryValue(name: "*", dword: 1)),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "2201", dword: 0)),
            ("HKLM\\" + Self.wowSettings + "\\Zones\\2", RegistryValue(name: "1004", dword: 0)),
        ])
        for platform in TargetPlatform.allCases {
            let wow = InternetZoneSettings(snapshot: snapshot, platform: platform)
            #expect(wow.bitness == .wow32)
            #expect(wow.zone(for: "https://biz.sscc.com").value == .internet)
            #expect(wow.zone(for: "https://www.other.cn").value == .intranet)
            let ignored = wow.ignoredZoneEntries(for: "https://biz.sscc.com")
            #expect(ignored == [IgnoredSetting(source: SettingSource(layer: .machine, path: try RegistryPath(parsing: Self.machineDomains + "\\sscc.com\\biz"),
                                                                     valueName: "https"), reason: .only64BitView)])
            #expect(wow.urlAction(0x2201, zone: .trusted) == nil)
            #expect(wow.ignoredActionSettings(0x2201, zone: .trusted).map(\.reason) == [.only64BitView])
            #expect(wow.urlAction(0x1004, zone: .trusted)?.value == .allow)
            #expect(wow.ignoredActionSettings(0x1004, zone: .trusted).isEmpty)

            let native = InternetZoneSettings(snapshot: snapshot, platform: platform, bitness: .native64)
            #expect(native.zone(for: "https://biz.sscc.com").value == .trusted)
            #expect(native.ignoredZoneEntries(for: "https://biz.sscc.com").isEmpty)
            #expect(native.urlAction(0x2201, zone: .trusted)?.value == .allow)
        }
    }

    @Test func policiesAreSharedByBothViews() throws {
        let snapshot = try registry([
            ("HKLM\\Software\\Wow6432Node\\Placeholder", RegistryValue(name: "v", dword: 1)),
            ("HKLM\\" + Self.policy, RegistryValue(name: "Security_HKLM_only", dword: 1)),
            ("HKLM\\" + Self.policy + "\\Zones\\2", RegistryValue(name: "1004", dword: 3)),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows, bitness: .wow32)
        #expect(windows.machineSettingsOnly.value)
        #expect(windows.urlAction(0x1004, zone: .trusted)?.source.layer == .machinePolicy)
    }

    // MARK: Rule 2: Windows Site to Zone Assignment List

    @Test func siteToZoneListPolicyHidesUserAndMachineDomains() throws {
        let snapshot = try registry([
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            (Self.machineDomains + "\\sscc.com", RegistryValue(name: "*", dword: 1)),
            ("HKLM\\" + Self.policy, RegistryValue(name: "ListBox_Support_ZoneMapKey", dword: 1)),
            ("HKLM\\" + Self.policy + "\\ZoneMapKey", RegistryValue(name: "https://portal.sscc.com", string: "2")),
            ("HKCU\\" + Self.policy + "\\ZoneMapKey", RegistryValue(name: "portal.sscc.com", string: "4")),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows, bitness: .native64)
        let unlisted = windows.zone(for: "https://biz.sscc.com")
        #expect(unlisted.value == .internet)
        #expect(unlisted.source.layer == .builtInDefault)
        #expect(Set(windows.ignoredZoneEntries(for: "https://biz.sscc.com")) == [
            IgnoredSetting(source: SettingSource(layer: .user, path: try RegistryPath(parsing: Self.userDomains + "\\sscc.com\\biz"), valueName: "https"),
                           reason: .hiddenBySiteToZoneList),
            IgnoredSetting(source: SettingSource(layer: .machine, path: try RegistryPath(parsing: Self.machineDomains + "\\sscc.com"), valueName: "*"),
                           reason: .hiddenBySiteToZoneList),
        ])
        // HKLM policy before HKCU policy.
        #expect(windows.zone(for: "https://portal.sscc.com").value == .trusted)
        #expect(windows.zone(for: "https://portal.sscc.com").source.layer == .machinePolicy)
        #expect(windows.zone(for: "http://portal.sscc.com").value == .restricted)
        // Wine reads none of it, and says so.
        let wine = InternetZoneSettings(snapshot: snapshot, platform: .wine, bitness: .native64)
        #expect(wine.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(wine.ignoredZoneEntries(for: "https://portal.sscc.com").map(\.reason) == [.notReadByWine, .notReadByWine])
    }

    @Test func withoutTheListBoxFlagThePolicyListComesFirstThenDomains() throws {
        let snapshot = try registry([
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.policy + "\\ZoneMapKey", RegistryValue(name: "https://portal.sscc.com", string: "1")),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows, bitness: .native64)
        #expect(windows.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(windows.zone(for: "https://portal.sscc.com").value == .intranet)
        #expect(windows.ignoredZoneEntries(for: "https://biz.sscc.com").isEmpty)
    }

    @Test func enhancedSecurityConfigurationDefaultsFromIEHardenOnWindows() throws {
        let snapshot = try registry([
            ("HKCU\\" + Self.settings + "\\ZoneMap", RegistryValue(name: "IEHarden", dword: 1)),
            (Self.machineDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.settings + "\\ZoneMap\\EscDomains\\sscc.com\\biz", RegistryValue(name: "https", dword: 4)),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows, bitness: .native64)
        #expect(windows.enhancedSecurityConfiguration)
        #expect(windows.zone(for: "https://biz.sscc.com").value == .restricted)
        let forcedOff = InternetZoneSettings(snapshot: snapshot, platform: .windows, bitness: .native64, enhancedSecurityConfiguration: false)
        #expect(forcedOff.zone(for: "https://biz.sscc.com").value == .trusted)
        let wine = InternetZoneSettings(snapshot: snapshot, platform: .wine, bitness: .native64)
        #expect(!wine.enhancedSecurityConfiguration)
        #expect(wine.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(wine.ignoredZoneEntries(for: "https://biz.sscc.com").map(\.reason) == [.notReadByWine])
    }

    @Test func machineOnlyPolicyDropsTheUserLayerOnWindows() throws {
        let snapshot = try registry([
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.policy, RegistryValue(name: "Security_HKLM_only", dword: 1)),
        ])
        #expect(InternetZoneSettings(snapshot: snapshot, platform: .windows).zone(for: "https://biz.sscc.com").value == .internet)
        #expect(InternetZoneSettings(snapshot: snapshot, platform: .wine).zone(for: "https://biz.sscc.com").value == .trusted)
    }

    // MARK: Rule 3: Wine's Domains search

    @Test func wineTakesTheFirstDomainKeyInSortedOrder() throws {
        // `biz.sscc.com` sorts before `sscc.com`, so the flat key decides although `sscc.com\biz` is as specific.
        let zones = try wine([
            (Self.userDomains + "\\biz.sscc.com", RegistryValue(name: "https", dword: 2)),
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 1)),
        ])
        #expect(zones.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(zones.zone(for: "https://biz.sscc.com").source.path?.description.hasSuffix("Domains\\biz.sscc.com") == true)
        // No https value in the flat key: the search goes on to the next domain key.
        let http = try wine([
            (Self.userDomains + "\\BIZ.SSCC.COM", RegistryValue(name: "http", dword: 2)),
            (Self.userDomains + "\\sscc.com\\Biz", RegistryValue(name: "https", dword: 1)),
        ])
        #expect(http.zone(for: "https://biz.sscc.com").value == .intranet)
        #expect(http.zone(for: "http://biz.sscc.com").value == .trusted)
    }

    @Test func wineSubkeysMatchOnlyExactlyOrByStarDotAndAMatchingSubkeyDecidesAlone() throws {
        #expect(try wine([(Self.userDomains + "\\sscc.com\\*", RegistryValue(name: "https", dword: 2))])
            .zone(for: "https://biz.sscc.com").value == .internet)
        let starDot = try wine([(Self.userDomains + "\\sscc.com\\*.biz", RegistryValue(name: "https", dword: 2))])
        #expect(starDot.zone(for: "https://ab.biz.sscc.com").value == .trusted)
        // Wine's `*.` test wants one character more than the pattern's length: a one-letter label fails.
        #expect(starDot.zone(for: "https://a.biz.sscc.com").value == .internet)
        // `*.biz` covers one label only, and not `biz` itself.
        #expect(try wine([(Self.userDomains + "\\sscc.com\\*.biz", RegistryValue(name: "https", dword: 2))])
            .zone(for: "https://biz.sscc.com").value == .internet)
        let shadowed = try wine([
            (Self.userDomains + "\\sscc.com", RegistryValue(name: "https", dword: 2)),
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "http", dword: 2)),
        ])
        #expect(shadowed.zone(for: "https://biz.sscc.com").value == .internet)
        #expect(shadowed.zone(for: "https://www.sscc.com").value == .trusted)
        // Windows keeps its most-specific-match rule: the domain key's own https value applies.
        #expect(InternetZoneSettings(snapshot: shadowed.snapshot, platform: .windows, bitness: .native64)
            .zone(for: "https://biz.sscc.com").value == .trusted)
    }

    @Test func wineDomainKeyValuesCoverSubdomainsOnlyForARegistrableDomain() throws {
        let zones = try wine([
            (Self.userDomains + "\\biz.sscc.com", RegistryValue(name: "*", dword: 2)),
            (Self.userDomains + "\\example.org", RegistryValue(name: "*", dword: 4)),
            (Self.userDomains + "\\com", RegistryValue(name: "*", dword: 1)),
        ])
        #expect(zones.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(zones.zone(for: "https://www.biz.sscc.com").value == .internet)
        #expect(zones.zone(for: "https://www.example.org").value == .restricted)
        #expect(zones.zone(for: "https://www.other.com").value == .internet)
        #expect(WineZoneRules.registrableDomainOffset(Array("sscc.com".utf16)) == 0)
        #expect(WineZoneRules.registrableDomainOffset(Array("biz.sscc.com".utf16)) == 4)
        #expect(WineZoneRules.registrableDomainOffset(Array("sscc.com.cn".utf16)) == 0)
        #expect(WineZoneRules.registrableDomainOffset(Array("com".utf16)) == nil)
    }

    @Test func wineExplicitWildcardDomainKeysAndCase() throws {
        let zones = try wine([(Self.userDomains + "\\*.SSCC.com", RegistryValue(name: "HTTPS", dword: 2))])
        #expect(zones.zone(for: "https://Biz.sscc.com").value == .trusted)
        #expect(zones.zone(for: "https://sscc.com").value == .internet)
        #expect(zones.zone(for: "https://biz.sscc.com.evil.cn").value == .internet)
    }

    @Test func wineZoneValuesMustBeDWORDsAndUserComesBeforeMachine() throws {
        let zones = try wine([
            (Self.userDomains + "\\sscc.com\\biz", Self.binary([2, 0, 0, 0], name: "https")),
            (Self.userDomains + "\\sscc.com\\biz", RegistryValue(name: "*", dword: 4)),
            (Self.machineDomains + "\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            (Self.machineDomains + "\\sscc.com\\www", RegistryValue(name: "https", dword: 1)),
            (Self.userDomains + "\\sscc.com\\www", Self.binary([2, 0, 0, 0], name: "https")),
        ])
        #expect(zones.zone(for: "https://biz.sscc.com").value == .restricted)
        #expect(zones.zone(for: "https://biz.sscc.com").source.valueName == "*")
        #expect(zones.zone(for: "https://www.sscc.com").value == .intranet)
        #expect(zones.zone(for: "https://www.sscc.com").source.layer == .machine)
    }

    @Test func wineProtocolDefaultsTakeAny4ByteValue() throws {
        let zones = try wine([
            ("HKCU\\" + Self.settings + "\\ZoneMap\\ProtocolDefaults", Self.binary([1, 0, 0, 0], name: "https")),
            ("HKLM\\" + Self.settings + "\\ZoneMap\\ProtocolDefaults", RegistryValue(name: "http", dword: 4)),
        ])
        #expect(zones.zone(for: "https://a.example").value == .intranet)
        #expect(zones.zone(for: "http://a.example").value == .restricted)
        #expect(zones.zone(for: "http://a.example").source.layer == .machine)
        #expect(zones.zone(for: "ftp://a.example").source.layer == .builtInDefault)
    }

    // MARK: Rule 4: URL actions

    @Test func wineActionsFallBackToMachineAndReadAny4ByteValue() throws {
        let zones = try wine([
            ("HKCU\\" + Self.settings + "\\Zones\\2", Self.binary([0, 0, 0, 0, 0], name: "1004")),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1004", dword: 3)),
            ("HKCU\\" + Self.settings + "\\Zones\\2", Self.binary([3, 0, 0, 0], name: "2201")),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "2200", dword: 1)),
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1200", dword: 0x10000)),
            ("HKLM\\" + Self.policy + "\\Zones\\2", RegistryValue(name: "1803", dword: 0)),
        ])
        #expect(zones.urlAction(0x1004, zone: .trusted)?.value == .disallow)
        #expect(zones.urlAction(0x1004, zone: .trusted)?.source.layer == .machine)
        #expect(zones.urlAction(0x2201, zone: .trusted)?.value == .disallow)
        #expect(zones.urlAction(0x2201, zone: .trusted)?.source.layer == .user)
        let prompt = try #require(zones.urlAction(0x2200, zone: .trusted))
        #expect(prompt.value == .prompt)
        #expect(prompt.value.wineProcessUrlActionResult == .failedNotImplemented)
        #expect(zones.urlAction(0x1200, zone: .trusted)?.value.wineProcessUrlActionResult == .allowed)
        #expect(zones.urlAction(0x1803, zone: .trusted) == nil)
        #expect(zones.ignoredActionSettings(0x1803, zone: .trusted).map(\.reason) == [.notReadByWine])
    }

    @Test func wineHardWiresTheScriptSafetyOverridesToDisallow() throws {
        let zones = try wine([
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1203", dword: 0)),
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1401", dword: 0)),
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1201", dword: 0)),
        ])
        for action: UInt32 in [0x1203, 0x1401] {
            #expect(zones.urlAction(action, zone: .trusted) == EffectiveSetting(value: .disallow, source: SettingSource(layer: .builtInDefault)))
        }
        #expect(zones.urlAction(0x1201, zone: .trusted)?.value == .allow)
    }

    @Test func windowsActionsPolicyFirstThenUserThenMachine() throws {
        let snapshot = try registry([
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1004", dword: 0)),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1004", dword: 1)),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "120A", dword: 3)),
            ("HKLM\\" + Self.policy + "\\Zones\\2", RegistryValue(name: "1004", dword: 3)),
            ("HKCU\\" + Self.settings + "\\Zones\\2", Self.binary([0, 0, 0, 0], name: "2201")),
            ("HKCU\\" + Self.settings + "\\Zones\\2", Self.binary([0, 0], name: "2200")),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows)
        #expect(windows.urlAction(0x1004, zone: .trusted) == EffectiveSetting(value: .disallow, source: SettingSource(
            layer: .machinePolicy, path: try RegistryPath(parsing: "HKLM\\" + Self.policy + "\\Zones\\2"), valueName: "1004")))
        #expect(windows.urlAction(0x120A, zone: .trusted)?.source.layer == .machine)
        #expect(windows.urlAction(0x2201, zone: .trusted)?.value == .allow)
        #expect(windows.urlAction(0x2200, zone: .trusted) == nil)
        #expect(windows.urlAction(0x1203, zone: .trusted) == nil)
        let wine = InternetZoneSettings(snapshot: snapshot, platform: .wine)
        #expect(wine.urlAction(0x1004, zone: .trusted)?.value == .allow)
        #expect(wine.urlAction(0x1004, zone: .trusted)?.source.layer == .user)
        #expect(wine.urlAction(0x120A, zone: .trusted)?.source.layer == .machine)
    }
}
