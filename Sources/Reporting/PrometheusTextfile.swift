import CertDoctorCore
import Foundation

/// The metrics file node_exporter's textfile collector reads (`check --prometheus-textfile DIR/certdoctor.prom`).
///
/// It is for the firm's own monitoring, so gateway numbers, serials and paths are written as they are: redaction is
/// for what leaves the firm (reports, bundles). Secrets are scrubbed all the same. Every write replaces the file
/// atomically (a temporary file in the same directory, whose name does not end in `.prom`, then a rename), so
/// node_exporter never reads half a file.
public enum PrometheusTextfile {
    /// A run that produced results: every sample, with the run's exit status (0 ready, 1 a required check failed).
    public static func write(_ report: RunReport, exitCode: Int32, secrets: [Secret], to file: URL) throws {
        let prepared = PreparedReport(report, options: ReportOptions(language: report.language, redact: false, secrets: secrets))
        var exposition = PrometheusReporter.exposition(prepared.report)
        exposition.families += [PrometheusReporter.lastRunExitCode(exitCode)].compactMap { $0 }
        try replace(file, with: exposition)
    }

    /// A run that ended without results (a usage error, an unreadable input: exit 64, 65, 66, …). The previous
    /// samples stay: had the file been emptied, a mistyped option on the timer would resolve the expiry alerts as if
    /// the certificate had been renewed. Only the run's exit status and time are replaced, which is what fires
    /// `CertdoctorRunFailed`; `certdoctor_samples_timestamp_seconds` keeps dating the samples themselves.
    public static func recordRunWithoutResults(exitCode: Int32, at date: Date, to file: URL) throws {
        let previous = (try? String(contentsOf: file, encoding: .utf8)).map(MetricExposition.parse) ?? MetricExposition(families: [])
        var exposition = previous.removing([PrometheusReporter.lastRunTimestampName, PrometheusReporter.lastRunExitCodeName])
        exposition.families += [
            PrometheusReporter.lastRunTimestamp(date.timeIntervalSince1970), PrometheusReporter.lastRunExitCode(exitCode),
        ].compactMap { $0 }
        try replace(file, with: exposition)
    }

    /// World-readable: node_exporter runs as its own user. A failure is the core's `cannotWrite` (exit 73).
    static func replace(_ file: URL, with exposition: MetricExposition) throws(CoreError) {
        try AtomicFile.write(exposition.bytes, to: file, forcedMode: 0o644)
    }
}
