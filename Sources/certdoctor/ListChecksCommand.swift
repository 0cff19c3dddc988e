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
        abstract: Help.text("List every check: built-in, manifest and plugin, with where it comes from.", "列出全部检查项（内置、清单、插件）及来源。"))

    @Option(help: Help.argument("A profile name from Checks/profiles, or a profile file.", "Checks/profiles 中的配置名，或配置文件路径。"), completion: ProfileCompletion.kind)
    var profile = "sscc"

    @Option(name: .customLong("plugins"), help: Help.argument("Another directory of plugin checks; repeatable.", "另一个插件检查目录，可重复。"), completion: .directory)
    var pluginDirectories: [String] = []

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: Help.argument("text for people, json for machines.", "text 供人阅读，json 供程序读取。"))
    var format: Format = .text

    @Option(help: Help.argument("Write the list to this file instead of standard output.", "将列表写入此文件而非标准输出。"), completion: .file())
    var output: String?

    @Option(help: Help.argument("Language of messages: zh or en (default from LANG).", "消息语言：zh 或 en（默认取自 LANG）。"))
    var lang: Language?

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
        let language = lang ?? Language.fromEnvironment()
        try Console.run(language: language) {
            let doctor = try Doctor(
                profile: profile, dataDirectory: try .locate(),
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
                let width = entries.map(\.id.count).max() ?? 0
                bytes = Array(entries.map { entry in
                    "\(entry.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(entry.title)  [\(entry.requirements.joined(separator: ","))] (\(entry.source))"
                }.joined(separator: "\n").utf8) + [10]
            }
            try Console.write(bytes, to: output)
            return .success
        }
    }
}
