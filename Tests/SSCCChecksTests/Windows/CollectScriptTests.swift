import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing
import WindowsRegistry
import TestSupport

/// The collect script exports exactly what the checks read: every key the examples' exported fixtures hold
/// must be inside a key the script exports, so the list cannot drift from the checks.
@Suite(.serialized) struct CollectScriptTests {
    static let keys = CollectScript.keys(for: WindowsCheckExampleTests.checks)

    static func covered(_ key: String) -> Bool {
        keys.contains { collected in
            key.lowercased() == collected.lowercased() || key.lowercased().hasPrefix(collected.lowercased() + "\\")
        }
    }

    @Test func everyKeyTheExamplesReadIsExported() throws {
        var checked = 0
        for check in WindowsCheckExampleTests.checks {
            for example in check.description.examples {
                guard case .exported(let exportedHive, _)? = example.target as? SSCCExampleTarget else { continue }
                for file in WindowsCheckExampleTests.files(of: example.fixture) {
                    let bytes = Array(try Data(contentsOf: file))
                    if file.pathExtension.lowercased() == "reg" {
                        for section in try RegFileCodec.decode(bytes, fileName: file.path).sections {
                            let key = section.path.root.abbreviation + "\\" + section.path.relativePath
                            #expect(Self.covered(key), "\(check.description.id): \(key) (\(file.lastPathComponent)) is not collected")
                            checked += 1
                        }
                    } else if bytes.starts(with: Array("PReg".utf8)) {
                        let hive = PolicyScope(filePath: file.path)?.root.abbreviation ?? exportedHive ?? "HKLM"
                        for record in try PolicyFileCodec.decode(bytes, fileName: file.path).records {
                            #expect(Self.covered(hive + "\\" + record.key), "\(check.description.id): \(record.key) is not collected")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 30)
    }

    @Test func aManifestsValuesAreCollectedToo() throws {
        let spec = RegistrySettingSpec(
            description: CheckDescription(id: "site.sample", title: Localized(zh: "例", en: "sample"), summary: Localized(zh: "例", en: "sample"),
                                          requirements: ["R1"], category: "browser", severity: .advisory),
            requirements: [.init(setting: .value(path: #"Software\Vendor\Thing"#, name: "X", policyPath: #"Software\Policies\Vendor"#, machine: false),
                                 label: Localized(zh: "例", en: "sample"), expected: 1)],
            restartBrowser: false)
        let keys = CollectScript.keys(for: [RegistrySettingCheck(spec: spec)])
        #expect(keys.contains(#"HKCU\Software\Vendor\Thing"#) && keys.contains(#"HKLM\Software\Policies\Vendor"#))
    }

    /// The script run by Wine's own cmd.exe and reg.exe on a prefix holding a fixture; `check --registry` on
    /// what it exported gives the same result as checking the prefix.
    @Test func theScriptRunsUnderWineAndItsExportsCheck() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let script = CollectScript.render(keys: Self.keys, controls: CollectScript.controls(of: WindowsCheckExampleTests.checks))
        #expect(script.hasPrefix("@echo off\r\n") && script.hasSuffix("endlocal\r\n"))
        #expect(script.components(separatedBy: "reg export ").count - 1 == Self.keys.count)
        try WineTestPrefix.windows.withPrefix { prefix in
            let control = WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/activex/prefix-certenroll-2048")
            try WineTestPrefix.windows.importFiles([
                WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/trusted/https.reg"),
                WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/zone-actions/enabled.reg"),
                control.appendingPathComponent("register.reg"),
            ])
            let copied = try WineTestPrefix.windows.copyDriveFiles(of: control)
            defer { for file in copied { try? FileManager.default.removeItem(at: file) } }
            let file = prefix.appendingPathComponent("drive_c/collect.cmd")
            try Data(script.utf8).write(to: file)
            let result = try WineTestPrefix.windows.wine(["cmd", "/c", #"C:\collect.cmd"#])
            // Beside the script, not in %TEMP%; Wine has no PowerShell, so the folder stays and the script says so.
            let folder = try #require(
                try FileManager.default.contentsOfDirectory(atPath: prefix.appendingPathComponent("drive_c").path)
                    .first { $0.hasPrefix("certdoctor-") && !$0.hasSuffix(".probe") },
                "\(result.text) \(String(decoding: result.stderr, as: UTF8.self))")
            defer { try? FileManager.default.removeItem(at: prefix.appendingPathComponent("drive_c/\(folder)")) }
            #expect(result.text.contains("No zip file could be made (PowerShell is missing)"), "\(result.text)")
            #expect(result.text.contains(#"C:\\#(folder)"#), "the full path is printed: \(result.text)")
            #expect(!result.text.contains("Press any key"), "not double-clicked: no pause")
            #expect(result.stderr.isEmpty, "\(String(decoding: result.stderr, as: UTF8.self))")
            let exported = (try FileManager.default.contentsOfDirectory(
                at: prefix.appendingPathComponent("drive_c/\(folder)"), includingPropertiesForKeys: nil))
                .filter { ["reg", "dll"].contains($0.pathExtension) }
            #expect(!exported.isEmpty, "\(result.text) \(String(decoding: result.stderr, as: UTF8.self))")
            // The control's file came along under its class ID: its version resource is read on this side.
            #expect(exported.contains { $0.lastPathComponent == "{33BBBFD1-0A97-4339-9032-F68F19CB3030}.dll" }, "\(exported)")
            let environment = Environment.targets(registryFiles: exported.sorted { $0.path < $1.path }, language: .en)
            let doctor = try WindowsCheckExampleTests.doctor()
            let results = try Runner(only: ["browser.trusted-site", "browser.zone-actions", "activex.certenroll"])
                .run(try CheckRegistry(WindowsCheckExampleTests.checks), in: CheckContext(environment: doctor.prepare(environment)))
            #expect(results.first { $0.id == "browser.trusted-site" }?.outcome == .pass)
            #expect(results.first { $0.id == "browser.zone-actions" }?.outcome == .pass)
            let certEnroll = try #require(results.first { $0.id == "activex.certenroll" })
            let evidence: [String] = certEnroll.evidence.map(\.value)
            #expect(certEnroll.outcome == .pass, "\(certEnroll.message.en) \(evidence)")
            #expect(evidence.contains { $0.contains("collected copy") })
        }
    }

    /// Double-clicked (Explorer starts it as `cmd /c ""…\collect.cmd" "`), the script waits for a key before its
    /// window closes; in Chinese, as the SSCC profile's customer reads it, it is written in code page 936 and runs.
    @Test func doubleClickedItPausesAndChineseRunsInCodePage936() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let keys = Array(Self.keys.prefix(3))
        let chinese = try CollectScript.encoded(CollectScript.render(keys: keys, controls: [], language: .zh), language: .zh)
        #expect(chinese.contains { $0 >= 0x80 }, "Chinese text is there")
        #expect(String(bytes: chinese, encoding: .utf8) == nil, "not UTF-8, which cmd.exe would show garbled")
        let english = try CollectScript.encoded(CollectScript.render(keys: keys, controls: [], language: .en), language: .en)
        let harness = WineTestPrefix.windows
        try harness.withPrefix { prefix in
            let drive = prefix.appendingPathComponent("drive_c")
            func run(_ script: [UInt8], _ extra: [String: String]) throws -> WineTestPrefix.Result {
                try Data(script).write(to: drive.appendingPathComponent("collect.cmd"))
                var environment = harness.wineEnvironment
                for (name, value) in extra { environment[name] = value }
                defer { harness.stopServer() }
                return try harness.run(["wine", "cmd", "/c", #"C:\collect.cmd"#], environment: environment)
            }
            defer {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: drive.path)) ?? [] where name.hasPrefix("certdoctor-") {
                    try? FileManager.default.removeItem(at: drive.appendingPathComponent(name))
                }
            }
            let explorer = ["cmdcmdline": #"C:\windows\system32\cmd.exe /c ""C:\collect.cmd" ""#]
            let clicked = try run(english, explorer)
            #expect(clicked.text.hasSuffix("Press any key to continue... "), "\(clicked.text)")
            #expect(clicked.stderr.isEmpty, "\(String(decoding: clicked.stderr, as: UTF8.self))")
            let console = try run(english, ["cmdcmdline": #"C:\windows\system32\cmd.exe"#])
            #expect(!console.text.contains("Press any key"), "\(console.text)")

            let zh = try run(chinese, ["LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"])
            // cmd passes the script's bytes through: the message is there in code page 936.
            let message = try WindowsCodePage.encode("收集的文件在此文件夹中", codePage: "936")
            #expect(Array(zh.stdout).firstRange(of: message) != nil, "\(Array(zh.stdout))")
            #expect(zh.stderr.isEmpty, "\(String(decoding: zh.stderr, as: UTF8.self))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: drive.path).contains { $0.hasPrefix("certdoctor-") })
        }
    }
}
