import ArgumentParser
import CertDoctorCore
import Foundation
import Reporting

/// `certdoctor report …`: work with reports saved by an earlier run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: Help.text(zh: "处理保存的报告（将 report.xml 重新生成为 HTML）。", en: "Work with saved reports (re-render a report.xml as HTML)."),
        subcommands: [Render.self])

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Help.text(zh: "将保存的 report.xml 重新生成为独立的 HTML 页面。", en: "Render a saved report.xml again as a self-contained HTML page."),
            discussion: Help.text(
                zh: "退出码：0 已写出 · 65 不是 certdoctor 报告 · 66 找不到报告 · 73 无法写出。",
                en: "Exit codes: 0 written · 65 not a certdoctor report · 66 report not found · 73 cannot write."))

        @Argument(help: Help.argument(zh: "保存的 XML 报告（report.xml）。", en: "The saved XML report (report.xml)."), completion: .file(extensions: ["xml"]))
        var report: String

        @Option(name: .customLong("html"), help: Help.argument(zh: "HTML 页面的写出位置。", en: "Where to write the HTML page."), completion: .file(extensions: ["html"]))
        var html: String

        @Option(name: .customLong("lang"), help: Help.argument(zh: "zh 或 en（默认使用报告自身的语言）。", en: "zh or en (default: the report's own language)."), completion: .list(Language.allCases.map(\.rawValue)))
        var lang: String?

        func validate() throws {
            if let lang, Language(rawValue: lang) == nil {
                throw ValidationError(Help.text(zh: "--lang 只接受 zh 或 en", en: "--lang must be zh or en"))
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
