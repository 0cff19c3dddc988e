import Foundation
import Testing

/// `certdoctor registry` on the real Registry.pol files written by Windows tools (shared/realworld).
@Suite struct RegistryCommandTests {
    static let policies = CLI.repository.deletingLastPathComponent().appendingPathComponent("shared/realworld/registry-pol")

    @Test func queryAsJSONGivesTypedValues() throws {
        let file = Self.policies.appendingPathComponent("errorreporting-machine.pol").path
        let run = try CLI.run(["registry", "query", "--registry", file, "--registry-hive", "HKLM",
                               #"HKLM\SOFTWARE\Policies\Microsoft\PCHealth\ErrorReporting"#, "--format", "json"])
        #expect(run.exitCode == 0, "\(run.errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let values = try #require(json["values"] as? [[String: Any]])
        let showUI = try #require(values.first { $0["name"] as? String == "ShowUI" })
        #expect(showUI["type"] as? String == "REG_DWORD")
        #expect(showUI["data"] as? Int == 1)
    }

    @Test func exitCodesSayWhatWentWrong() throws {
        let machine = Self.policies.appendingPathComponent("errorreporting-machine.pol").path
        #expect(try CLI.run(["registry", "query", "--registry", machine, #"HKLM\SOFTWARE"#]).exitCode == 64, "no hive for a .pol outside Machine/")
        #expect(try CLI.run(["registry", "query", "--registry", machine, "--registry-hive", "HKLM", #"HKLM\SOFTWARE\Nowhere"#]).exitCode == 1)
        let mangled = Self.policies.appendingPathComponent("vdot-user-mangled.pol").path
        let broken = try CLI.run(["registry", "export", "--registry", mangled, "--registry-hive", "HKCU", #"HKCU\Software"#, "--format", "reg"])
        #expect(broken.exitCode == 65)
        #expect(broken.errors.contains("NUL"))
        #expect(try CLI.run(["registry", "query", "--registry", "/nonexistent.reg", #"HKLM\SOFTWARE"#]).exitCode == 66)
    }

    @Test func exportConvertsAPolicyFileToARegFile() throws {
        let file = Self.policies.appendingPathComponent("deviceguard-machine.pol").path
        let run = try CLI.run(["registry", "export", "--registry", file, "--registry-hive", "HKLM", #"HKLM\Software\Policies"#, "--format", "reg"])
        #expect(run.exitCode == 0, "\(run.errors)")
        // Windows Registry Editor 5 files are UTF-16LE with a byte-order mark and CRLF line ends.
        #expect(run.rawOutput.starts(with: [0xFF, 0xFE]))
        let text = String(decoding: run.rawOutput.dropFirst(2).withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }, as: UTF16.self)
        #expect(text.hasPrefix("Windows Registry Editor Version 5.00\r\n"))
        #expect(text.contains(#"[HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Windows\DeviceGuard]"#))
        #expect(text.contains("\"EnableVirtualizationBasedSecurity\"=dword:00000001"))
    }
}

/// `fix --registry` on a customer's export: the fix is a file for the customer; checking the export together
/// with it shows it does the job.
@Suite struct OfflineFixCommandTests {
    @Test func offlineFixWritesAFileThatMakesTheCheckPass() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offline-fix-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let export = directory.appendingPathComponent("customer.reg")
        try FileManager.default.copyItem(at: CLI.fixtures.appendingPathComponent("windows/trusted/typo-sccc.reg"), to: export)
        let before = try Data(contentsOf: export)
        let state = ["XDG_STATE_HOME": directory.appendingPathComponent("state").path]
        let fix = try CLI.run(["fix", "--registry", export.path, "--only", "browser.trusted-site", "--yes", "--report", "out",
                               "--format", "json", "--lang", "en"], in: directory, environment: state)
        #expect(fix.exitCode == 1, "the customer has yet to apply the fix")
        let result = try #require((try fix.json()["results"] as? [[String: Any]])?.first { $0["id"] as? String == "browser.trusted-site" })
        #expect(result["outcome"] as? String == "fail")
        #expect((result["message"] as? String)?.contains("fix files written for the customer") == true)
        #expect(try Data(contentsOf: export) == before, "the customer's export is evidence, never changed")
        let fixFile = directory.appendingPathComponent("out/certdoctor-fix-browser.trusted-site.reg")
        let after = try CLI.run(["check", "--registry", export.path, fixFile.path, "--only", "browser.trusted-site", "--format", "json"],
                                in: directory)
        #expect(try after.outcome(of: "browser.trusted-site") == "pass")
    }
}
