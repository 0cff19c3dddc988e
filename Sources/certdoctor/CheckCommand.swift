import ArgumentParser
import CertDoctorCore
import Doctor
import Foundation
import Renewal
import Reporting
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

    @Option(help: Help.argument(
        zh: "将指标（不脱敏）写入此 .prom 文件供 node_exporter 文本收集器读取，原子替换；因用法或输入错误而结束的运行保留上次的样本，只记录退出码。",
        en: "Write the metrics (unredacted) to this .prom file for node_exporter's textfile collector, replaced atomically; a run that ends with a usage or input error keeps the previous samples and records its exit code."), completion: .file(extensions: ["prom"]))
    var prometheusTextfile: String?

    func validate() throws {
        if let path = prometheusTextfile, !TextfileArgument.isMetricsFile(path) {
            throw ValidationError(Help.text(
                zh: "--prometheus-textfile 只接受以 .prom 结尾的文件（node_exporter 不读其他文件），而不是“\(path)”",
                en: "--prometheus-textfile takes a file whose name ends in .prom (node_exporter reads no other), not '\(path)'"))
        }
    }

    func run() throws {
        try Console.run(language: output.language) {
            let session = try Session(
                targets: targets, output: output, timeout: selection.timeout, discover: !noDiscover)
            let report = try session.doctor.check(session.environment, runner: selection.runner)
            let status: CommandEnding = report.summary.ready ? .success : .failure
            // First, so that a report that cannot be written later still leaves this run's samples (and then its 73).
            if let path = prometheusTextfile {
                try PrometheusTextfile.write(report, exitCode: status.exitCode, secrets: session.secrets, to: URL(fileURLWithPath: path))
            }
            try session.emit(report)
            return status
        }
    }
}

/// `--prometheus-textfile` read from the raw arguments, for a run that ends before `check` has results — the
/// argument parser's own usage errors included, which stop it before any option value is handed over.
enum TextfileArgument {
    static let option = "--prometheus-textfile"

    static func isMetricsFile(_ path: String) -> Bool {
        path.hasSuffix(".prom") && !URL(fileURLWithPath: path).lastPathComponent.hasPrefix(".")
    }

    /// The metrics file a `check` command line names, when it names a valid one; nil for every other command.
    static func path(in arguments: [String]) -> String? {
        guard arguments.first == CheckCommand.configuration.commandName else { return nil }
        return value(of: option, in: arguments).flatMap { isMetricsFile($0) ? $0 : nil }
    }

    /// The last value given to `option` (`--option VALUE` or `--option=VALUE`) before a `--`.
    static func value(of option: String, in arguments: [String]) -> String? {
        var found: String?
        var words = arguments.dropFirst().makeIterator()
        while let word = words.next(), word != "--" {
            if word == option {
                found = words.next()
            } else if word.hasPrefix(option + "=") {
                found = String(word.dropFirst(option.count + 1))
            }
        }
        return found
    }

    /// Records a run that ended with `exitCode` before it had results. 0 and 1 are finished runs whose samples
    /// were written already. A textfile that cannot be written adds a warning, in the language `--lang` asked for,
    /// unless the run's own error (73, cannot write output) has said so already.
    static func recordFailure(exitCode: Int32, arguments: [String]) {
        guard exitCode > 1, let path = path(in: arguments) else { return }
        do {
            try PrometheusTextfile.recordRunWithoutResults(exitCode: exitCode, at: Date(), to: URL(fileURLWithPath: path))
        } catch where exitCode != CommandEnding.cannotCreate.exitCode {
            let language = value(of: "--lang", in: arguments).flatMap(Language.init(rawValue:)) ?? Language.fromEnvironment()
            Console.warn(Console.message(for: error).text(language))
        } catch {
            // 73: the run has just said that it cannot write its output.
        }
    }
}
