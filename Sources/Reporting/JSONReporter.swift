import CertDoctorCore
import Foundation

/// The foundation's `Codable` report model as JSON: stable key order, ISO 8601 dates.
public enum JSONReporter: Reporter {
    public static let identifier = "json"
    public static let fileName = "report.json"

    public static func render(_ report: PreparedReport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(report.report)) + [0x0A]
    }
}
