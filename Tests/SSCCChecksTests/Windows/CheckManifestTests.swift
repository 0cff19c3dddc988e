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
import TestSupport

/// Declarative checks: a manifest dropped into a plugin directory becomes a working check with its fix, and a
/// broken manifest is an error that names its file and line.
@Suite(.serialized) struct CheckManifestTests {
    static let dataDirectory = DataDirectory(root: WindowsCheckExampleTests.repository)

    static func profile() throws -> SSCCProfile {
        try ProfileLoader.load("sscc", dataDirectory: dataDirectory).0
    }

    static func directory(with files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-manifests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: url.appendingPathComponent(name))
        }
        return url
    }

    static let popupManifest = #"""
        <?xml version="1.0" encoding="UTF-8"?>
        <check-manifest version="1">
          <check id="site.popup-blocker" category="browser" severity="advisory" restart-browser="true">
            <title zh="关闭 IE 弹出窗口阻止程序" en="IE pop-up blocker is off"/>
            <summary zh="PopupMgr 为 0" en="PopupMgr is 0"/>
            <fix zh="把 PopupMgr 设为 0" en="Sets PopupMgr to 0"/>
            <requirement>R1</requirement>
            <value path="Software\Microsoft\Internet Explorer\New Windows" name="PopupMgr"
                   policy-path="Software\Policies\Microsoft\Internet Explorer\Restrictions" expect="0"
                   zh="弹出窗口阻止程序" en="Pop-up blocker"/>
            <url-action zone="2" action="1200" expect="0" zh="运行 ActiveX 控件和插件" en="Run ActiveX controls and plug-ins"/>
          </check>
        </check-manifest>
        """#

    @Test func aManifestInAPluginDirectoryAddsACheckWithItsFix() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64)")
            return
        }
        let plugins = try Self.directory(with: ["popup.xml": Self.popupManifest])
        let checks = try Doctor.windowsSideChecks(profile: Self.profile(), dataDirectory: Self.dataDirectory, manifestDirectories: [plugins])
        let registry = try CheckRegistry(checks)
        let check = try #require(registry["site.popup-blocker"])
        #expect(check.description.source == .manifest(path: plugins.appendingPathComponent("popup.xml").path))
        #expect(check.description.severity == .advisory)
        #expect(registry["browser.zone-actions"] != nil, "the shipped manifest loads beside it")

        try WineTestPrefix.windows.withPrefix { prefix in
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let context = CheckContext(environment: environment)
            let before = try #require(try Runner(only: ["site.popup-blocker"]).run(registry, in: context).first { $0.id == "site.popup-blocker" })
            #expect(before.outcome == .fail)
            #expect(before.evidence.contains { $0.value.contains("not set") })
            let finding = Finding(before.outcome, before.message, evidence: before.evidence)
            let plan = try #require(try check.planFix(for: finding, in: context))
            #expect(plan.afterword != nil, "R6: restart the browser")
            let journal = Journal(directory: try WindowsFixTests.temporaryDirectory())
            let applied = try journal.apply([plan], command: "fix")
            #expect(applied.errors.isEmpty)
            let after = try Runner(only: ["site.popup-blocker"]).run(registry, in: CheckContext(environment: environment))
            #expect(after.first { $0.id == "site.popup-blocker" }?.outcome == .pass)
            let query = try WineTestPrefix.windows.wine(["reg", "query", #"HKCU\Software\Microsoft\Internet Explorer\New Windows"#, "/v", "PopupMgr"])
            #expect(query.text.contains("0x0"), "\(query.text)")
        }
    }

    @Test func anInvalidManifestNamesItsFileAndLine() throws {
        let broken = Self.popupManifest.replacingOccurrences(of: #"action="1200""#, with: #"action="12000""#)
        let plugins = try Self.directory(with: ["broken.xml": broken])
        let file = plugins.appendingPathComponent("broken.xml").path
        do {
            _ = try Doctor.windowsSideChecks(profile: Self.profile(), dataDirectory: Self.dataDirectory, manifestDirectories: [plugins])
            Issue.record("an invalid manifest was accepted")
        } catch let error as ManifestError {
            guard case .invalid(let path, let line, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path == file)
            #expect(line == 11, "the url-action element's line")
            #expect(reason.contains("action"), "\(reason)")
            #expect(error.localizedMessage.zh.contains("\(file):11"))
        }
    }

    @Test func malformedXMLNamesItsFileAndLine() throws {
        let plugins = try Self.directory(with: ["torn.xml": "<?xml version=\"1.0\"?>\n<check-manifest version=\"1\">\n  <check id=\"a.b\"\n"])
        #expect {
            _ = try Doctor.windowsSideChecks(profile: Self.profile(), dataDirectory: Self.dataDirectory, manifestDirectories: [plugins])
        } throws: { error in
            let text = (error as? ManifestError)?.localizedMessage.en ?? ""
            return text.contains("torn.xml:") && text.contains("malformed")
        }
    }

    @Test func theShippedManifestValidatesWithXmllintToo() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        let checks = Self.dataDirectory.checks
        process.arguments = ["--noout", "--schema", checks.appendingPathComponent("check-manifest.xsd").path]
            + ((try? FileManager.default.contentsOfDirectory(atPath: checks.appendingPathComponent("manifests").path)) ?? [])
            .filter { $0.hasSuffix(".xml") }.map { checks.appendingPathComponent("manifests/\($0)").path }
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
