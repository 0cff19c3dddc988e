import ArgumentParser
import CertDoctorCore
import Foundation
import PKI
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

@main
struct CertDoctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certdoctor",
        abstract: Help.text("Checks, repairs and reports on the environment in which an SSCC (深证通) gateway certificate is renewed.", "检查、修复并报告深证通通信网关证书更新所需的环境。"),
        discussion: ExitStatusHelp.text,
        version: VersionReport.text(Help.language),
        subcommands: [
            CheckCommand.self, FixCommand.self, UndoCommand.self, ListChecksCommand.self, ExplainCommand.self,
            ReportCommand.self, RenewCommand.self, RegistryCommand.self, CollectScriptCommand.self,
        ],
        defaultSubcommand: nil
    )

    /// Catches a mistyped subcommand before the argument parser does, to suggest the nearest one as git does;
    /// everything else is the parser's.
    static func main() {
        // First thing: a crash before any secret is read must not write a core holding one later.
        SecretReader.disableCoreDumps()
        // Then the secrets leave the environment, before any thread or child could see it.
        SecretVariables.takeFromProcessEnvironment()
        OpenSSLProcess.keepAliveUntilExit()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let word = arguments.first, !word.hasPrefix("-"), !subcommandNames.contains(word) {
            let language = Language.fromEnvironment()
            let near = NearestNames.suggestions(for: word, among: subcommandNames)
            let message = near.isEmpty
                ? Localized(
                    zh: "未知的命令“\(word)”；certdoctor --help 列出全部命令",
                    en: "unknown command '\(word)'; certdoctor --help lists the commands")
                : Localized(
                    zh: "未知的命令“\(word)”——是否要输入 certdoctor \(near.joined(separator: " 或 certdoctor "))？",
                    en: "unknown command '\(word)' — did you mean certdoctor \(near.joined(separator: " or certdoctor "))?")
            Console.warn(message.text(language))
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        main(arguments)
    }

    static var subcommandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }
}

/// The exit codes, as `--help` lists them.
enum ExitStatusHelp {
    static let text: String = {
        let lines = ExitStatus.allCases.map { "  \($0.rawValue)\t\($0.meaning.en) / \($0.meaning.zh)" }
        return "EXIT STATUS\n" + lines.joined(separator: "\n")
            + "\n\nSecrets (the certificate password) are read from --password-file, the environment variable "
            + "CERTDOCTOR_PFX_PASSWORD or a no-echo prompt, never from the command line."
    }()
}
