import CertDoctorCore
import Foundation

/// The JSON report as the foundation defines it (`JSONRunReport`), from the prepared report.
public enum JSONReporter: Reporter {
    public static let identifier = "json"
    public static let fileName = "report.json"

    public static func render(_ report: PreparedReport) throws -> [UInt8] {
        try JSONRunReport.render(report.report)
    }
}
