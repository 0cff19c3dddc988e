import CertDoctorCore
import Foundation

/// A textfile for node_exporter's textfile collector. Certificate expiry uses the metric and
/// label names of the common x509 certificate exporters (`x509_cert_not_after{subject_CN,…}`)
/// so existing alert rules apply unchanged.
public enum PrometheusReporter: Reporter {
    public static let identifier = "prometheus"
    public static let fileName = "certdoctor.prom"

    public static func render(_ prepared: PreparedReport) throws -> [UInt8] {
        let report = prepared.report
        var lines: [String] = []
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples {
                lines.append(name + labelSet(sample.labels) + " " + number(sample.value))
            }
        }

        var seen = Set<String>()
        let certificates = report.results.flatMap(\.certificates).filter {
            seen.insert($0.filePath + "\u{0}" + $0.serialNumber).inserted
        }
        func certificateLabels(_ certificate: CertificateObservation) -> [(String, String)] {
            [("filepath", certificate.filePath), ("issuer_CN", certificate.issuerCommonName),
             ("serial_number", certificate.serialNumber), ("subject_CN", certificate.subjectCommonName)]
        }
        let now = report.finished.timeIntervalSince1970
        family("x509_cert_not_after", "Certificate validity end, seconds since the Unix epoch.",
               certificates.map { (certificateLabels($0), $0.notAfter) })
        family("x509_cert_not_before", "Certificate validity start, seconds since the Unix epoch.",
               certificates.map { (certificateLabels($0), $0.notBefore) })
        family("x509_cert_expired", "1 when the certificate had expired at the time of the run.",
               certificates.map { (certificateLabels($0), $0.notAfter < now ? 1 : 0) })

        family("certdoctor_check_outcome", "1 for the outcome each check had in the last run.",
               report.results.map { ([("id", $0.id), ("outcome", $0.outcome.rawValue)], 1) })
        family("certdoctor_checks", "Number of checks with each outcome in the last run.",
               Outcome.allCases.map { ([("outcome", $0.rawValue)], Double(report.summary.counts[$0.rawValue] ?? 0)) })
        family("certdoctor_ready_to_renew",
               "1 when the certificate to renew was examined and every required check passed in the last run.",
               [([], report.summary.readyToRenew ? 1 : 0)])
        // In seconds, Prometheus' base unit (promtool's lint refuses a "_days" name); alerts divide by 86400.
        family("certdoctor_cert_expires_in_seconds",
               "Seconds from the run until the soonest-expiring gateway certificate examined expires; negative once expired.",
               report.expiry.map { [([("subject_CN", $0.subject)], $0.notAfter.timeIntervalSince(report.finished).rounded())] } ?? [])
        family("certdoctor_area_examined", "1 for each area (pfx, windows, token, host) the last run examined, 0 otherwise.",
               report.scope.examined.map { ([("area", $0.id)], 1) } + report.scope.notExamined.map { ([("area", $0.id)], 0) })
        family("certdoctor_run_duration_seconds", "How long the last run took.",
               [([], max(0, report.finished.timeIntervalSince(report.started)))])
        family("certdoctor_last_run_timestamp_seconds", "When the last run finished, seconds since the Unix epoch.",
               [([], now)])
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The exposition format's own escaping for label values: backslash, quote, newline.
    static func labelSet(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }
}
