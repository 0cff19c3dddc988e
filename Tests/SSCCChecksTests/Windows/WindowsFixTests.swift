import CertDoctorCore
import Foundation
import PKI
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing
import TestSupport

/// check → fix → check over a real Wine prefix and over exported files, with the journal's undo.
@Suite(.serialized) struct WindowsFixTests {
    static let fixtures = WindowsCheckExampleTests.fixtures
    static let zoneChecks = ["browser.trusted-site", "browser.zone-actions"]

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-windows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func results(_ environment: Environment, only: [String] = zoneChecks) throws -> [String: CheckResult] {
        let doctor = try WindowsCheckExampleTests.doctor()
        let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
        let context = CheckContext(environment: doctor.prepare(environment))
        let results = try Runner(only: only).run(registry, in: context)
        return Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
    }

    static func plans(_ environment: Environment, failing results: [String: CheckResult]) throws -> [FixPlan] {
        let doctor = try WindowsCheckExampleTests.doctor()
        let context = CheckContext(environment: doctor.prepare(environment))
        return try WindowsCheckExampleTests.checks.compactMap { check -> FixPlan? in
            guard let result = results[check.description.id], result.outcome == .fail else { return nil }
            let finding = Finding(result.outcome, result.message, evidence: result.evidence, remedy: result.remedy)
            return try check.planFix(for: finding, in: context)
        }
    }

    @Test func prefixCheckFixCheckAndUndo() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        try WineTestPrefix.windows.withPrefix { prefix in
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let original = try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) }
            let before = try Self.results(environment)
            #expect(before["browser.trusted-site"]?.outcome == .fail)
            #expect(before["browser.zone-actions"]?.outcome == .fail)
            let plans = try Self.plans(environment, failing: before)
            #expect(plans.count == 2)
            #expect(plans.allSatisfy { $0.afterword?.en.contains("reopen the browser") == true }, "R6")
            #expect(plans.flatMap(\.steps).contains { $0.description.en.contains("\"1004\" = dword:00000000 (was 1)") })

            let journal = Journal(directory: try Self.temporaryDirectory())
            // A running wineserver would overwrite the edit on its next save: the fix is refused before any backup.
            let server = try WineTestPrefix.windows.startServer()
            var pid: Int32?
            for _ in 0..<500 where pid == nil {
                pid = WineServerGuard.runningServerPID(prefix: prefix)
                if pid == nil { usleep(10_000) }
            }
            #expect(pid == server.processIdentifier, "the guard finds the server by its lock")
            #expect(throws: WindowsSideError.self) { try journal.apply(plans, command: "fix") }
            #expect(journal.entries().isEmpty)
            WineTestPrefix.windows.stopServer()
            server.waitUntilExit()

            let applied = try journal.apply(plans, command: "fix")
            #expect(applied.errors.isEmpty, "\(applied.errors)")
            let after = try Self.results(environment)
            #expect(after["browser.trusted-site"]?.outcome == .pass, "\(after["browser.trusted-site"]?.message.en ?? "")")
            #expect(after["browser.zone-actions"]?.outcome == .pass, "\(after["browser.zone-actions"]?.message.en ?? "")")

            try journal.undoLast()
            let restored = try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) }
            #expect(restored == original, "undo must restore the three hives byte for byte")
            #expect(try Self.results(environment)["browser.zone-actions"]?.outcome == .fail)

            // Wine itself sees the fixed values.
            _ = try journal.apply(try Self.plans(environment, failing: before), command: "fix")
            let settings = #"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"#
            let site = try WineTestPrefix.windows.wine(["reg", "query", settings + #"\ZoneMap\Domains\sscc.com\biz"#, "/v", "https"])
            #expect(site.status == 0 && site.text.contains("0x2"), "\(site.text)")
            let zone = try WineTestPrefix.windows.wine(["reg", "query", settings + #"\Zones\2"#])
            for action in ["2201", "1004", "1803", "2200"] {
                #expect(zone.text.range(of: "\(action)\\s+REG_DWORD\\s+0x0\\b", options: .regularExpression) != nil, "\(action): \(zone.text)")
            }
        }
    }

    @Test func exportedFilesGetFixFilesThatWineImports() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let output = try Self.temporaryDirectory()
        let exports = [
            Self.fixtures.appendingPathComponent("windows/trusted/policy-overrides-user.reg"),
            Self.fixtures.appendingPathComponent("windows/zone-actions/prompt.reg"),
        ]
        var environment = Environment.targets(registryFiles: exports, language: .en)
        environment.offlineFixDirectory = output
        environment.profile = WindowsCheckExampleTests.profile
        let before = try Self.results(environment)
        #expect(before["browser.trusted-site"]?.outcome == .fail)
        #expect(before["browser.zone-actions"]?.outcome == .fail)
        let plans = try Self.plans(environment, failing: before)
        let journal = Journal(directory: try Self.temporaryDirectory())
        let applied = try journal.apply(plans, command: "fix")
        #expect(applied.errors.isEmpty, "\(applied.errors)")

        // The policy decides the portal's zone, so its fix is a machine Registry.pol; the zone action is a .reg.
        let policy = OfflineFix.policyFile(checkID: "browser.trusted-site", machine: true, in: output)
        let regFix = OfflineFix.regFile(checkID: "browser.zone-actions", in: output)
        #expect(FileManager.default.fileExists(atPath: policy.path))
        let regBytes = try readBytes(regFix)
        #expect(regBytes.starts(with: [0xff, 0xfe, 0x57, 0x00]), "UTF-16LE with BOM, as regedit writes")
        let regText = String(decoding: regBytes.dropFirst(2).withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }, as: UTF16.self)
        #expect(regText.contains("\"1004\"=dword:00000000"))
        #expect(!regText.contains("\"2201\""), "exactly the needed changes")

        // R1 for the same export: the allow-list entry becomes a .reg the customer imports.
        var downloads = environment
        downloads.registryFiles = [Self.fixtures.appendingPathComponent("windows/downloads/no-allow-list.reg")]
        let downloadResult = try #require(try Runner(only: ["browser.downloads"])
            .run(try CheckRegistry(WindowsCheckExampleTests.checks), in: CheckContext(environment: downloads)).first { $0.id == "browser.downloads" })
        #expect(downloadResult.outcome == .fail)
        let downloadCheck = try #require(WindowsCheckExampleTests.checks.first { $0.description.id == "browser.downloads" })
        let downloadPlan = try #require(try downloadCheck.planFix(for: Finding(.fail, downloadResult.message), in: CheckContext(environment: downloads)))
        #expect(try journal.apply([downloadPlan], command: "fix").errors.isEmpty)
        downloads.registryFiles.append(OfflineFix.regFile(checkID: "browser.downloads", in: output))
        #expect(try Runner(only: ["browser.downloads"]).run(try CheckRegistry(WindowsCheckExampleTests.checks), in: CheckContext(environment: downloads))
            .first { $0.id == "browser.downloads" }?.outcome == .pass)

        // Read back offline, the exports plus the fix files pass.
        var fixed = environment
        fixed.registryFiles = exports + [regFix, policy]
        let rechecked = try Self.results(fixed)
        #expect(rechecked["browser.trusted-site"]?.outcome == .pass, "\(rechecked["browser.trusted-site"]?.message.en ?? "")")
        #expect(rechecked["browser.zone-actions"]?.outcome == .pass, "\(rechecked["browser.zone-actions"]?.message.en ?? "")")

        // Wine's own reg import accepts the fix file; exported again, the result passes as well.
        try WineTestPrefix.windows.withPrefix { prefix in
            try WineTestPrefix.windows.importFiles([exports[1], regFix])
            #expect(try Self.results(Environment.targets(winePrefix: prefix, language: .en))["browser.zone-actions"]?.outcome == .pass)
            let exported = output.appendingPathComponent("exported.reg")
            let result = try WineTestPrefix.windows.wine([
                "reg", "export", #"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Zones"#, exported.path, "/y"])
            #expect(result.status == 0)
            #expect(try Self.results(Environment.targets(registryFiles: [exported], language: .en))["browser.zone-actions"]?.outcome == .pass)
        }
        try journal.undoLast()  // the downloads fix
        #expect(!FileManager.default.fileExists(atPath: OfflineFix.regFile(checkID: "browser.downloads", in: output).path))
        try journal.undoLast()  // the zone fixes
        #expect(!FileManager.default.fileExists(atPath: regFix.path))
    }

    /// R17 for a customer's export: the fix is a .reg of deletions; imported by Wine's own `reg import` after the
    /// export, it leaves nothing that mentions the class ID.
    @Test func exportedResidueGetsADeletionFileThatWineImports() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let output = try Self.temporaryDirectory()
        let export = Self.fixtures.appendingPathComponent("windows/activex/certenroll-2046.reg")
        var environment = Environment.targets(registryFiles: [export], language: .en)
        environment.offlineFixDirectory = output
        let before = try Self.results(environment, only: ["activex.certenroll"])
        #expect(before["activex.certenroll"]?.outcome == .fail)
        let plans = try Self.plans(environment, failing: before).filter { $0.checkID == "activex.certenroll" }
        #expect(plans.count == 1)
        #expect(try Journal(directory: try Self.temporaryDirectory()).apply(plans, command: "fix").errors.isEmpty)
        let fix = OfflineFix.regFile(checkID: "activex.certenroll", in: output)
        let clsid = "{33BBBFD1-0A97-4339-9032-F68F19CB3030}"

        // Read offline together with the export, no key or value mentions the class ID any more.
        let residue = try PluginResidue.find(clsid, in: try WindowsSide.loadExports([export, fix], hive: nil))
        #expect(residue.items.isEmpty, "\(residue.items)")

        try WineTestPrefix.windows.withPrefix { _ in
            try WineTestPrefix.windows.importFiles([export])
            let present = try WineTestPrefix.windows.wine(["reg", "query", #"HKLM\Software\Classes\Wow6432Node\CLSID\"# + clsid])
            #expect(present.status == 0, "the export put the control's registration into the prefix")
            try WineTestPrefix.windows.importFiles([fix])
            let gone = try WineTestPrefix.windows.wine(["reg", "query", #"HKLM\Software\Classes\Wow6432Node\CLSID\"# + clsid])
            #expect(gone.status != 0, "Wine's reg import removed the registration")
        }
    }

    /// R17: a half-installed control's residue (32-bit CLSID, the ProgID it points to, Ext\Stats in HKCU) is
    /// listed, removed so that Wine finds none of it, and restored by undo.
    @Test func staleControlResidueIsRemovedAndRestored() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let clsid = "{33BBBFD1-0A97-4339-9032-F68F19CB3030}"
        try WineTestPrefix.windows.withPrefix { prefix in
            try WineTestPrefix.windows.importFiles([Self.fixtures.appendingPathComponent("windows/activex/prefix-certenroll-half/register.reg")])
            let original = try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) }
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
            let doctor = try WindowsCheckExampleTests.doctor()
            let context = CheckContext(environment: doctor.prepare(environment))
            let result = try #require(try Runner(only: ["activex.certenroll"]).run(registry, in: context).first { $0.id == "activex.certenroll" })
            #expect(result.outcome == .fail && result.message.en.contains("half-installed"), "\(result.message.en)")
            let check = try #require(registry["activex.certenroll"])
            let plan = try #require(try check.planFix(for: Finding(result.outcome, result.message), in: context))
            let listed = plan.steps.map(\.description.en).joined(separator: "\n")
            for expected in [#"Software\Classes\Wow6432Node\CLSID\\#(clsid)"#, #"Software\Classes\JIT.CertEnroll.1"#, #"Ext\Stats\\#(clsid)"#] {
                #expect(listed.contains(expected), "\(expected) missing from: \(listed)")
            }
            let journal = Journal(directory: try Self.temporaryDirectory())
            let applied = try journal.apply([plan], command: "fix")
            #expect(applied.errors.isEmpty, "\(applied.errors)")
            let side = try WindowsSide.loadPrefix(prefix)
            #expect(try PluginResidue.find(clsid, in: side).items.isEmpty)

            try journal.undoLast()
            #expect(try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) } == original)

            // Undo put the hives back as new files: a plan records a settled hive by its identity, so the fix is
            // planned again, as a new run would.
            let again = CheckContext(environment: doctor.prepare(environment))
            let rerun = try #require(try Runner(only: ["activex.certenroll"]).run(registry, in: again).first { $0.id == "activex.certenroll" })
            let replanned = try #require(try check.planFix(for: Finding(rerun.outcome, rerun.message), in: again))
            #expect(try journal.apply([replanned], command: "fix").errors.isEmpty)
            let query = try WineTestPrefix.windows.wine(["reg", "query", #"HKLM\Software\Classes\Wow6432Node\CLSID\\#(clsid)"#])
            #expect(query.status != 0, "Wine must not find the removed class: \(query.text)")
            let progID = try WineTestPrefix.windows.wine(["reg", "query", #"HKLM\Software\Classes\JIT.CertEnroll.1"#])
            #expect(progID.status != 0)
        }
    }

    /// R10: the PFX is imported with its key by the mingw-built helper under Wine (certutil would report
    /// success and store nothing), read back, and the check passes; undo takes the hives back.
    @Test func pfxIsImportedIntoThePersonalStore() throws {
        guard WineTestPrefix.wineIsInstalled, FileManager.default.isExecutableFile(atPath: "/usr/bin/i686-w64-mingw32-gcc") else {
            Issue.record("needs wine, wine32 and gcc-mingw-w64-i686-win32")
            return
        }
        let tools = try Self.temporaryDirectory()
        let helper = tools.appendingPathComponent("certstore.exe")
        try CertStoreHelper.build(dataRoot: WindowsCheckExampleTests.repository, into: helper)
        try WineTestPrefix.windows.withPrefix { prefix in
            let original = try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) }
            var environment = Environment.targets(
                pfxFile: Self.fixtures.appendingPathComponent("pfx/good-3des/F000504Y0007#0.pfx"), pfxPassword: Secret("123456"),
                winePrefix: prefix, language: .en)
            environment.certStoreHelper = helper
            let doctor = try WindowsCheckExampleTests.doctor()
            let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
            func result() throws -> CheckResult {
                let context = CheckContext(environment: doctor.prepare(environment))
                return try #require(try Runner(only: ["store.personal-cert"]).run(registry, in: context).first { $0.id == "store.personal-cert" })
            }
            let before = try result()
            #expect(before.outcome == .fail, "\(before.message.en)")
            let check = try #require(registry["store.personal-cert"])
            let context = CheckContext(environment: doctor.prepare(environment))
            let plan = try #require(try check.planFix(for: Finding(before.outcome, before.message), in: context))
            #expect(!plan.steps.map(\.description.en).joined().contains("123456"), "the password is never shown")
            let journal = Journal(directory: try Self.temporaryDirectory())
            let applied = try journal.apply([plan], command: "fix")
            #expect(applied.errors.isEmpty, "\(applied.errors)")
            let after = try result()
            #expect(after.outcome == .pass, "\(after.message.en) \(after.evidence)")
            #expect(after.evidence.contains { $0.value.contains("key present") })
            try journal.undoLast()
            let restored = try WineTestPrefix.hiveNames.map { try WineTestPrefix.windows.hive($0) }
            #expect(restored[0] == original[0] && restored[1] == original[1], "system.reg and user.reg restored")
        }
    }

    /// R10 after a renewal with --wine-prefix: the renewed certificate goes into the prefix's Personal store with
    /// its key, through the same helper as store.personal-cert's fix, as a journal entry of its own.
    @Test func renewedCertificateIsImportedIntoThePersonalStore() throws {
        guard WineTestPrefix.wineIsInstalled, FileManager.default.isExecutableFile(atPath: "/usr/bin/i686-w64-mingw32-gcc") else {
            Issue.record("needs wine, wine32 and gcc-mingw-w64-i686-win32")
            return
        }
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let renewed = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(renewed.outcome == .installed, "\(renewed.message?.en ?? "")")
        let helper = try Self.temporaryDirectory().appendingPathComponent("certstore.exe")
        try WineTestPrefix.windows.withPrefix { prefix in
            let step = try scene.renewal { environment in
                environment.winePrefix = prefix
                environment.certStoreHelper = helper
            }.importIntoPersonalStore(scene.pfx)
            #expect(step?.outcome == "done", "\(step?.detail.en ?? "no step")")
            let store = PersonalStore.read(try WindowsSide.loadPrefix(prefix))
            let issued = try #require(try X509Certificate.load(try readBytes(URL(fileURLWithPath: scene.path("issued.pem")))).first)
            let entry = store.entries.first { $0.certificate.sha1Thumbprint == issued.sha1Thumbprint }
            #expect(entry != nil, "the renewed certificate is in the store")
            #expect(entry?.keyPresent == true, "with its key")
        }
    }

    /// R1 for a Linux browser: the fix writes a managed-policy file the browser (run as another user) can read.
    @Test func linuxBrowserPolicyIsWritten() throws {
        let root = try Self.temporaryDirectory()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("usr/bin"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root.appendingPathComponent("usr/bin/chromium").path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        var environment = Environment.targets(browsers: ["chromium", "firefox"], language: .en)
        environment.browserPolicyRoot = root
        let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
        let doctor = try WindowsCheckExampleTests.doctor()
        func result() throws -> CheckResult {
            try #require(try Runner(only: ["browser.downloads"]).run(registry, in: CheckContext(environment: doctor.prepare(environment))).first { $0.id == "browser.downloads" })
        }
        #expect(try result().outcome == .fail)
        let check = try #require(registry["browser.downloads"])
        let context = CheckContext(environment: doctor.prepare(environment))
        let plan = try #require(try check.planFix(for: Finding(.fail, Localized(verbatim: "")), in: context))
        let journal = Journal(directory: try Self.temporaryDirectory())
        #expect(try journal.apply([plan], command: "fix").errors.isEmpty)
        #expect(try result().outcome == .pass)
        let file = root.appendingPathComponent("etc/chromium/policies/managed/certdoctor-sscc.json")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: [String]]
        #expect(json?["PopupsAllowedForUrls"] == ["https://biz.sscc.com"])
        #expect(plan.afterword?.en.contains("reopen the browser") == true)
        try journal.undoLast()
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    /// R5: a site list that holds only the manual's typo is rewritten with biz.sscc.com under the file name the
    /// policy names; the export with the fix files passes.
    @Test func ieModeSiteListIsCorrected() throws {
        let output = try Self.temporaryDirectory()
        let given = ["edge.reg", "sites.xml"].map { Self.fixtures.appendingPathComponent("windows/ie-mode/typo/\($0)") }
        var environment = Environment.targets(registryFiles: given, language: .en)
        environment.offlineFixDirectory = output
        environment.profile = WindowsCheckExampleTests.profile
        let registry = try CheckRegistry(WindowsCheckExampleTests.checks)
        let check = try #require(registry["browser.ie-mode"])
        let before = try #require(try Runner(only: ["browser.ie-mode"]).run(registry, in: CheckContext(environment: environment)).first { $0.id == "browser.ie-mode" })
        #expect(before.outcome == .fail && before.message.en.contains("biz.sccc.com"), "\(before.message.en)")
        let plan = try #require(try check.planFix(for: Finding(.fail, before.message), in: CheckContext(environment: environment)))
        #expect(try Journal(directory: try Self.temporaryDirectory()).apply([plan], command: "fix").errors.isEmpty)
        let sites = output.appendingPathComponent("sites.xml")
        let text = try String(contentsOf: sites, encoding: .utf8)
        #expect(text.contains("biz.sscc.com") && !text.contains("sccc"), "\(text)")
        var fixed = environment
        fixed.registryFiles = [given[0], sites, OfflineFix.policyFile(checkID: "browser.ie-mode", machine: true, in: output)]
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        let after = try Runner(only: ["browser.ie-mode"]).run(registry, in: CheckContext(environment: fixed)).first { $0.id == "browser.ie-mode" }
        #expect(after?.outcome == .pass, "\(after?.message.en ?? "")")
    }
}
