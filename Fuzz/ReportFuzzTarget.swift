// libFuzzer target: a saved report.xml as `certdoctor report render` reads it (`HTMLReporter.render(savedReportAt:)`:
// libxml2, the report schema, then the HTML stylesheet) must never crash or hang; a file that is not a report is
// a thrown `ReportingError`, and a report that renders gives a non-empty page.
import CertDoctorCore
import Foundation

private let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("certdoctor-report-fuzz-\(getpid()).xml").path

@_cdecl("LLVMFuzzerTestOneInput")
public func reportFuzzTarget(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: start, count: count)) else {
        fatalError("cannot write \(path)")
    }
    for language in [nil, Language.en] {
        let page: [UInt8]
        do {
            page = try HTMLReporter.render(savedReportAt: path, language: language)
        } catch {
            return 0
        }
        if page.isEmpty { fatalError("a report that validated rendered as an empty page") }
    }
    return 0
}
