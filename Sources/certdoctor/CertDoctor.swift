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
        abstract: Help.text(zh: "检查、修复并报告深证通通信网关证书更新所需的环境。", en: "Checks, repairs and reports on the environment in which an SSCC (深证通) gateway certificate is renewed."),
        discussion: ExitStatusHelp.text,
        version: VersionReport.text(Help.language),
        subcommands: [
            CheckCommand.self, FixCommand.self, UndoCommand.self, ListChecksCommand.self, ExplainCommand.self,
            ReportCommand.self, RenewCommand.self, EnrollCommand.self, RegistryCommand.self, CollectScriptCommand.self,
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
        // A mapped file shrunk by another program while it is read ends the run with a message, not a crash.
        ShrunkFileGuard.configure(
            language: Help.language, shrunkStatus: CommandEnding.temporaryFailure.exitCode,
            unreadableStatus: CommandEnding.noInput.exitCode)
        let arguments = Array(CommandLine.arguments.dropFirst())
        HeadStart.begin(for: arguments)
        if let word = arguments.first, !word.hasPrefix("-"), !subcommandNames.contains(word) {
            let language = Help.language
            let near = NearestNames.suggestions(for: word, among: subcommandNames)
            let message = near.isEmpty
                ? Localized(
                    zh: "未知的命令“\(word)”；certdoctor --help 列出全部命令",
                    en: "unknown command '\(word)'; certdoctor --help lists the commands")
                : Localized(
                    zh: "未知的命令“\(word)”——是否要输入 certdoctor \(near.joined(separator: " 或 certdoctor "))？",
                    en: "unknown command '\(word)' — did you mean certdoctor \(near.joined(separator: " or certdoctor "))?")
            Console.warn(message.text(language))
            Foundation.exit(CommandEnding.usage.exitCode)
        }
        do {
            var command = try parsedLeafSubcommand(arguments) ?? parseAsRoot(arguments)
            try command.run()
        } catch {
            // A check run on a timer that ends in a usage or input error still says so in its metrics file.
            let code = exitCode(for: error)
            TextfileArgument.recordFailure(exitCode: code.rawValue, arguments: arguments)
            // The parser's usage errors in the language asked for; help, versions and our own exits as they are.
            if code == .validationFailure, Help.language == .zh {
                FileHandle.standardError.write(Data((UsageErrorText.localized(fullMessage(for: error), language: .zh) + "\n").utf8))
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }

    /// A run of a subcommand without subcommands of its own, parsed by that subcommand alone: `parseAsRoot`
    /// reflects on the options of every command in the tree, a seventh of a `check --pfx`. Anything else it
    /// would answer (help, a usage error) is left to `parseAsRoot`, whose messages name the whole command.
    static func parsedLeafSubcommand(_ arguments: [String]) -> (any ParsableCommand)? {
        guard let word = arguments.first,
              let subcommand = configuration.subcommands.first(where: { $0.configuration.commandName == word }),
              subcommand.configuration.subcommands.isEmpty,
              let command = try? subcommand.parseAsRoot(Array(arguments.dropFirst())),
              type(of: command) == subcommand
        else { return nil }
        return command
    }

    static var subcommandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }
}

/// The exit codes, as `--help` lists them.
enum ExitStatusHelp {
    static let text: String = {
        let lines = CommandEnding.allCases.map { "  \($0.exitCode)\t\($0.meaning.text(Help.language))" }
        return Help.text(zh: "退出码", en: "EXIT STATUS") + "\n" + lines.joined(separator: "\n") + "\n\n" + Help.text(
            zh: "机密（证书密码）从 --password-file、环境变量 CERTDOCTOR_PFX_PASSWORD 或不回显的提示中读取，从不从命令行读取。",
            en: "Secrets (the certificate password) are read from --password-file, the environment variable "
                + "CERTDOCTOR_PFX_PASSWORD or a no-echo prompt, never from the command line.")
    }()
}
