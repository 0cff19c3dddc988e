import CertDoctorCore
import Foundation
import Testing

/// `check … --report DIR --junit --prometheus --bundle FILE` end to end, each file checked by the tool that
/// consumes it: xmllint against the schema, promtool, tar.
@Suite struct ReportOptionTests {
    func tool(_ path: String, _ arguments: [String]) throws -> ChildProcess.Termination {
        try ChildProcess.run(path, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"], deadline: Date().addingTimeInterval(60))
    }

    @Test func reportDirectoryHoldsEveryFormatAndEachValidates() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/expired/F000504Y0007#0.pfx")
        let out = directory.appendingPathComponent("out")
        let bundle = directory.appendingPathComponent("ticket.tar.gz")
        let run = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--report", out.path, "--junit", "--prometheus",
             "--bundle", bundle.path, "--lang", "en"], in: directory)
        #expect(run.exitCode == 1, "\(run.errors)")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        #expect(names == ["report.xml", "report.html", "report.json", "report.junit.xml", "certdoctor.prom"])

        let schema = CLI.repository.appendingPathComponent("Reports/certdoctor-report.xsd").path
        let xml = try tool("/usr/bin/xmllint", ["--noout", "--schema", schema, out.appendingPathComponent("report.xml").path])
        #expect(xml.reason == .exited(0), "\(xml.errorText)")
        let junitSchema = CLI.repository.appendingPathComponent("Reports/junit.xsd").path
        let junit = try tool("/usr/bin/xmllint", ["--noout", "--schema", junitSchema, out.appendingPathComponent("report.junit.xml").path])
        #expect(junit.reason == .exited(0), "\(junit.errorText)")
        let jsonValidator = CLI.repository.appendingPathComponent("Reports/validate-report-json.py").path
        let json = try tool("/usr/bin/python3", [jsonValidator, out.appendingPathComponent("report.json").path])
        #expect(json.reason == .exited(0), "\(json.outputText) \(json.errorText)")
        let prom = try String(contentsOf: out.appendingPathComponent("certdoctor.prom"), encoding: .utf8)
        #expect(prom.contains("x509_cert_expired{"))
        #expect(prom.contains("certdoctor_check_outcome{check=\"cert.validity\",outcome=\"fail\",severity=\"required\"} 1"), "\(prom)")
        // promtool is part of the test set-up (scripts/bootstrap.sh --tests): a missing one fails, never skips.
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is missing: apt install prometheus")
        let check = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", "promtool check metrics < '\(out.appendingPathComponent("certdoctor.prom").path)'"],
            environment: ["PATH": "/usr/bin:/bin"], deadline: Date().addingTimeInterval(60))
        #expect(check.reason == .exited(0), "\(check.outputText) \(check.errorText)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("cert.validity"))

        let listing = try tool("/bin/tar", ["-tzf", bundle.path])
        #expect(listing.outputText.contains("report.xml"))
        #expect(!listing.outputText.contains(".pfx\n"), "the certificate itself never goes into a bundle")
    }

    @Test func reportsAreRedactedUnlessAskedAndNeverHoldThePassword() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let redacted = directory.appendingPathComponent("redacted")
        let plain = directory.appendingPathComponent("plain")
        _ = try CLI.run(["check", "--pfx", file.path, "--password-file", "pw", "--report", redacted.path], in: directory)
        _ = try CLI.run(["check", "--pfx", file.path, "--password-file", "pw", "--report", plain.path, "--no-redact"], in: directory)
        let serial = "1000"
        let redactedXML = try String(contentsOf: redacted.appendingPathComponent("report.xml"), encoding: .utf8)
        let plainXML = try String(contentsOf: plain.appendingPathComponent("report.xml"), encoding: .utf8)
        #expect(plainXML.contains(">\(serial)<") || plainXML.contains("\"\(serial)\""))
        #expect(!redactedXML.contains(">\(serial)<") && !redactedXML.contains("\"\(serial)\""))
        for report in [redactedXML, plainXML] {
            #expect(!report.contains("123456"))
        }
    }

    @Test func unknownFormatIsAUsageError() throws {
        #expect(try CLI.run(["check", "--format", "yaml"]).exitCode == 64)
    }

    @Test func savedReportRendersAgainInTheOtherLanguage() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let out = directory.appendingPathComponent("out")
        _ = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--report", out.path, "--lang", "en"], in: directory)
        let page = directory.appendingPathComponent("again.html")
        let run = try CLI.run(["report", "render", out.appendingPathComponent("report.xml").path, "--html", page.path, "--lang", "zh"])
        #expect(run.exitCode == 0, "\(run.errors)")
        #expect(try String(contentsOf: page, encoding: .utf8).contains("cert.pfx-readable"))
    }
}

/// The environment table of a customer's report names their Windows (from the exported registry) and the exact
/// command, with its home directories redacted like every other path.
@Suite struct ReportEnvironmentTests {
    @Test func theCustomersWindowsAndTheCommandLineAreInTheReport() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let windows7 = CLI.fixtures.appendingPathComponent("windows/ie-mode/windows7.reg").path
        let out = directory.appendingPathComponent("out")
        let arguments = ["check", "--no-discover", "--pfx", file.lastPathComponent, "--password-file", "pw", "--registry", windows7,
                         "--report", out.path, "--lang", "en"]
        _ = try CLI.run(arguments, in: directory)
        let xml = try String(contentsOf: out.appendingPathComponent("report.xml"), encoding: .utf8)
        #expect(xml.contains(#"<component name="windows" version="Windows 7 Professional (build 7601)"/>"#), "\(xml)")
        #expect(xml.contains("<command>certdoctor check --no-discover --pfx 'F000504Y0007#0.pfx' --password-file pw --registry "), "\(xml)")
        #expect(xml.contains(#"<scope subjectExamined="true" subjectName="F000504Y0007">"#), "\(xml)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Windows 7 Professional (build 7601)") && html.contains(#"class="value command""#), "\(html)")
        #expect(html.contains("<title>certdoctor report — F000504Y0007 — "), "\(html)")
    }
}

@Suite struct FixReportTests {
    @Test func fixReportRecordsEachChangeWithBeforeAndAfterAndTheJournalEntry() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-aes/F000504Y0007#0.pfx")
        let out = directory.appendingPathComponent("out")
        let run = try CLI.run(["fix", "--pfx", file.lastPathComponent, "--password-file", "pw", "--yes", "--report", out.path],
                              in: directory, environment: ["XDG_STATE_HOME": directory.appendingPathComponent("state").path])
        #expect(run.exitCode == 0, "\(run.errors)")
        let xml = try String(contentsOf: out.appendingPathComponent("report.xml"), encoding: .utf8)
        #expect(xml.contains("<before>certificates PBES2/PBKDF2/AES-256-CBC"))
        #expect(xml.contains("<after>certificates pbeWithSHA1And3-KeyTripleDES-CBC"))
        #expect(xml.contains("<journalEntry>"))
        #expect(xml.contains("outcome=\"fixed\""))
        // A real fix record (changes with before and after, the journal entry) follows the JSON schema too.
        let validator = CLI.repository.appendingPathComponent("Reports/validate-report-json.py").path
        let json = try ChildProcess.run(
            "/usr/bin/python3", arguments: [validator, out.appendingPathComponent("report.json").path], environment: ["PATH": "/usr/bin:/bin"],
            deadline: Date().addingTimeInterval(60))
        #expect(json.reason == .exited(0), "\(json.outputText) \(json.errorText)")
    }
}
