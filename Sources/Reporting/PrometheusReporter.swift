import CertDoctorCore
import Foundation

/// A textfile for node_exporter's textfile collector. Certificate expiry uses the metric and label names of the
/// x509-certificate-exporter (`x509_cert_not_after{serial_number,subject_CN,issuer_CN,filepath}`, serial in
/// decimal) so the same alert rules cover certificates that exporter watches.
public enum PrometheusReporter: Reporter {
    public static let identifier = "prometheus"
    public static let fileName = "certdoctor.prom"

    /// The HELP texts of the x509-certificate-exporter 3.x for the names it shares with us. Two files in one
    /// textfile directory giving one name two HELP texts make node_exporter drop one of them silently (its
    /// scrape error stays 0), so ours are the exporter's word for word. Its 4.x rewrite words them differently
    /// ("Unix timestamp of the certificate's NotAfter."): that exporter serves its own endpoint, and Prometheus
    /// keeps HELP per scrape target, so the two never meet in one exposition.
    enum ExporterHelp {
        static let notAfter = "Indicates the certificate's not after timestamp"
        static let notBefore = "Indicates the certificate's not before timestamp"
        static let expired = "Indicates if the certificate is expired"
    }

    public static func render(_ prepared: PreparedReport) throws -> [UInt8] {
        exposition(prepared.report).bytes
    }

    static func exposition(_ report: RunReport) -> MetricExposition {
        var seen = Set<String>()
        let certificates = report.results.flatMap(\.certificates).filter {
            seen.insert($0.filePath + "\u{0}" + $0.serialNumber).inserted
        }
        func certificateLabels(_ certificate: CertificateObservation) -> [(String, String)] {
            [("filepath", certificate.filePath), ("issuer_CN", certificate.issuerCommonName),
             ("serial_number", DecimalSerialNumber.fromHex(certificate.serialNumber) ?? certificate.serialNumber),
             ("subject_CN", certificate.subjectCommonName)]
        }
        let now = report.finished.timeIntervalSince1970
        var families: [MetricFamily] = []
        func gauge(_ name: String, _ help: String, _ samples: [MetricFamily.Sample]) {
            if let family = MetricFamily.gauge(name, help: help, samples) { families.append(family) }
        }
        gauge("x509_cert_not_after", ExporterHelp.notAfter, certificates.map { (certificateLabels($0), $0.notAfter) })
        gauge("x509_cert_not_before", ExporterHelp.notBefore, certificates.map { (certificateLabels($0), $0.notBefore) })
        gauge("x509_cert_expired", ExporterHelp.expired, certificates.map { (certificateLabels($0), $0.notAfter < now ? 1 : 0) })
        // One series per check, its outcome a label (the enum-as-label pattern): an alert selects fail|error, and
        // severity tells a check that blocks renewal (required) from one that never does (advisory).
        gauge("certdoctor_check_outcome", "1 for the outcome each check had in the last run, labelled with the check's severity.",
              report.results.map { ([("check", $0.id), ("outcome", $0.outcome.rawValue), ("severity", $0.severity.rawValue)], 1) })
        gauge("certdoctor_checks", "Number of checks with each outcome in the last run.",
              Outcome.allCases.map { ([("outcome", $0.rawValue)], Double(report.summary.counts[$0.rawValue] ?? 0)) })
        gauge("certdoctor_ready_to_renew",
              "1 when the certificate to renew was examined and every required check passed in the last run.",
              [([], report.summary.ready ? 1 : 0)])
        // In seconds, Prometheus' base unit (promtool's lint refuses a "_days" name); alerts divide by 86400.
        gauge("certdoctor_cert_expires_in_seconds",
              "Seconds from the run until the soonest-expiring gateway certificate examined expires; negative once expired.",
              report.expiry.map { [([("subject_CN", $0.subject)], $0.notAfter.timeIntervalSince(report.finished).rounded())] } ?? [])
        gauge("certdoctor_area_examined", "1 for each area (pfx, windows, token, host) the last run examined, 0 otherwise.",
              report.scope.examined.map { ([("area", $0.id)], 1) } + report.scope.notExamined.map { ([("area", $0.id)], 0) })
        gauge("certdoctor_run_duration_seconds", "How long the last run that produced these samples took.",
              [([], max(0, report.finished.timeIntervalSince(report.started)))])
        // Stays when a later run ends before it has results (a usage error): it dates the samples kept.
        gauge(samplesTimestampName, "When the run that produced these check and certificate samples finished, seconds since the Unix epoch.",
              [([], now)])
        families += [lastRunTimestamp(now)].compactMap { $0 }
        return MetricExposition(families: families)
    }

    static let samplesTimestampName = "certdoctor_samples_timestamp_seconds"
    static let lastRunTimestampName = "certdoctor_last_run_timestamp_seconds"
    static let lastRunExitCodeName = "certdoctor_last_run_exit_code"

    static func lastRunTimestamp(_ seconds: Double) -> MetricFamily? {
        .gauge(lastRunTimestampName, help: "When the last run finished, seconds since the Unix epoch.", [([], seconds)])
    }

    static func lastRunExitCode(_ code: Int32) -> MetricFamily? {
        .gauge(lastRunExitCodeName, help: "Exit status of the last run: 0 ready, 1 a required check failed, 64 and above the run itself failed.",
               [([], Double(code))])
    }
}
