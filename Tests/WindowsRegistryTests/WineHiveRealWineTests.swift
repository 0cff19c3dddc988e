import CertDoctorCore
import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

/// Runs against a real Wine 8 prefix; serialized because all tests share the one prefix.
@Suite(.serialized, .enabled(if: WineTestPrefix.wineIsInstalled, "needs wine and wine64 (apt-get install wine wine64)"))
struct WineHiveRealWineTests {
    static let testKey = "Software\\CertDoctorTest"

    @Test func everyHiveWineWroteRoundTripsByteIdentically() throws {
        _ = try WineTestPrefix.registry.prepare()
        // A cold reg session makes Wine rewrite all hives, so the bytes are fresh from Wine.
        try WineTestPrefix.registry.wine(["reg", "add", "HKCU\\" + Self.testKey, "/v", "touch", "/d", "深证通", "/f"])
        for name in WineTestPrefix.hiveNames {
            let original = try WineTestPrefix.registry.hive(name)
            let hive = try WineHiveCodec.decode(original, fileName: name)
            let written = WineHiveCodec.encode(hive)
            if written != original {
                let first = zip(written, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(written.count, original.count)
                Issue.record("\(name) differs at byte \(first): \(String(decoding: written[max(0, first - 80)..<min(written.count, first + 80)], as: UTF8.self))")
            }
            #expect(written.count == original.count)
            #expect(hive.root.treeCounts.values > 10)
        }
    }

    @Test func valuesWineRegAddWritesAreReadForEveryType() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let key = "HKCU\\" + Self.testKey + "\\类型"
        let adds: [[String]] = [
            ["/v", "sz", "/t", "REG_SZ", "/d", "深证通 证书"],
            ["/v", "expand", "/t", "REG_EXPAND_SZ", "/d", "%SystemRoot%\\个人"],
            ["/v", "multi", "/t", "REG_MULTI_SZ", "/d", "甲\\0b\\0丙"],
            ["/v", "dw", "/t", "REG_DWORD", "/d", "4294967295"],
            ["/v", "qw", "/t", "REG_QWORD", "/d", "0x1122334455667788"],
            ["/v", "bin", "/t", "REG_BINARY", "/d", "00ff10" + String(repeating: "ab", count: 40)],
            ["/v", "none", "/t", "REG_NONE", "/d", ""],
            ["/ve", "/d", "默认值"],
        ]
        for add in adds {
            let result = try WineTestPrefix.registry.run(["wine", "reg", "add", key] + add + ["/f", "/reg:64"])
            #expect(result.status == 0, "reg add \(add) failed: \(String(decoding: result.stderr, as: UTF8.self))")
        }
        _ = try WineTestPrefix.registry.run(["wineserver", "-w"])
        let registry = try WinePrefix(directory: prefix).load()
        let snapshot = registry.snapshot
        let found = try #require(snapshot.key(at: try RegistryPath(parsing: key)))
        #expect(found.name == "类型")
        #expect(found.value(named: "SZ")?.stringValue == "深证通 证书")
        #expect(found.value(named: "expand")?.type == .expandString)
        #expect(found.value(named: "expand")?.stringValue == "%SystemRoot%\\个人")
        #expect(found.value(named: "multi")?.multiStringValue == ["甲", "b", "丙"])
        #expect(found.value(named: "dw")?.dwordValue == 0xffff_ffff)
        #expect(found.value(named: "qw")?.qwordValue == 0x1122_3344_5566_7788)
        #expect(found.value(named: "bin")?.data == [0, 0xff, 0x10] + Array(repeating: 0xab, count: 40))
        #expect(found.value(named: "none")?.type == RegistryValueType.none)
        #expect(found.defaultValue?.stringValue == "默认值")
    }

    @Test func valuesWeWriteAreReadBackByWine() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let wine = WinePrefix(directory: prefix)
        let original = try wine.load()
        var snapshot = original.snapshot
        let path = try RegistryPath(parsing: "HKCU\\" + Self.testKey + "\\Written\\子键")
        snapshot.withKey(creating: path) { key in
            key.setValue(RegistryValue(name: "sz", string: "个人 é😀 \"q\" \\ tab\t"))
            key.setValue(RegistryValue(name: "dw", dword: 7))
            key.setValue(RegistryValue(name: "qw", qword: 0x0102_0304_0506_0708))
            key.setValue(RegistryValue(name: "multi", multiString: ["一", "two"]))
            key.setValue(RegistryValue(name: "exp", string: "%TEMP%\\深", type: .expandString))
            key.setValue(RegistryValue(name: "bin", type: .binary, data: Array(0..<60)))
            key.setValue(RegistryValue(name: "", string: "默认"))
        }
        var modified = original
        modified.update(from: snapshot)
        let written = try wine.save(modified, comparedTo: original)
        #expect(written == [.user])

        let query = try WineTestPrefix.registry.wine(["reg", "query", path.description])
        #expect(query.status == 0)
        #expect(query.text.contains("dw    REG_DWORD    0x7"))
        #expect(query.text.contains("multi    REG_MULTI_SZ"))
        #expect(query.text.contains("bin    REG_BINARY    000102030405"))

        let exportFile = prefix.deletingLastPathComponent().appendingPathComponent("export-\(getpid()).reg")
        defer { try? FileManager.default.removeItem(at: exportFile) }
        let export = try WineTestPrefix.registry.wine(["reg", "export", path.description, exportFile.path, "/y"])
        #expect(export.status == 0)
        let exportedText = try #require(String(data: try Data(contentsOf: exportFile), encoding: .utf16LittleEndian))
        #expect(exportedText.contains("\"sz\"=\"个人 é😀 \\\"q\\\" \\\\ tab\t\""))
        #expect(exportedText.contains("@=\"默认\""))
        // Wine's export, read with our .reg reader, holds exactly the values we wrote.
        let exported = try RegFileCodec.decode(Array(try Data(contentsOf: exportFile)), fileName: exportFile.path)
        let section = try #require(exported.sections.first { $0.path == path }, "sections: \(exported.sections.map(\.path.description))")
        let expected = try #require(snapshot.key(at: path)).values
        let values = section.operations.compactMap { operation -> RegistryValue? in
            if case .set(let value) = operation { return value }
            return nil
        }
        #expect(values.sorted { RegistryName.compare($0.name, $1.name) < 0 } == expected)
    }

    @Test func regFilesWeWriteAreImportedByWine() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let path = try RegistryPath(parsing: "HKEY_CURRENT_USER\\" + Self.testKey + "\\Imported\\中文")
        let values = [
            RegistryValue(name: "", string: "默认"),
            RegistryValue(name: "名称", string: "深证通 \"引号\" \\ 反斜杠"),
            RegistryValue(name: "dw", dword: 0x2a),
            RegistryValue(name: "qw", qword: 42),
            RegistryValue(name: "multi", multiString: ["一", "二"]),
            RegistryValue(name: "exp", string: "%TEMP%\\证书", type: .expandString),
            RegistryValue(name: "long", type: .binary, data: Array(repeating: 0x5a, count: 100)),
        ]
        let file = RegFile(format: .version5, sections: [
            RegFileSection(path: path, operations: values.map { .set($0) }),
            RegFileSection(path: path.appending("ToDelete")),
        ])
        let regURL = prefix.deletingLastPathComponent().appendingPathComponent("import-\(getpid()).reg")
        defer { try? FileManager.default.removeItem(at: regURL) }
        try Data(try RegFileCodec.encode(file)).write(to: regURL)
        let result = try WineTestPrefix.registry.wine(["reg", "import", regURL.path])
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let snapshot = try WinePrefix(directory: prefix).load().snapshot
        let imported = try #require(snapshot.key(at: path))
        #expect(imported.values == values.sorted { RegistryName.compare($0.name, $1.name) < 0 })
        #expect(imported.subkey(named: "ToDelete") != nil)

        // Deletions: [-key] and "name"=-.
        let deletions = RegFile(format: .version5, sections: [
            RegFileSection(path: path, operations: [.delete(valueName: "dw")]),
            RegFileSection(path: path.appending("ToDelete"), deletesKey: true),
        ])
        try Data(try RegFileCodec.encode(deletions)).write(to: regURL)
        #expect(try WineTestPrefix.registry.wine(["reg", "import", regURL.path]).status == 0)
        let after = try #require(try WinePrefix(directory: prefix).load().snapshot.key(at: path))
        #expect(after.value(named: "dw") == nil)
        #expect(after.value(named: "qw") != nil)
        #expect(after.subkey(named: "ToDelete") == nil)
    }

    @Test func writeWhileWineserverRunsIsRefusedAndFilesStayUnchanged() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let wine = WinePrefix(directory: prefix)
        #expect(wine.runningServerPID() == nil)
        let before = try WineTestPrefix.hiveNames.map { try WineTestPrefix.registry.hive($0) }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/wineserver")
        server.arguments = ["-p"]
        server.environment = WineTestPrefix.registry.wineEnvironment
        try server.run()
        defer {
            _ = try? WineTestPrefix.registry.run(["wineserver", "-k"])
            server.waitUntilExit()
        }
        var pid: Int32? = nil
        for _ in 0..<100 where pid == nil {
            pid = wine.runningServerPID()
            if pid == nil { usleep(50_000) }
        }
        #expect(pid != nil)
        let original = try wine.load()
        var modified = original
        var snapshot = modified.snapshot
        snapshot.withKey(creating: try RegistryPath(parsing: "HKCU\\" + Self.testKey)) { $0.setValue(RegistryValue(name: "x", dword: 1)) }
        modified.update(from: snapshot)
        let error = #expect(throws: RegistryError.self) { try wine.save(modified, comparedTo: original) }
        guard case .wineserverRunning(_, let reportedPID)? = error else {
            Issue.record("expected wineserverRunning, got \(String(describing: error))")
            return
        }
        #expect(reportedPID == pid)
        #expect(error?.ending == .temporaryFailure)
        #expect(error?.errorDescription?.contains("wineserver -k") == true)
        let after = try WineTestPrefix.hiveNames.map { try WineTestPrefix.registry.hive($0) }
        #expect(after == before)
    }

    @Test func realPrefixViewsFor32BitIE() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let snapshot = try WinePrefix(directory: prefix).load().snapshot
        let version = try RegistryPath(parsing: "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion")
        #expect(snapshot.resolve(version, bitness: .wow32)?.components.prefix(2).map { $0.lowercased() } == ["software", "wow6432node"])
        #expect(snapshot.resolve(version, bitness: .native64)?.components.count == 4)
        let clsid = try RegistryPath(parsing: "HKCR\\CLSID")
        #expect(snapshot.resolve(clsid, bitness: .wow32)?.components.map { $0.lowercased() } == ["software", "classes", "wow6432node", "clsid"])
        #expect(snapshot.key(at: try RegistryPath(parsing: "HKCU\\Software\\Wine"))?.subkeys.isEmpty == false)
    }

    @Test func singleKeyReadsAnswerLikeFullReads() throws {
        let prefix = try WineTestPrefix.registry.prepare()
        let target = RegistryTarget.winePrefix(prefix.path)
        let full = try RegistryLoader.load(target)
        for key in ["HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion", "hkcu\\control panel\\desktop",
                    "HKCR\\CLSID", "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\AppID", "HKLM\\System\\CurrentControlSet"] {
            let path = try RegistryPath(parsing: key)
            let partial = try RegistryLoader.load(target, for: path, bitness: .native64)
            let expected = try RegistryPresenter.query(full, path: key, valueName: nil, format: .json)
            #expect(try RegistryPresenter.query(partial, path: key, valueName: nil, format: .json) == expected, "\(key)")
        }
    }
}
