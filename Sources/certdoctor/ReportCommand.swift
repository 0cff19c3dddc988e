import ArgumentParser
import CertDoctorCore
import Foundation
import Reporting

/// `certdoctor report …`: work with reports saved by an earlier run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Work with saved reports (re-render a report.xml as HTML).",
        subcommands: [Render.self])

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a saved report.xml again as a self-contained HTML page.",
            discussion: "Exit codes: 0 written · 65 not a certdoctor report · 66 report not found · 73 cannot write.")

        @Argument(help: "The saved XML report (report.xml).", completion: .file(extensions: ["xml"]))
        var report: String

        @Option(name: .customLong("html"), help: "Where to write the HTML page.", completion: .file(extensions: ["html"]))
        var html: String

        @Option(name: .customLong("lang"), help: "zh or en (default: the report's own language).", completion: .list(Language.allCases.map(\.rawValue)))
        var lang: String?

        func validate() throws {
            if let lang, Language(rawValue: lang) == nil {
                throw ValidationError(Help.text("--lang must be zh or en", "--lang 只接受 zh 或 en"))
            }
        }

        func run() throws {
            let language = lang.flatMap(Language.init(rawValue:))
            let messages = language ?? Language.fromEnvironment()
            do {
                let bytes = try HTMLReporter.render(savedReportAt: report, language: language)
                try AtomicFile.write(bytes, to: URL(fileURLWithPath: html), newFileMode: 0o644)
            } catch let error as ReportingError {
                FileHandle.standardError.write(Data((error.text(messages) + "\n").utf8))
                switch error {
                case .unreadable: throw ExitCode(66)
                case .notAReport, .invalidReport: throw ExitCode(65)
                case .cannotWrite, .bundleFailed, .unknownFormat: throw ExitCode(73)
                }
            } catch let error as CoreError {
                FileHandle.standardError.write(Data((error.text(messages) + "\n").utf8))
                throw ExitCode(73)
            }
        }
    }
}
