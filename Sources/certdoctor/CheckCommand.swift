import ArgumentParser
import CertDoctorCore
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: Help.text(zh: "运行全部检查，报告会阻止证书更新的问题。", en: "Run every check and report what would stop a renewal."),
        discussion: Help.text(
            zh: "没有必需检查失败或出错时退出码为 0，否则为 1。", en: "Exit status 0 when no required check fails or errs, 1 otherwise.")
            + "\n\n" + ExitStatusHelp.text)

    @OptionGroup var targets: TargetOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: RunOptions

    @Flag(help: Help.argument(
        zh: "未指定检查对象时，不自动查找当前目录的证书、Wine 前缀或 USB Key。",
        en: "With no target named, do not look for certificates here, a Wine prefix or tokens."))
    var noDiscover = false

    func run() throws {
        try Console.run(language: output.language) {
            let session = try Session(
                targets: targets, output: output, timeout: selection.timeout, discover: !noDiscover)
            let report = try session.doctor.check(session.environment, runner: selection.runner)
            try session.emit(report)
            return report.summary.readyToRenew ? .success : .failure
        }
    }
}
