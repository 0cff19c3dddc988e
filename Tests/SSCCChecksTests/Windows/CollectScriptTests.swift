import CertDoctorCore
import Foundation
import SSCCChecks
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
            for example in check.description.examples where example.options["target"] == "registry" {
                for file in WindowsCheckExampleTests.files(of: example.fixture) {
                    let bytes = Array(try Data(contentsOf: file))
                    if file.pathExtension.lowercased() == "reg" {
                        for section in try RegFileCodec.decode(bytes, fileName: file.path).sections {
                            let key = section.path.root.abbreviation + "\\" + section.path.relativePath
                            #expect(Self.covered(key), "\(check.description.id): \(key) (\(file.lastPathComponent)) is not collected")
                            checked += 1
                        }
                    } else if bytes.starts(with: Array("PReg".utf8)) {
                        let hive = PolicyScope(filePath: file.path)?.root.abbreviation ?? example.options["hive"] ?? "HKLM"
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
            let temp = prefix.appendingPathComponent("drive_c/users")
            let exported = (FileManager.default.enumerator(at: temp, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
                .filter { ["reg", "dll"].contains($0.pathExtension) && $0.path.contains("certdoctor-") }
            #expect(!exported.isEmpty, "\(result.text) \(String(decoding: result.stderr, as: UTF8.self))")
            // The control's file came along under its class ID: its version resource is read on this side.
            #expect(exported.contains { $0.lastPathComponent == "{33BBBFD1-0A97-4339-9032-F68F19CB3030}.dll" }, "\(exported)")
            let environment = Environment(registryFiles: exported.sorted { $0.path < $1.path }, language: .en)
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
}
