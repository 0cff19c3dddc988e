import CertDoctorCore
import Foundation
import Reporting
import Testing

/// A report of 1,000 generated checks stays complete and usable. Its speed is measured by
/// `Benchmarks/report-render.sh` in a release build, which sets `CERTDOCTOR_BENCHMARK_OUTPUT`
/// to collect the timings and the page; this test only records them.
@Suite struct LargeReportTests {
    @Test func thousandChecksRenderCompletelyWithEvidenceCollapsed() throws {
        let report = SampleReports.large(1000)
        let clock = ContinuousClock()
        var prepared: PreparedReport?
        var xml: [UInt8] = []
        var html: [UInt8] = []
        let prepare = clock.measure { prepared = PreparedReport(report, options: ReportOptions(language: .en)) }
        let xmlTime = try clock.measure { xml = try XMLReporter.render(try #require(prepared)) }
        let htmlTime = try clock.measure { html = try HTMLReporter.render(try #require(prepared)) }

        let page = String(decoding: html, as: UTF8.self)
        // Every check is on the page: a section each, but what did not apply as one line each at the end; the
        // evidence of what failed or erred is open, the rest collapsed.
        let folded = report.results.filter { [.notapplicable, .notchecked].contains($0.outcome) }.count
        let problems = report.results.filter { [.fail, .error].contains($0.outcome) }.count
        #expect(page.components(separatedBy: "class=\"check o-").count - 1 == 1000 - folded)
        #expect(page.components(separatedBy: "data-check=").count - 1 == 1000)
        #expect(page.components(separatedBy: "<details open").count - 1 == problems)
        #expect(page.components(separatedBy: "<details>").count - 1 == 1000 - folded - problems)
        #expect(String(decoding: xml, as: UTF8.self).components(separatedBy: "<check ").count - 1 == 1000)

        if let output = ProcessInfo.processInfo.environment["CERTDOCTOR_BENCHMARK_OUTPUT"] {
            let directory = URL(fileURLWithPath: output)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(html).write(to: directory.appendingPathComponent("report-1000.html"))
            func seconds(_ duration: Duration) -> String {
                let parts = duration.components
                return String(format: "%.4f", Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
            }
            let lines = [
                "prepare \(seconds(prepare))", "xml+validate \(seconds(xmlTime))", "html \(seconds(htmlTime))",
                "total \(seconds(prepare + xmlTime + htmlTime))",
            ]
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("timings.txt"))
        }
    }
}
