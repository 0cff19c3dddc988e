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
