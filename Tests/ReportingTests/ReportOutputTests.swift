import CertDoctorCore
import Foundation
import Reporting
import Testing

@Suite struct ReportOutputTests {
    @Test func reportDirectoryGetsEveryAskedFormat() throws {
        let directory = try TemporaryDirectory()
        let target = directory.url.appendingPathComponent("out/nested")
        let written = try ReportOutput.writeReports(
            SampleReports.mixed(), options: SampleReports.options,
            formats: ReportOutput.defaultFormats + ["junit", "prometheus"], to: target)
        #expect(written.map(\.lastPathComponent)
            == ["report.xml", "report.html", "report.json", "report.junit.xml", "certdoctor.prom"])
        for url in written {
            #expect(FileManager.default.fileExists(atPath: url.path))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: target.path)
        #expect(names.allSatisfy { !$0.hasPrefix(AtomicFile.temporaryPrefix) }, "no temporary file left behind")
        let promMode = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("certdoctor.prom").path)[.posixPermissions] as? Int
        let xmlMode = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("report.xml").path)[.posixPermissions] as? Int
        #expect(promMode == 0o644, "node_exporter runs as another user")
        #expect(xmlMode == 0o600)
    }

    @Test func unwritableDirectoryIsATypedError() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write([1], to: "not-a-directory")
        #expect(throws: (any Error).self) {
            try ReportOutput.writeReports(SampleReports.mixed(), options: SampleReports.options, to: file.appendingPathComponent("x"))
        }
    }

    /// The bundle: reports plus the files the checks looked at, redacted with the same
    /// placeholders, no secrets, no binaries, and no owner names in the archive.
    @Test func bundleIsRedactedThroughout() throws {
        let directory = try TemporaryDirectory()
        let registryExport = """
        Windows Registry Editor Version 5.00

        [HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\sscc.com\\biz]
        "https"=dword:00000002
        ; exported by \(Canary.user) on \(Canary.host), mail \(Canary.email)
        ; password=\(Canary.password)
        "Path"="C:\\\\Users\\\\\(Canary.user)\\\\AppData"

        [HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]
        "DefaultPassword"="Winter2026!"
        "AutoAdminLogon"="1"
        "ShowPinnedSites"=dword:00000001
        """
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(registryExport.data(using: .utf16LittleEndian)!)
        let reg = directory.file("user-\(Canary.user).reg")
        try utf16.write(to: reg)
        let policy = try directory.write(Array("{\"PopupsAllowedForUrls\": [\"https://biz.sscc.com\"], \"owner\": \"\(Canary.email)\",\n  \"tokenPin\": \"4711\"}".utf8), to: "policy.json")
        let binary = try directory.write([0x30, 0x82, 0x00, 0x01] + Array(Canary.password.utf8), to: "cert.pfx")

        let bundle = directory.file("support.tar.gz")
        try ReportOutput.writeBundle(
            SampleReports.mixed(), options: SampleReports.options, files: [reg, policy, binary], to: bundle)

        let listing = try runTool("/bin/tar", ["-tzvf", bundle.path])
        #expect(listing.status == 0)
        #expect(listing.output.contains("certdoctor-report/report.xml"))
        #expect(listing.output.contains("certdoctor-report/report.html"))
        #expect(listing.output.contains("certdoctor-report/report.json"))
        #expect(listing.output.contains("certdoctor-report/report.junit.xml"))
        #expect(listing.output.contains("0/0"), "numeric root owner, no user names")
        #expect(!listing.output.contains(Canary.user))

        let unpacked = directory.file("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        #expect(try runTool("/bin/tar", ["-xzf", bundle.path, "-C", unpacked.path]).status == 0)
        let root = unpacked.appendingPathComponent("certdoctor-report")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root.path)
        #expect(!files.contains { $0.hasSuffix(".pfx") }, "binary files stay out")
        var sawRegistry = false
        for name in files {
            let url = root.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let data = try Data(contentsOf: url)
            let text = data.starts(with: [0xFF, 0xFE])
                ? String(data: data.dropFirst(2), encoding: .utf16LittleEndian) ?? ""
                : String(decoding: data, as: UTF8.self)
            for canary in Canary.secrets + Canary.personal {
                #expect(!text.contains(canary), "\(name) leaks \(canary)")
            }
            if name.hasSuffix(".reg") {
                sawRegistry = true
                #expect(data.starts(with: [0xFF, 0xFE]), "regedit's UTF-16 is kept")
                // Same placeholder as in the reports: the user is <user-1> everywhere.
                #expect(text.contains("exported by <user-1> on <host-1>"))
                #expect(text.contains(#"C:\\Users\\<user-1>\\AppData"#))
                #expect(text.contains("password=******"))
                // A value named as a secret is masked whatever it holds; its neighbours are not.
                #expect(!text.contains("Winter2026!"))
                #expect(text.contains(#""DefaultPassword"="******""#))
                #expect(text.contains(#""AutoAdminLogon"="1""#))
                #expect(text.contains(#""ShowPinnedSites"=dword:00000001"#))
            }
            if name.hasSuffix("policy.json") {
                #expect(!text.contains("4711"), "\(text)")
                #expect(text.hasSuffix(#""tokenPin": "******"}"#), "the JSON stays JSON: \(text)")
                #expect(text.contains("PopupsAllowedForUrls"))
            }
        }
        #expect(sawRegistry)
        let manifest = try String(contentsOf: root.appendingPathComponent("files/MANIFEST.txt"), encoding: .utf8)
        #expect(manifest.contains("cert.pfx\t(binary, left out)"))
    }
}
