import ArgumentParser
import CertDoctorCore
import SSCCChecks

@main
struct CertDoctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certdoctor",
        abstract: Help.text("Checks, repairs and reports on the environment in which an SSCC (深证通) gateway certificate is renewed.", "检查、修复并报告深证通通信网关证书更新所需的环境。"),
        discussion: ExitStatusHelp.text,
        version: Doctor.version,
        subcommands: [
            CheckCommand.self, FixCommand.self, UndoCommand.self, ListChecksCommand.self, ExplainCommand.self,
            ReportCommand.self, RenewCommand.self, RegistryCommand.self, CollectScriptCommand.self,
        ],
        defaultSubcommand: nil
    )
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
