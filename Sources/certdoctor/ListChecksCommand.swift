import ArgumentParser
import CertDoctorCore
import Foundation
import SSCCChecks

struct ListChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-checks",
        abstract: "List every check: built-in, manifest and plugin, with where it comes from.")

    @Option(help: "A profile name from Checks/profiles, or a profile file.")
    var profile = "sscc"

    @Option(name: .customLong("plugins"), help: "Another directory of plugin checks; repeatable.")
    var pluginDirectories: [String] = []

    @OptionGroup var output: OutputOptions

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
        let language = output.language
        try Console.run(language: language) {
            let doctor = try Doctor(
                profile: profile, dataDirectory: .locate(),
                pluginDirectories: pluginDirectories.map { URL(fileURLWithPath: $0) } + Doctor.pluginDirectories())
            let entries = doctor.registry.checks.map(\.description).map {
                Entry(
                    id: $0.id, title: $0.title.text(language), severity: $0.severity, category: $0.category,
                    requirements: $0.requirements, dependencies: $0.dependencies, fixable: $0.fix != nil,
                    source: $0.source.description)
            }
            let bytes: [UInt8]
            switch output.format {
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
            try Console.write(bytes, to: output.output)
            return .success
        }
    }
}
