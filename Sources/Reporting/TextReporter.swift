import CertDoctorCore
import Foundation

/// The terminal report (`TerminalRenderer`) as a registry format: no colour, since whoever
/// asks for it by name may be writing to a file.
public enum TextReporter: Reporter {
    public static let identifier = "text"
    public static let fileName = "report.txt"

    public static func render(_ prepared: PreparedReport) throws -> [UInt8] {
        let renderer = TerminalRenderer(language: prepared.language, colour: false, detail: .areas)
        return Array(renderer.render(prepared.report).utf8)
    }
}
