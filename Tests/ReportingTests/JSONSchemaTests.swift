import CertDoctorCore
import Foundation
import Testing
@testable import Reporting

/// `report.json` follows `Reports/certdoctor-report.schema.json`, checked by an independent validator (Python's
/// jsonschema from the distribution, Draft 2020-12), so that consumers can rely on the schema.
@Suite struct JSONSchemaTests {
    static let validator = repositoryRoot.appendingPathComponent("Reports/validate-report-json.py")

    /// Validates `document` against the schema; the validator's own words when it fails.
    static func validate(_ document: [UInt8]) throws -> ToolRun {
        try runTool("/usr/bin/python3", [validator.path], input: document)
    }

    static func json(_ report: RunReport, language: Language) throws -> [UInt8] {
        var options = SampleReports.options
        options.language = language
        return try JSONReporter.render(PreparedReport(report, options: options))
    }

    @Test(arguments: Language.allCases)
    func everySampleReportIsValid(_ language: Language) throws {
        for report in [SampleReports.mixed(), SampleReports.large(40)] {
            let run = try Self.validate(try Self.json(report, language: language))
            #expect(run.status == 0, "\(run.output)")
        }
    }

    @Test func theDocumentNamesItsSchemaVersion() throws {
        let document = try JSONSerialization.jsonObject(with: Data(try Self.json(SampleReports.mixed(), language: .en))) as? [String: Any]
        #expect(document?["schema_version"] as? Int == JSONRunReport.schemaVersion)
    }

    /// The schema can fail: a document without a required field, with a field the schema does not know, or with an
    /// outcome outside the vocabulary is refused.
    @Test(arguments: ["missing", "unknown", "outcome"])
    func aDocumentThatDriftsFromTheSchemaIsRefused(_ drift: String) throws {
        var document = try #require(
            try JSONSerialization.jsonObject(with: Data(try Self.json(SampleReports.mixed(), language: .en))) as? [String: Any])
        switch drift {
        case "missing": document.removeValue(forKey: "ready_to_renew")
        case "unknown": document["readyToRenew"] = true
        default:
            var results = try #require(document["results"] as? [[String: Any]])
            results[0]["outcome"] = "passed"
            document["results"] = results
        }
        let run = try Self.validate(Array(try JSONSerialization.data(withJSONObject: document)))
        #expect(run.status == 1, "\(drift): \(run.output)")
        #expect(!run.output.isEmpty)
    }
}
