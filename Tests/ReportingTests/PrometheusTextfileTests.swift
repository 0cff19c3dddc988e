import CertDoctorCore
import Foundation
import Testing
@testable import Reporting

/// The node_exporter textfile: unredacted, serials in decimal as the x509-certificate-exporter writes them, and a
/// run without results keeping the samples it had.
@Suite struct PrometheusTextfileTests {
    @Test(arguments: [
        ("1000", "4096"), ("00", "0"), ("0", "0"), ("-0A", "-10"), ("ff", "255"),
        // 20 bytes, beyond any fixed-width integer (value from Python's int(hex, 16)).
        ("5351D2286513270E269E0D37F2A74DE452E6B438", "475670901665151480824858650169801039563704415288"),
    ])
    func serialNumbersAreDecimal(hex: String, decimal: String) {
        #expect(DecimalSerialNumber.fromHex(hex) == decimal)
    }

    @Test func aPlaceholderIsNoSerial() {
        #expect(DecimalSerialNumber.fromHex("<serial-1>") == nil)
        #expect(DecimalSerialNumber.fromHex("") == nil)
        #expect(DecimalSerialNumber.fromHex("-") == nil)
        #expect(DecimalSerialNumber.fromHex("١٢") == nil, "only ASCII hexadecimal digits")
    }

    func promtoolAccepts(_ file: URL) throws {
        // promtool is part of the test set-up (scripts/bootstrap.sh --tests): a missing one fails, never skips.
        try #require(toolExists("/usr/bin/promtool"), "apt-get install prometheus (provides promtool)")
        let run = try runTool("/usr/bin/promtool", ["check", "metrics"], input: Array(try Data(contentsOf: file)))
        #expect(run.status == 0, "\(run.output)")
    }

    @Test func theTextfileIsUnredactedButHoldsNoSecret() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("certdoctor.prom")
        var report = SampleReports.mixed()
        report.results[0].certificates[0].serialNumber = "1000"
        try PrometheusTextfile.write(report, exitCode: 1, secrets: Canary.secrets.map(Secret.init), to: file)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(
            #"x509_cert_not_after{filepath="/home/liwei-canary/certs/F000504Y0007#0.pfx",issuer_CN="SSCC CA",serial_number="4096",subject_CN="F000504Y0007"} 1792000000"#))
        #expect(text.contains("certdoctor_last_run_exit_code 1\n"))
        #expect(text.contains("certdoctor_ready_to_renew 0\n"))
        #expect(text.contains("certdoctor_samples_timestamp_seconds 1790000005.300\n"))
        for secret in Canary.secrets {
            #expect(!text.contains(secret))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o644, "node_exporter runs as its own user")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["certdoctor.prom"])
        try promtoolAccepts(file)
    }

    @Test func aRunWithoutResultsKeepsThePreviousSamples() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("certdoctor.prom")
        try PrometheusTextfile.write(SampleReports.mixed(), exitCode: 1, secrets: [], to: file)
        let before = try String(contentsOf: file, encoding: .utf8)
        try PrometheusTextfile.recordRunWithoutResults(exitCode: 64, at: Date(timeIntervalSince1970: 1_790_086_400), to: file)
        let after = try String(contentsOf: file, encoding: .utf8)

        func lines(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init)
                .filter { !$0.contains("certdoctor_last_run_exit_code") && !$0.contains("certdoctor_last_run_timestamp_seconds") }
        }
        #expect(lines(after) == lines(before))
        #expect(after.contains("certdoctor_last_run_exit_code 64\n"))
        #expect(after.contains("certdoctor_last_run_timestamp_seconds 1790086400\n"))
        #expect(after.contains("certdoctor_samples_timestamp_seconds 1790000005.300\n"), "the samples keep their own date")
        #expect(after.components(separatedBy: "# HELP certdoctor_last_run_exit_code ").count == 2, "one HELP per name")
        try promtoolAccepts(file)

        // And again: the second failure replaces the first one's gauges instead of adding to them.
        try PrometheusTextfile.recordRunWithoutResults(exitCode: 66, at: Date(timeIntervalSince1970: 1_790_172_800), to: file)
        let again = try String(contentsOf: file, encoding: .utf8)
        #expect(lines(again) == lines(before))
        #expect(again.contains("certdoctor_last_run_exit_code 66\n") && !again.contains("certdoctor_last_run_exit_code 64"))
        try promtoolAccepts(file)
    }

    @Test func aRunWithoutResultsAndNoPreviousFileWritesOnlyItsOwnGauges() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("certdoctor.prom")
        try PrometheusTextfile.recordRunWithoutResults(exitCode: 65, at: Date(timeIntervalSince1970: 1_790_000_000), to: file)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") } == [
            "certdoctor_last_run_timestamp_seconds 1790000000", "certdoctor_last_run_exit_code 65",
        ])
        try promtoolAccepts(file)
    }

    /// A file someone edited by hand (or another tool wrote) must not make the rewrite invalid: node_exporter
    /// would drop the whole file, expiry samples and all.
    @Test func linesThatAreNotTheFormatAreLeftOut() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(Array("""
            # HELP x509_cert_not_after Indicates the certificate's not after timestamp
            # HELP x509_cert_not_after said twice
            # TYPE x509_cert_not_after gauge
            x509_cert_not_after{serial_number="4096",subject_CN="F000504Y0007"} 1792000000
            x509_cert_not_after{serial_number="4096" 17
            not a sample at all
            # TYPE orphan gauge
            # a comment
            # HELP certdoctor_ready_to_renew Ready.
            # TYPE certdoctor_ready_to_renew gauge
            certdoctor_ready_to_renew 1

            """.utf8), to: "certdoctor.prom")
        try PrometheusTextfile.recordRunWithoutResults(exitCode: 64, at: Date(timeIntervalSince1970: 1_790_000_000), to: file)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == """
            # HELP x509_cert_not_after Indicates the certificate's not after timestamp
            # TYPE x509_cert_not_after gauge
            x509_cert_not_after{serial_number="4096",subject_CN="F000504Y0007"} 1792000000
            # HELP certdoctor_ready_to_renew Ready.
            # TYPE certdoctor_ready_to_renew gauge
            certdoctor_ready_to_renew 1
            # HELP certdoctor_last_run_timestamp_seconds When the last run finished, seconds since the Unix epoch.
            # TYPE certdoctor_last_run_timestamp_seconds gauge
            certdoctor_last_run_timestamp_seconds 1790000000
            # HELP certdoctor_last_run_exit_code Exit status of the last run: 0 ready, 1 a required check failed, 64 and above the run itself failed.
            # TYPE certdoctor_last_run_exit_code gauge
            certdoctor_last_run_exit_code 64

            """)
        try promtoolAccepts(file)
    }

    /// The x509_* HELP texts are the x509-certificate-exporter 3.x's own: one name with two HELP texts in one
    /// textfile directory makes node_exporter drop one file's samples without a scrape error.
    @Test func certificateHelpTextsAreTheExportersOwn() throws {
        let text = String(decoding: try PrometheusReporter.render(PreparedReport(SampleReports.mixed(), options: SampleReports.options)), as: UTF8.self)
        #expect(text.contains("# HELP x509_cert_not_after Indicates the certificate's not after timestamp\n"))
        #expect(text.contains("# HELP x509_cert_not_before Indicates the certificate's not before timestamp\n"))
        #expect(text.contains("# HELP x509_cert_expired Indicates if the certificate is expired\n"))
    }
}
