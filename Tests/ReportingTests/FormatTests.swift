import CertDoctorCore
import Foundation
import Reporting
import Testing
import XMLSupport

@Suite struct XMLReportTests {
    /// The build embeds Reports/ itself: the target's resources are links to those files, not copies that
    /// could drift, and the embedded bytes are theirs.
    @Test func embeddedSchemaAndStylesheetAreTheShippedFiles() throws {
        for (name, embedded) in [("certdoctor-report.xsd", ReportResources.schema), ("certdoctor-report.xsl", ReportResources.htmlStylesheet)] {
            let resource = repositoryRoot.appendingPathComponent("Sources/Reporting/Resources/\(name)").path
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: resource) == "../../../Reports/\(name)")
            let shipped = try Data(contentsOf: repositoryRoot.appendingPathComponent("Reports/\(name)"))
            // Compared as a flag: a failure then names the file rather than printing both files byte by byte.
            let same = embedded == Array(shipped)
            #expect(same, "\(name): the build embedded other bytes (\(embedded.count) embedded, \(shipped.count) shipped)")
        }
    }

    @Test func everyOutcomeLandsInTheXMLAndItValidates() throws {
        let bytes = try XMLReporter.render(PreparedReport(SampleReports.mixed(), options: SampleReports.options))
        let schema = try XMLSchema(contentsOfFile: repositoryRoot.appendingPathComponent("Reports/certdoctor-report.xsd").path)
        #expect(try schema.validate(bytes: bytes, fileName: "report.xml").isEmpty)

        let document = try XMLDocument(bytes: bytes)
        let ns = ["r": XMLReporter.namespace]
        #expect(try document.xpathStrings("/r:report/r:results/r:check/@outcome", namespaces: ns)
            == ["pass", "fail", "error", "notapplicable", "fixed", "notchecked", "informational"])
        #expect(try document.xpathStrings("/r:report/r:summary/@readyToRenew", namespaces: ns) == ["false"])
        #expect(try document.xpathStrings("/r:report/r:summary/r:blocking/@check", namespaces: ns)
            == ["browser.trusted-site", "token.single"])
        #expect(try document.xpathStrings("/r:report/r:host/r:component[@name='wine']/@version", namespaces: ns) == ["wine-8.0"])
        #expect(try document.xpathStrings("/r:report/r:fixes/r:fix/@outcome", namespaces: ns) == ["fixed"])
        #expect(try document.xpathStrings("/r:report/r:renewal/r:step/@outcome", namespaces: ns) == ["wait"])
        #expect(try document.xpathStrings("/r:report/r:support/@phone", namespaces: ns) == ["0755-83183333"])
        #expect(try document.xpathStrings("/r:report/r:support/r:label/r:en", namespaces: ns) == ["SSCC support line (R16)"])
        #expect(try document.xpathStrings("/r:report/r:requirementTexts/r:item/@id", namespaces: ns) == ["R2", "R7"])
        #expect(try document.xpathStrings("//r:check[@id='browser.trusted-site']/r:evidence/r:fact[@name='note']", namespaces: ns)
            == ["operator wrote pin: ****** & <b>bold</b>"])
    }

    /// xmllint is an independent validator of what we wrote.
    @Test func xmllintValidatesTheXMLReport() throws {
        try #require(toolExists("/usr/bin/xmllint"), "install libxml2-utils")
        let directory = try TemporaryDirectory()
        let report = try directory.write(
            XMLReporter.render(PreparedReport(SampleReports.mixed(), options: SampleReports.options)), to: "report.xml")
        let run = try runTool("/usr/bin/xmllint", [
            "--noout", "--nonet", "--schema", repositoryRoot.appendingPathComponent("Reports/certdoctor-report.xsd").path,
            report.path,
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("validates"))
    }

    @Test func savedReportRendersAgainInEitherLanguage() throws {
        let directory = try TemporaryDirectory()
        let saved = try directory.write(
            XMLReporter.render(PreparedReport(SampleReports.mixed(), options: SampleReports.options)), to: "report.xml")
        let english = String(decoding: try HTMLReporter.render(savedReportAt: saved.path, language: .en), as: UTF8.self)
        #expect(english.contains("The certificate cannot be renewed yet"))
        let chinese = String(decoding: try HTMLReporter.render(savedReportAt: saved.path, language: nil), as: UTF8.self)
        #expect(chinese.contains("暂时不能更新证书"))
        #expect(chinese.contains("<html lang=\"zh\">"))
    }

    @Test func somethingElseIsNotAReport() throws {
        let directory = try TemporaryDirectory()
        let other = try directory.write(Array("<report xmlns=\"urn:other\"/>".utf8), to: "other.xml")
        #expect {
            _ = try HTMLReporter.render(savedReportAt: other.path, language: .en)
        } throws: { error in
            guard case let .notAReport(path, reasons) = error as? ReportingError else { return false }
            return path == other.path && !reasons.isEmpty
        }
        let broken = try directory.write(Array("<report>\n<".utf8), to: "broken.xml")
        #expect(throws: ReportingError.self) { _ = try HTMLReporter.render(savedReportAt: broken.path, language: .en) }
    }
}

@Suite struct HTMLReportTests {
    @Test(arguments: [Language.zh, Language.en])
    func verdictChecksAndEvidenceAreInThePage(language: Language) throws {
        var options = SampleReports.options
        options.language = language
        let html = String(decoding: try HTMLReporter.render(PreparedReport(SampleReports.mixed(), options: options)), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html"))
        #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        for result in SampleReports.mixed().results {
            #expect(html.contains("data-check=\"\(result.id)\" data-outcome=\"\(result.outcome.rawValue)\""))
        }
        // Evidence is open for what fails or errs (support reads it first), collapsed for the rest.
        let problems = SampleReports.mixed().results.filter { [.fail, .error].contains($0.outcome) && !$0.evidence.isEmpty }
        #expect(html.components(separatedBy: "<details open").count - 1 == problems.count)
        #expect(html.contains("<details>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
        #expect(html.contains("href=\"#req-R2\""))
        #expect(html.contains("id=\"req-R2\""))
        // The requirement texts and the support line come from the report, which has them from the profile.
        let requirement = try #require(SampleReports.references.requirements.first { $0.id == "R2" })
        #expect(html.contains(language == .en ? requirement.text.en : requirement.text.zh))
        #expect(html.contains(language == .en ? "Requirements of the SSCC manual" : "深证通操作手册要求"))
        #expect(html.contains(language == .en ? "SSCC support line (R16): <strong>0755-83183333</strong>"
                                              : "深证通客服电话（R16）：<strong>0755-83183333</strong>"))
        #expect(html.contains(language == .en ? "What to do first:" : "请先处理："))
        #expect(html.contains(language == .en ? "run certdoctor fix to put the portal in zone 2" : "运行 certdoctor fix 将门户加入区域 2"))
        // Markup inside evidence stays text.
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;"))
    }

    /// A report made without a profile has no requirement texts or support line: the page leaves them out
    /// rather than inventing them, and the XML still validates.
    @Test func aReportWithoutReferencesLeavesThemOut() throws {
        var report = SampleReports.mixed()
        report.references = nil
        var options = SampleReports.options
        options.language = .en
        let xml = try XMLReporter.render(PreparedReport(report, options: options))
        let document = try XMLDocument(bytes: xml)
        #expect(try document.xpathStrings("/r:report/r:support/@phone", namespaces: ["r": XMLReporter.namespace]).isEmpty)
        let html = String(decoding: try HTMLReporter.render(PreparedReport(report, options: options)), as: UTF8.self)
        #expect(html.contains("href=\"#req-R2\""))
        #expect(!html.contains("id=\"req-R2\""))
        #expect(!html.contains("0755-83183333"))
        #expect(html.contains("Attach report.xml"))
    }

    @Test func readyRunSaysSoAtTheTop() throws {
        var report = SampleReports.mixed()
        report.results = report.results.filter { $0.outcome != .fail && $0.outcome != .error }
        report.summary = RunReport.Summary(report.results, scope: report.scope)
        var options = SampleReports.options
        options.language = .en
        let html = String(decoding: try HTMLReporter.render(PreparedReport(report, options: options)), as: UTF8.self)
        #expect(html.contains("data-ready=\"true\""))
        #expect(html.contains("The certificate can be renewed now"))
    }
}

@Suite struct OtherFormatTests {
    @Test func jsonIsTheFoundationsShape() throws {
        var options = SampleReports.options
        options.language = .en
        let bytes = try JSONReporter.render(PreparedReport(SampleReports.mixed(), options: options))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.compactMap { $0["outcome"] as? String } == SampleReports.mixed().results.map(\.outcome.rawValue))
        #expect(results[1]["message"] as? String == "https://biz.sscc.com is not a trusted site (user <user-1>)")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["ready_to_renew"] as? Bool == false)
        #expect(object["language"] as? String == "en")
    }

    @Test func junitMapsOutcomesAndValidates() throws {
        let bytes = try JUnitReporter.render(PreparedReport(SampleReports.mixed(), options: SampleReports.options))
        let schemaPath = repositoryRoot.appendingPathComponent("Reports/junit.xsd").path
        let violations = try XMLSchema(contentsOfFile: schemaPath).validate(bytes: bytes, fileName: "report.junit.xml")
        #expect(violations.isEmpty, "\(violations)")

        let document = try XMLDocument(bytes: bytes)
        // Seven checks and the run's verdict, which fails as `check` would exit 1.
        #expect(try document.xpathStrings("/testsuites/@tests") == ["8"])
        #expect(try document.xpathStrings("/testsuites/@failures") == ["2"])
        #expect(try document.xpathStrings("/testsuites/@errors") == ["1"])
        #expect(try document.xpathStrings("/testsuites/@skipped") == ["2"])
        #expect(try document.xpathStrings("//testcase[failure]/@name") == ["browser.trusted-site", "verdict"])
        #expect(try document.xpathStrings("//testcase[error]/@name") == ["token.single"])
        #expect(Set(try document.xpathStrings("//testcase[skipped]/@name")) == ["browser.edge-ie-mode", "token.driver"])
        #expect(try document.xpathStrings("//testcase[@name='token.single']/@classname") == ["certdoctor.token"])
        #expect(try document.xpathStrings("//testcase[@name='browser.trusted-site']/system-out")
            .first?.contains("key: HKCU\\Software") == true)

        try #require(toolExists("/usr/bin/xmllint"), "install libxml2-utils")
        let directory = try TemporaryDirectory()
        let file = try directory.write(bytes, to: "report.junit.xml")
        let run = try runTool("/usr/bin/xmllint", ["--noout", "--nonet", "--schema", schemaPath, file.path])
        #expect(run.status == 0, "\(run.output)")
    }

    @Test func junitFailsExactlyWhenTheRunIsNotReadyAndNeverForAnAdvisoryFinding() throws {
        var report = SampleReports.mixed()
        // Keep only the advisory failure and what passes: the run is ready, so no CI job may fail on it.
        report.results = report.results.filter { $0.outcome != .error && $0.outcome != .notchecked }
        let advisory = CheckResult(
            description: CheckDescription(
                id: "host.free-space", title: Localized(verbatim: "Free space"), summary: Localized(verbatim: "free space"),
                requirements: [], category: "host", severity: .advisory),
            finding: .fail(Localized(verbatim: "only 12 KiB free"), remedy: Localized(verbatim: "free some space")),
            durationSeconds: 0)
        report.results = report.results.filter { $0.outcome != .fail } + [advisory]
        report.summary = RunReport.Summary(report.results, scope: report.scope)
        #expect(report.summary.ready)
        let ready = try XMLDocument(bytes: try JUnitReporter.render(PreparedReport(report, options: SampleReports.options)))
        #expect(try ready.xpathStrings("/testsuites/@failures") == ["0"])
        #expect(try ready.xpathStrings("//testcase[failure or error]/@name").isEmpty)
        #expect(try ready.xpathStrings("//testcase[@name='host.free-space']/system-out").first?.contains("advisory fail") == true)

        report.scope.subjectExamined = false
        report.summary = RunReport.Summary(report.results, scope: report.scope)
        let unexamined = try XMLDocument(bytes: try JUnitReporter.render(PreparedReport(report, options: SampleReports.options)))
        #expect(try unexamined.xpathStrings("//testcase[failure]/@name") == ["verdict"])
    }

    @Test func prometheusTextfilePassesPromtool() throws {
        var options = SampleReports.options
        options.redact = false
        let bytes = try PrometheusReporter.render(PreparedReport(SampleReports.mixed(), options: options))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"x509_cert_not_after{filepath="/home/liwei-canary/certs/F000504Y0007#0.pfx",issuer_CN="SSCC CA",serial_number="5A3C9E0011CANARY",subject_CN="F000504Y0007"} 1792000000"#))
        #expect(text.contains(#"x509_cert_expired{"#))
        #expect(text.contains(#"certdoctor_check_outcome{check="token.single",outcome="error",severity="required"} 1"#))
        #expect(text.contains(#"certdoctor_check_outcome{check="browser.edge-ie-mode",outcome="#))
        #expect(text.contains(#"# HELP x509_cert_not_after Indicates the certificate's not after timestamp"#))
        #expect(!text.contains("id=\""), "the check label is named check, as the alert rules select it")
        #expect(text.contains("certdoctor_last_run_timestamp_seconds 1790000005.300"))
        #expect(text.contains("certdoctor_ready_to_renew 0"))

        try #require(toolExists("/usr/bin/promtool"), "apt-get install prometheus (provides promtool)")
        let run = try runTool("/usr/bin/promtool", ["check", "metrics"], input: bytes)
        #expect(run.status == 0, "\(run.output)")
    }

    @Test func prometheusLabelValuesAreEscaped() throws {
        var report = SampleReports.mixed()
        report.results[0].certificates[0].subjectCommonName = "a\"b\\c\nd"
        let bytes = try PrometheusReporter.render(PreparedReport(report, options: SampleReports.options))
        #expect(String(decoding: bytes, as: UTF8.self).contains(#"subject_CN="a\"b\\c\nd""#))
        if toolExists("/usr/bin/promtool") {
            #expect(try runTool("/usr/bin/promtool", ["check", "metrics"], input: bytes).status == 0)
        }
    }

    @Test func textIsTheTerminalReportWithoutColour() throws {
        var options = SampleReports.options
        options.language = .en
        let text = String(decoding: try TextReporter.render(PreparedReport(SampleReports.mixed(), options: options)), as: UTF8.self)
        #expect(text.contains("✘ fail  browser.trusted-site"))
        #expect(text.contains("Not ready to renew"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func registryKnowsEveryFormatOnce() throws {
        #expect(ReporterRegistry.identifiers == ["text", "json", "xml", "html", "junit", "prometheus"])
        #expect(Set(ReporterRegistry.all.map { $0.fileName }).count == ReporterRegistry.all.count)
        #expect(throws: ReportingError.self) { _ = try ReporterRegistry.reporter("yaml") }
        let error = ReportingError.unknownFormat("yaml", known: ["xml"])
        #expect(error.chineseDescription.contains("未知的报告格式"))
    }
}
