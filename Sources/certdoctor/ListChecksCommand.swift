import ArgumentParser
import CertDoctorCore
import Foundation
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct ListChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-checks",
        abstract: Help.text(zh: "列出全部检查项（内置、清单、插件）及来源。", en: "List every check: built-in, manifest and plugin, with where it comes from."))

    @OptionGroup var profile: ProfileOption

    @Option(name: .customLong("plugins"), help: Help.argument(zh: "另一个插件检查目录，可重复。", en: "Another directory of plugin checks; repeatable."), completion: .directory)
    var pluginDirectories: [String] = []

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: Help.argument(zh: "text 供人阅读，json 供程序读取。", en: "text for people, json for machines."))
    var format: Format = .text

    @Option(help: Help.argument(zh: "将列表写入此文件而非标准输出。", en: "Write the list to this file instead of standard output."), completion: .file())
    var output: String?

    @OptionGroup var lang: LanguageOption

    struct Entry: Encodable {
        var id: String
        var title: String
        var severity: Severity
        var category: String
        var requirements: [String]
        var dependencies: [String]
        var fixable: Bool
        var source: String
    }

    func run() throws {
        let language = lang.language
        try Console.run(language: language) {
            let doctor = try Doctor(
                profile: profile.name, dataDirectory: try .locate(),
                pluginDirectories: pluginDirectories.map { URL(fileURLWithPath: $0) } + Doctor.pluginDirectories())
            let entries = doctor.registry.checks.map(\.description).map {
                Entry(
                    id: $0.id, title: $0.title.text(language), severity: $0.severity, category: $0.category,
                    requirements: $0.requirements, dependencies: $0.dependencies, fixable: $0.fix != nil,
                    source: $0.source.description)
            }
            let bytes: [UInt8]
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                bytes = Array(try encoder.encode(entries)) + [10]
            case .text:
                // For people: the severity and the source in their language; JSON keeps the raw words.
                let width = entries.map(\.id.count).max() ?? 0
                let severityWidth = Severity.allCases.map { $0.label.text(language).count }.max() ?? 0
                let sources = Dictionary(doctor.registry.checks.map { ($0.description.id, $0.description.source.label.text(language)) },
                                         uniquingKeysWith: { first, _ in first })
                bytes = Array(entries.map { entry in
                    let severity = entry.severity.label.text(language).padding(toLength: severityWidth, withPad: " ", startingAt: 0)
                    let source = Localized(zh: "（\(sources[entry.id] ?? entry.source)）", en: " (\(sources[entry.id] ?? entry.source))").text(language)
                    return "\(entry.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(severity)  \(entry.title)  [\(entry.requirements.joined(separator: ","))]\(source)"
                }.joined(separator: "\n").utf8) + [10]
            }
            try Console.write(bytes, to: output)
            return .success
        }
    }
}
