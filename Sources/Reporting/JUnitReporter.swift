import CertDoctorCore
import Foundation
import XMLSupport

/// JUnit XML in the Ant/Jenkins shape, so CI systems list the checks as tests: a check is a
/// testcase, its category the classname (and testsuite); a required check's fail → failure and error →
/// error, notapplicable/notchecked → skipped, evidence → system-out. Advisory findings never fail a CI job:
/// their message goes to system-out. A last testcase, `certdoctor.run/verdict`, carries the run's verdict, so
/// that the JUnit file fails exactly when `certdoctor check` exits 1 (a run that examined no certificate too).
public enum JUnitReporter: Reporter {
    public static let identifier = "junit"
    public static let fileName = "report.junit.xml"

    public static func render(_ prepared: PreparedReport) throws -> [UInt8] {
        let report = prepared.report
        let language = prepared.language
        let document = XMLDocument(rootName: "testsuites")
        let root = document.root
        root.setAttribute("name", report.tool)
        var all = Counts(report.results)
        // The verdict's own testcase, below.
        all.tests += 1
        all.failures += report.summary.ready ? 0 : 1
        all.write(to: root, time: report.finished.timeIntervalSince(report.started))

        var categories: [String] = []
        for result in report.results where !categories.contains(result.category) {
            categories.append(result.category)
        }
        for (index, category) in categories.enumerated() {
            let results = report.results.filter { $0.category == category }
            let suite = root.addChild("testsuite")
            suite.setAttribute("name", classname(category))
            Counts(results).write(to: suite, time: results.reduce(0) { $0 + $1.durationSeconds })
            suite.setAttribute("id", String(index))
            suite.setAttribute("hostname", report.host.hostName.isEmpty ? "localhost" : report.host.hostName)
            suite.setAttribute("timestamp", antTimestamp(report.started))
            for result in results {
                addTestcase(result, category: category, language: language, to: suite)
            }
        }
        addVerdict(report, language: language, to: root, index: categories.count)
        return try document.serialized(pretty: true)
    }

    private static func addVerdict(_ report: RunReport, language: Language, to root: XMLElement, index: Int) {
        let suite = root.addChild("testsuite")
        suite.setAttribute("name", "certdoctor.run")
        let failed = !report.summary.ready
        suite.setAttribute("tests", "1")
        suite.setAttribute("failures", failed ? "1" : "0")
        suite.setAttribute("errors", "0")
        suite.setAttribute("skipped", "0")
        suite.setAttribute("time", XMLReporter.seconds(report.finished.timeIntervalSince(report.started)))
        suite.setAttribute("id", String(index))
        suite.setAttribute("hostname", report.host.hostName.isEmpty ? "localhost" : report.host.hostName)
        suite.setAttribute("timestamp", antTimestamp(report.started))
        let testcase = suite.addChild("testcase")
        testcase.setAttribute("name", "verdict")
        testcase.setAttribute("classname", "certdoctor.run")
        testcase.setAttribute("time", "0")
        let headline = Verdict.headline(report).text(language)
        if failed {
            let failure = testcase.addChild("failure", text: Verdict.reason(report).text(language))
            failure.setAttribute("message", headline)
            failure.setAttribute("type", "verdict")
        }
        testcase.addChild("system-out", text: headline + "\n" + Verdict.scopeLine(report.scope).text(language))
    }

    private static func addTestcase(_ result: CheckResult, category: String, language: Language, to suite: XMLElement) {
        let testcase = suite.addChild("testcase")
        testcase.setAttribute("name", result.id)
        testcase.setAttribute("classname", classname(category))
        testcase.setAttribute("time", XMLReporter.seconds(result.durationSeconds))
        let message = result.title.text(language) + ": " + result.message.text(language)
        var detail = result.message.text(language)
        if let remedy = result.remedy { detail += "\n" + remedy.text(language) }
        if !result.requirements.isEmpty { detail += "\n" + result.requirements.joined(separator: ", ") }
        let blocks = result.severity == .required
        switch result.outcome {
        case .fail where !blocks, .error where !blocks:
            break
        case .fail:
            let failure = testcase.addChild("failure", text: detail)
            failure.setAttribute("message", message)
            failure.setAttribute("type", result.severity.rawValue)
        case .error:
            let error = testcase.addChild("error", text: detail)
            error.setAttribute("message", message)
            error.setAttribute("type", "error")
        case .notapplicable, .notchecked:
            testcase.addChild("skipped").setAttribute("message", result.outcome.rawValue + ": " + result.message.text(language))
        case .pass, .informational, .fixed:
            break
        }
        var lines = ["outcome: \(result.outcome.rawValue)"]
        if !blocks && (result.outcome == .fail || result.outcome == .error) {
            // Shown, not failed: an advisory finding never blocks renewal, so it must not fail a CI job either.
            lines.append("advisory \(result.outcome.rawValue): " + message)
            if let remedy = result.remedy { lines.append("remedy: " + remedy.text(language)) }
        }
        lines += result.evidence.map { "\($0.name): \($0.value)" }
        lines += result.certificates.map {
            "certificate: CN=\($0.subjectCommonName), issuer CN=\($0.issuerCommonName), serial \($0.serialNumber), \($0.filePath)"
        }
        testcase.addChild("system-out", text: lines.joined(separator: "\n"))
    }

    private static func classname(_ category: String) -> String {
        "certdoctor." + (category.isEmpty ? "general" : category)
    }

    /// Ant writes local-less timestamps (xs:dateTime without a zone); we write UTC.
    static func antTimestamp(_ date: Date) -> String {
        String(XMLReporter.timestamp(date).prefix(19))
    }

    private struct Counts {
        var tests = 0, failures = 0, errors = 0, skipped = 0

        init(_ results: [CheckResult]) {
            tests = results.count
            failures = results.filter { $0.outcome == .fail && $0.severity == .required }.count
            errors = results.filter { $0.outcome == .error && $0.severity == .required }.count
            skipped = results.filter { $0.outcome == .notapplicable || $0.outcome == .notchecked }.count
        }

        func write(to element: XMLElement, time: Double) {
            element.setAttribute("tests", String(tests))
            element.setAttribute("failures", String(failures))
            element.setAttribute("errors", String(errors))
            element.setAttribute("skipped", String(skipped))
            element.setAttribute("time", XMLReporter.seconds(time))
        }
    }
}
