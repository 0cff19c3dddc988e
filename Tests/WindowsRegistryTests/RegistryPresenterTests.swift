import CertDoctorCore
import Foundation
import Testing
@testable import WindowsRegistry

struct RegistryPresenterTests {
    func sample() throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        snapshot.withKey(creating: try RegistryPath(parsing: "HKCU\\Software\\深证通\\证书")) { key in
            key.setValue(RegistryValue(name: "", string: "默认"))
            key.setValue(RegistryValue(name: "名称", string: "个人 😀"))
            key.setValue(RegistryValue(name: "dw", dword: 42))
            key.setValue(RegistryValue(name: "qw", qword: 1 << 40))
            key.setValue(RegistryValue(name: "multi", multiString: ["一", "二"]))
            key.setValue(RegistryValue(name: "bin", type: .binary, data: [0xde, 0xad]))
            key.setValue(RegistryValue(name: "odd", type: .dword, data: [1, 2]))
        }
        snapshot.withKey(creating: try RegistryPath(parsing: "HKCU\\Software\\深证通\\证书\\Sub")) { $0.setValue(RegistryValue(name: "x", dword: 1)) }
        return snapshot
    }

    @Test func jsonHasPathSubkeysAndTypedData() throws {
        let bytes = try RegistryPresenter.query(try sample(), path: "HKCU\\Software\\深证通\\证书", valueName: nil, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["path"] as? String == "HKEY_CURRENT_USER\\Software\\深证通\\证书")
        #expect(object["subkeys"] as? [String] == ["Sub"])
        let values = try #require(object["values"] as? [[String: Any]])
        func value(_ name: String) -> [String: Any]? { values.first { $0["name"] as? String == name } }
        #expect(value("")?["data"] as? String == "默认")
        #expect(value("名称")?["type"] as? String == "REG_SZ")
        #expect(value("名称")?["data"] as? String == "个人 😀")
        #expect(value("dw")?["data"] as? Int == 42)
        #expect(value("qw")?["data"] as? Int == 1 << 40)
        #expect(value("multi")?["data"] as? [String] == ["一", "二"])
        #expect(value("bin")?["data"] as? String == "dead")
        #expect(value("odd")?["data"] as? String == "0102")
        // Non-ASCII is written as UTF-8, not as \u escapes.
        #expect(String(decoding: bytes, as: UTF8.self).contains("个人 😀"))
    }

    @Test func textLooksLikeRegQuery() throws {
        let text = String(decoding: try RegistryPresenter.query(try sample(), path: "hkcu\\software\\深证通\\证书", valueName: "DW", format: .text), as: UTF8.self)
        #expect(text == "HKEY_CURRENT_USER\\software\\深证通\\证书\n    dw    REG_DWORD    0x2a\n")
        let all = String(decoding: try RegistryPresenter.query(try sample(), path: "HKCU\\Software\\深证通\\证书", valueName: nil, format: .text), as: UTF8.self)
        #expect(all.contains("    (Default)    REG_SZ    默认\n"))
        #expect(all.contains("    multi    REG_MULTI_SZ    一\\0二\n"))
        #expect(all.hasSuffix("\nHKEY_CURRENT_USER\\Software\\深证通\\证书\\Sub\n"))
    }

    @Test func missingKeysAndValuesMapToExitCodeOne() throws {
        let missingKey = #expect(throws: RegistryError.self) { try RegistryPresenter.query(try sample(), path: "HKCU\\Nope", valueName: nil, format: .text) }
        #expect(missingKey?.ending == .failure)
        let missingValue = #expect(throws: RegistryError.self) { try RegistryPresenter.query(try sample(), path: "HKCU\\Software", valueName: "nope", format: .text) }
        #expect(missingValue?.ending == .failure)
        let badPath = #expect(throws: RegistryError.self) { try RegistryPresenter.query(try sample(), path: "HKXX\\Software", valueName: nil, format: .text) }
        #expect(badPath == .invalidPath("HKXX\\Software"))
    }

    @Test(arguments: RegistryExportFormat.allCases)
    func everyExportFormatReadsBackToTheSameTree(format: RegistryExportFormat) throws {
        let snapshot = try sample()
        let path = "HKCU\\Software\\深证通"
        var reduced = snapshot
        if format == .reg4 {
            // REGEDIT4/GBK cannot hold 😀; a clear error says so.
            #expect(throws: RegistryError.self) { try RegistryPresenter.export(snapshot, path: path, format: format) }
            reduced.withKey(creating: try RegistryPath(parsing: path + "\\证书")) { $0.setValue(RegistryValue(name: "名称", string: "个人")) }
        }
        let bytes = try RegistryPresenter.export(reduced, path: path, format: format)
        let original = try #require(reduced.key(at: try RegistryPath(parsing: path)))
        var read = RegistrySnapshot()
        switch format {
        case .reg, .reg4: read.apply(try RegFileCodec.decode(bytes, fileName: "e.reg"))
        case .pol: read.apply(try PolicyFileCodec.decode(bytes, fileName: "e.pol"), scope: .user)
        case .wine:
            let hive = try WineHiveCodec.decode(bytes, fileName: "user.reg")
            read.withKey(creating: RegistryPath(root: .currentUser, components: [])) { key in
                var root = hive.root
                root.name = key.name
                key = root
            }
        case .json:
            let objects = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]])
            #expect(objects.map { $0["path"] as? String } == ["HKEY_CURRENT_USER\\Software\\深证通", "HKEY_CURRENT_USER\\Software\\深证通\\证书", "HKEY_CURRENT_USER\\Software\\深证通\\证书\\Sub"])
            return
        }
        let copy = try #require(read.key(at: try RegistryPath(parsing: path)))
        #expect(RoundTripPropertyTests.valuesOnly(copy) == RoundTripPropertyTests.valuesOnly(original))
    }

    @Test func offlineFilesAreLoadedAsOneRegistry() throws {
        let pol = RepositoryPaths.realWorldPolicies.appendingPathComponent("deviceguard-machine.pol").path
        let withoutScope = #expect(throws: RegistryError.self) { try RegistryLoader.load(.files([pol], policyScope: nil)) }
        // Not malformed input: the file is fine, the command line must say whose policy it is.
        #expect(withoutScope?.ending == .usage)
        #expect(withoutScope?.errorDescription?.contains("--registry-hive") == true)
        let snapshot = try RegistryLoader.load(.files([pol], policyScope: .machine))
        let text = String(decoding: try RegistryPresenter.query(snapshot, path: "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceGuard",
                                                                valueName: "LsaCfgFlags", format: .text), as: UTF8.self)
        #expect(text.contains("LsaCfgFlags    REG_DWORD    0x0"))
        let mangled = RepositoryPaths.realWorldPolicies.appendingPathComponent("vdot-user-mangled.pol").path
        let malformed = #expect(throws: RegistryError.self) { try RegistryLoader.load(.files([mangled], policyScope: .user)) }
        #expect(malformed?.ending == .dataError)
        let missing = #expect(throws: RegistryError.self) { try RegistryLoader.load(.files(["/nonexistent/x.reg"], policyScope: nil)) }
        #expect(missing?.ending == .noInput)
    }
}
