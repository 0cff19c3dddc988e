import Foundation
import Testing
@testable import WindowsRegistry

struct RegistryViewTests {
    /// A machine hive laid out like a win64 Wine prefix's system.reg (links included).
    static let machineHive = """
    WINE REGISTRY Version 2
    ;; All keys relative to REGISTRY\\\\Machine

    #arch=win64

    [Software\\\\Classes\\\\CLSID\\\\{64}] 0
    @="64-bit control"

    [Software\\\\Classes\\\\OnlyNative] 0
    @="shared"

    [Software\\\\Classes\\\\Wow6432Node\\\\CLSID\\\\{32}] 0
    @="32-bit control"

    [Software\\\\Microsoft\\\\Only64] 0
    "v"=dword:00000040

    [Software\\\\Microsoft\\\\Both] 0
    "v"=dword:00000040

    [Software\\\\Wow6432Node\\\\Classes] 0
    #link
    "SymbolicLinkValue"=hex(6):5c,00,52,00,45,00,47,00,49,00,53,00,54,00,52,00,59,00,5c,00,4d,00,61,00,63,00,68,00,69,00,6e,00,65,00,5c,00,53,00,6f,00,66,00,74,00,77,00,61,00,72,00,65,00,5c,00,43,00,6c,00,61,00,73,00,73,00,65,00,73,00,5c,00,57,00,6f,00,77,00,36,00,34,00,33,00,32,00,4e,00,6f,00,64,00,65,00

    [Software\\\\Wow6432Node\\\\Microsoft\\\\Both] 0
    "v"=dword:00000020

    """

    func snapshot() throws -> RegistrySnapshot {
        let system = try WineHiveCodec.decode(Array(Self.machineHive.utf8), fileName: "system.reg")
        return WinePrefixRegistry(system: system, user: WineHive(relativeTo: "REGISTRY\\User\\S-1-5-21-0-0-0-1000")).snapshot
    }

    @Test func thirtyTwoBitProcessesSeeWow6432NodeWithoutFallback() throws {
        let registry = try snapshot()
        let both = try RegistryPath(parsing: "HKLM\\Software\\Microsoft\\Both")
        #expect(registry.key(at: both)?.value(named: "v")?.dwordValue == 0x40)
        #expect(registry.key(at: both, bitness: .wow32)?.value(named: "v")?.dwordValue == 0x20)
        #expect(registry.key(at: try RegistryPath(parsing: "HKLM\\Software\\Microsoft\\Only64"), bitness: .wow32) == nil)
        #expect(registry.resolve(both, bitness: .wow32)?.components == ["Software", "Wow6432Node", "Microsoft", "Both"])
    }

    @Test func classesRootIsMachineClassesAndSharedFor32Bit() throws {
        let registry = try snapshot()
        #expect(registry.key(at: try RegistryPath(parsing: "HKCR\\CLSID\\{64}"))?.defaultValue?.stringValue == "64-bit control")
        #expect(registry.key(at: try RegistryPath(parsing: "HKCR\\CLSID\\{32}"), bitness: .wow32)?.defaultValue?.stringValue == "32-bit control")
        #expect(registry.key(at: try RegistryPath(parsing: "HKCR\\CLSID\\{64}"), bitness: .wow32) == nil)
        // Classes\Wow6432Node is shared: a name missing there comes from Software\Classes.
        #expect(registry.key(at: try RegistryPath(parsing: "HKCR\\OnlyNative"), bitness: .wow32)?.defaultValue?.stringValue == "shared")
        // HKLM\Software\Wow6432Node\Classes is a link to Software\Classes\Wow6432Node.
        #expect(registry.key(at: try RegistryPath(parsing: "HKLM\\Software\\Classes\\CLSID\\{32}"), bitness: .wow32)?.defaultValue?.stringValue == "32-bit control")
    }

    @Test func offlineUnionAppliesRegFilesAndPoliciesInOrder() throws {
        var registry = RegistrySnapshot(currentUserSID: "S-1-5-21-1-2-3-1001")
        let export = RegFile(format: .version5, sections: [
            RegFileSection(path: try RegistryPath(parsing: "HKEY_CURRENT_USER\\Software\\A"), operations: [.set(RegistryValue(name: "v", dword: 1))]),
        ])
        registry.apply(export)
        registry.apply(PolicyFile(records: [PolicyRecord(key: "Software\\A", value: RegistryValue(name: "v", dword: 2))]), scope: .user)
        #expect(registry.key(at: try RegistryPath(parsing: "HKU\\S-1-5-21-1-2-3-1001\\Software\\A"))?.value(named: "v")?.dwordValue == 2)
    }
}

struct InternetZoneSettingsTests {
    static let settings = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let policy = "Software\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

    func registry(_ entries: [(String, RegistryValue)]) throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        for (path, value) in entries {
            snapshot.withKey(creating: try RegistryPath(parsing: path)) { $0.setValue(value) }
        }
        return snapshot
    }

    @Test func trustedSiteFromUserDomainsWithSchemeAndWildcards() throws {
        let snapshot = try registry([
            ("HKCU\\" + Self.settings + "\\ZoneMap\\Domains\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKCU\\" + Self.settings + "\\ZoneMap\\Domains\\example.com\\*", RegistryValue(name: "*", dword: 4)),
            ("HKLM\\" + Self.settings + "\\ZoneMap\\Domains\\corp.cn", RegistryValue(name: "http", dword: 1)),
        ])
        for platform in TargetPlatform.allCases {
            let zones = InternetZoneSettings(snapshot: snapshot, platform: platform, bitness: .native64)
            let trusted = zones.zone(for: "https://biz.sscc.com/portal")
            #expect(trusted.value == .trusted)
            #expect(trusted.source.layer == .user)
            #expect(trusted.source.path?.description.hasSuffix("Domains\\sscc.com\\biz") == true)
            #expect(zones.zone(for: "http://biz.sscc.com").value == .internet)
            #expect(zones.zone(for: "http://biz.sscc.com").source.layer == .builtInDefault)
            #expect(zones.zone(for: "ftp://www.example.com").value == .restricted)
            // A domain key's value covers its subdomains.
            let intranet = zones.zone(for: "http://a.b.corp.cn:8080/x")
            #expect(intranet.value == .intranet)
            #expect(intranet.source.layer == .machine)
        }
    }

    @Test func siteToZonePolicyAndHKLMOnlyApplyOnWindowsButNotInWine() throws {
        let snapshot = try registry([
            ("HKCU\\" + Self.settings + "\\ZoneMap\\Domains\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.policy + "\\ZoneMapKey", RegistryValue(name: "https://biz.sscc.com", string: "4")),
            ("HKCU\\" + Self.policy + "\\ZoneMapKey", RegistryValue(name: "*.sscc.com", string: "1")),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows)
        let decided = windows.zone(for: "https://biz.sscc.com")
        #expect(decided.value == .restricted)
        #expect(decided.source.layer == .machinePolicy)
        #expect(decided.source.description.hasPrefix("HKLM policy: HKEY_LOCAL_MACHINE\\Software\\Policies"))
        #expect(windows.zone(for: "http://www.sscc.com").value == .intranet)
        #expect(windows.zone(for: "http://www.sscc.com").source.layer == .userPolicy)
        let wine = InternetZoneSettings(snapshot: snapshot, platform: .wine)
        #expect(wine.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(wine.zone(for: "https://biz.sscc.com").source.layer == .user)

        var hklmOnly = try registry([
            ("HKCU\\" + Self.settings + "\\ZoneMap\\Domains\\sscc.com\\biz", RegistryValue(name: "https", dword: 2)),
            ("HKLM\\" + Self.policy, RegistryValue(name: "Security_HKLM_only", dword: 1)),
        ])
        #expect(InternetZoneSettings(snapshot: hklmOnly, platform: .windows).zone(for: "https://biz.sscc.com").value == .internet)
        #expect(InternetZoneSettings(snapshot: hklmOnly, platform: .wine).zone(for: "https://biz.sscc.com").value == .trusted)
        hklmOnly.withKey(creating: try RegistryPath(parsing: "HKLM\\" + Self.settings + "\\ZoneMap\\EscDomains\\sscc.com\\biz")) {
            $0.setValue(RegistryValue(name: "https", dword: 2))
        }
        let esc = InternetZoneSettings(snapshot: hklmOnly, platform: .windows, enhancedSecurityConfiguration: true)
        #expect(esc.zone(for: "https://biz.sscc.com").value == .trusted)
        #expect(esc.zone(for: "https://biz.sscc.com").source.layer == .machine)
    }

    @Test func urlActionPolicyOverridesUserAndMachineOnWindowsOnly() throws {
        let snapshot = try registry([
            ("HKCU\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1004", dword: 0)),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "1004", dword: 1)),
            ("HKLM\\" + Self.settings + "\\Zones\\2", RegistryValue(name: "120A", dword: 3)),
            ("HKLM\\" + Self.policy + "\\Zones\\2", RegistryValue(name: "1004", dword: 3)),
        ])
        let windows = InternetZoneSettings(snapshot: snapshot, platform: .windows)
        #expect(windows.urlAction(0x1004, zone: .trusted) == EffectiveSetting(value: .disallow, source: SettingSource(
            layer: .machinePolicy, path: try RegistryPath(parsing: "HKLM\\" + Self.policy + "\\Zones\\2"), valueName: "1004")))
        let wine = InternetZoneSettings(snapshot: snapshot, platform: .wine)
        #expect(wine.urlAction(0x1004, zone: .trusted)?.value == .allow)
        #expect(wine.urlAction(0x1004, zone: .trusted)?.source.layer == .user)
        #expect(wine.urlAction(0x120A, zone: .trusted)?.source.layer == .machine)
        #expect(wine.urlAction(0x2201, zone: .trusted) == nil)
    }
}
