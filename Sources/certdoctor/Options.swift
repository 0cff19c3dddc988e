import ArgumentParser
import CertDoctorCore
import Foundation
import Reporting
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

/// What to examine.
struct TargetOptions: ParsableArguments {
    @Option(help: Help.argument(zh: "要检查的文件证书，如“F000504Y0007#0.pfx”。", en: "The file certificate to check, e.g. 'F000504Y0007#0.pfx'."), completion: .file(extensions: ["pfx", "p12"]))
    var pfx: String?

    @Option(help: Help.argument(zh: "第一行为证书密码的文件（否则读环境变量 CERTDOCTOR_PFX_PASSWORD，再否则提示输入）。", en: "A file whose first line is the certificate password (else CERTDOCTOR_PFX_PASSWORD, else a prompt)."), completion: .file())
    var passwordFile: String?

    @Option(help: Help.argument(zh: "网关号，如 F000504Y0007（否则取自证书）。", en: "The gateway number, e.g. F000504Y0007 (else taken from the certificate)."))
    var gateway: String?

    @Option(help: Help.argument(zh: "要检查的 Wine 前缀（默认 $WINEPREFIX，其次 ~/.wine）。", en: "A Wine prefix to examine (default: $WINEPREFIX, else ~/.wine when present)."), completion: .directory)
    var winePrefix: String?

    @Option(parsing: .upToNextOption, help: Help.argument(zh: "从 Windows 导出的注册表文件（.reg、Registry.pol）。", en: "Registry files exported from a Windows machine (.reg, Registry.pol)."), completion: .file())
    var registry: [String] = []

    @Option(help: Help.argument(zh: "路径无法判断时 Registry.pol 所属的配置单元（HKLM 或 HKCU）。", en: "Which hive a Registry.pol belongs to when its path does not say (HKLM or HKCU)."), completion: .list(["HKLM", "HKCU"]))
    var registryHive: String?

    @Flag(help: Help.argument(zh: "检查 USB Key 中的硬件证书。", en: "Check the hardware certificate on the USB token."))
    var token = false

    @Option(help: Help.argument(
        zh: "USB Key 厂商的 PKCS#11 模块（默认取自配置中的令牌数据库）。", en: "The token vendor's PKCS#11 module (default: the profile's token database)."), completion: .file(extensions: ["so"]))
    var pkcs11Module: String?

    @Option(help: Help.argument(zh: "有多个令牌时要检查的令牌标签。", en: "The label of the token to look at, when there are several."))
    var tokenLabel: String?

    @Option(help: Help.argument(
        zh: "存放 USB Key 用户 PIN 的文件（否则读 CERTDOCTOR_TOKEN_PIN；可不提供）。", en: "A file holding the token's user PIN (else CERTDOCTOR_TOKEN_PIN; optional)."), completion: .file())
    var tokenPinFile: String?

    @Option(help: Help.argument(zh: "要检查策略的 Linux 浏览器（chromium、chrome、edge、firefox），可重复。", en: "A Linux browser whose policies to check (chromium, chrome, edge, firefox); repeatable."), completion: .list(["chromium", "chrome", "edge", "firefox"]))
    var browser: [String] = []

    @OptionGroup var profileOption: ProfileOption
    var profile: String { profileOption.name }

    @Option(help: Help.argument(
        zh: "证书在这么多天内到期时提醒更新（默认取配置中的更新窗口，30 天）。",
        en: "Warn when the certificate expires within this many days (default: the profile's renewal window, 30)."))
    var warnDays: Int?

    @Option(name: .customLong("plugins"), help: Help.argument(zh: "另一个插件检查目录，可重复。", en: "Another directory of plugin checks; repeatable."), completion: .directory)
    var pluginDirectories: [String] = []

    func validate() throws {
        if let warnDays, !(0...3650).contains(warnDays) {
            throw ValidationError(Help.text(zh: "--warn-days 只接受 0 到 3650 之间的天数", en: "--warn-days takes a number of days from 0 to 3650"))
        }
        if let hive = registryHive, !["HKLM", "HKCU"].contains(hive.uppercased()) {
            throw ValidationError(Help.text(zh: "--registry-hive 只接受 HKLM 或 HKCU，而不是“\(hive)”", en: "--registry-hive takes HKLM or HKCU, not '\(hive)'"))
        }
    }

    /// `certdoctor SUBCOMMAND` with the targets as the user gave them, shell-quoted so that it works when pasted.
    /// Secrets are never on a command line, so none can appear here; their files are named, as given.
    func command(_ subcommand: String, extra: [String] = []) -> String {
        var words = ["certdoctor", subcommand] + extra
        func add(_ option: String, _ value: String?) {
            if let value { words += [option, value] }
        }
        add("--pfx", pfx)
        add("--password-file", passwordFile)
        add("--gateway", gateway)
        add("--wine-prefix", winePrefix)
        if !registry.isEmpty { words += ["--registry"] + registry }
        add("--registry-hive", registryHive)
        if token { words.append("--token") }
        add("--pkcs11-module", pkcs11Module)
        add("--token-label", tokenLabel)
        add("--token-pin-file", tokenPinFile)
        for name in browser { words += ["--browser", name] }
        if profile != ProfileOption.defaultName { words += ["--profile", profile] }
        for directory in pluginDirectories { words += ["--plugins", directory] }
        return words.map(ShellQuoting.quote).joined(separator: " ")
    }

    func request(language: Language, timeout: TimeInterval) -> TargetRequest {
        TargetRequest(
            pfx: pfx, passwordFile: passwordFile, gateway: gateway, winePrefix: winePrefix, registryFiles: registry,
            registryHive: registryHive?.uppercased(), token: token, pkcs11Module: pkcs11Module, tokenLabel: tokenLabel,
            tokenPinFile: tokenPinFile, browsers: browser, language: language, timeout: timeout, warnDays: warnDays)
    }
}

/// How to show what was found, and where reports go.
struct OutputOptions: ParsableArguments {
    @Option(help: Help.argument(
        zh: "输出格式：text 供人阅读；json、xml、html、junit、prometheus 供程序读取。",
        en: "What to print: text for people; json, xml, html, junit or prometheus for machines."), completion: .list(ReporterRegistry.identifiers))
    var format = "text"

    @Option(help: Help.argument(zh: "将报告写入此文件而非标准输出。", en: "Write the report to this file instead of standard output."), completion: .file())
    var output: String?

    @Option(help: Help.argument(
        zh: "同时在此目录写入 report.xml、report.html 和 report.json。",
        en: "Also write report.xml, report.html and report.json into this directory."), completion: .directory)
    var report: String?

    @Flag(help: Help.argument(zh: "配合 --report，另写 report.junit.xml。", en: "With --report, also write report.junit.xml."))
    var junit = false

    @Flag(help: Help.argument(
        zh: "配合 --report，另写供 node_exporter 文本收集器读取的 certdoctor.prom。",
        en: "With --report, also write certdoctor.prom for node_exporter's textfile collector."))
    var prometheus = false

    @Option(help: Help.argument(
        zh: "生成工单附件（.tar.gz）：报告及检查读取的文件（已脱敏）。",
        en: "Write a support-ticket bundle (.tar.gz): the reports and the files the checks read, redacted."), completion: .file(extensions: ["tar.gz"]))
    var bundle: String?

    @Flag(help: Help.argument(
        zh: "报告中保留用户名、主目录、主机名、邮箱和序列号（密码等机密始终不写入）。",
        en: "Keep user names, home paths, host names, e-mail addresses and serial numbers in reports (secrets are never written)."))
    var noRedact = false

    @OptionGroup var languageOption: LanguageOption

    @Flag(name: .shortAndLong, help: Help.argument(zh: "列出每个检查项及其依据。", en: "List every check with the evidence behind its result."))
    var verbose = false

    @Flag(name: .shortAndLong, help: Help.argument(zh: "只输出结论一行（退出码不变）。", en: "Print the verdict line alone (the exit code is the same)."))
    var quiet = false

    @Option(name: .customLong("color"), help: Help.argument(
        zh: "何时使用颜色：auto（终端上，且未设置 NO_COLOR）、always 或 never。", en: "When to colour: auto (on a terminal, unless NO_COLOR is set), always or never."))
    var colour: TerminalRenderer.ColourChoice = .auto

    /// How much the text report shows.
    var detail: TerminalRenderer.Detail { quiet ? .verdict : verbose ? .everything : .areas }

    var language: Language { languageOption.language }

    func validate() throws {
        if quiet && verbose {
            throw ValidationError(Help.text(zh: "--quiet 与 --verbose 不能同用", en: "--quiet and --verbose do not go together"))
        }
        guard ReporterRegistry.identifiers.contains(format) else {
            let known = ReporterRegistry.identifiers.joined(separator: ", ")
            throw ValidationError(Help.text(zh: "--format 只接受：\(known)", en: "--format takes one of: \(known)"))
        }
    }

    /// The report formats `--report DIR` writes.
    var reportFormats: [String] {
        ReportOutput.defaultFormats + (junit ? [JUnitReporter.identifier] : []) + (prometheus ? [PrometheusReporter.identifier] : [])
    }
}

extension Language: ExpressibleByArgument {}
extension TerminalRenderer.ColourChoice: ExpressibleByArgument {}

/// `--lang`, the language of messages; help follows it too (see `Help`).
struct LanguageOption: ParsableArguments {
    @Option(name: .customLong("lang"), help: Help.argument(zh: "消息语言：zh 或 en（默认取自 LANG）。", en: "Language of messages: zh or en (default from LANG)."))
    var value: Language?

    var language: Language { value ?? Language.fromEnvironment() }
}

/// `--profile`, the facts of the service whose certificate is renewed.
struct ProfileOption: ParsableArguments {
    @Option(name: .customLong("profile"), help: Help.argument(zh: "Checks/profiles 中的配置名，或配置文件路径。", en: "A profile name from Checks/profiles, or a profile file."), completion: ProfileCompletion.kind)
    var name = Self.defaultName

    static let defaultName = "sscc"
}

/// Which checks to run, and for how long.
struct RunOptions: ParsableArguments {
    @Option(parsing: .singleValue, help: Help.argument(zh: "只运行这些检查项或类别（逗号分隔或重复）。", en: "Run only these checks or categories (comma-separated or repeated)."), completion: SelectorCompletion.kind)
    var only: [String] = []

    @Option(parsing: .singleValue, help: Help.argument(zh: "跳过这些检查项或类别（逗号分隔或重复）。", en: "Skip these checks or categories (comma-separated or repeated)."), completion: SelectorCompletion.kind)
    var skip: [String] = []

    @Option(help: Help.argument(zh: "每个检查项的时限（秒），超时记为 error。", en: "Seconds each check may take before it is reported as an error."))
    var timeout: Double = 10

    func validate() throws {
        guard Self.isReasonableTimeout(timeout) else {
            throw ValidationError(Help.text(
                zh: "--timeout 必须是 0.1 到 86400 之间的秒数", en: "--timeout must be a number of seconds from 0.1 to 86400"))
        }
    }

    /// At least 0.1 s (below that every check is abandoned before it could answer, which says nothing), and at
    /// most a day: larger values would overflow the clocks they are turned into.
    static func isReasonableTimeout(_ seconds: Double) -> Bool {
        seconds >= 0.1 && seconds.isFinite && seconds <= 86_400
    }

    var runner: Runner {
        Runner(timeout: timeout, only: Self.split(only), skip: Self.split(skip))
    }

    static func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }
}

/// Help and usage texts in the language of the command line's `--lang`, else `LANG`. Argument parsing prints
/// help (and builds every option's help text) before `--lang` has a value, so the word is looked up in the
/// arguments themselves.
enum Help {
    static let language = Language.requested(in: CommandLine.arguments) ?? Language.fromEnvironment()

    static func text(zh: String, en: String) -> String {
        Localized(zh: zh, en: en).text(language)
    }

    static func argument(zh: String, en: String) -> ArgumentHelp {
        ArgumentHelp(text(zh: zh, en: en))
    }
}

extension Language {
    /// The value of `--lang X` or `--lang=X` among `arguments` (the last one wins, as the parser has it);
    /// nil when there is none or it names no language (the parser then says so).
    static func requested(in arguments: [String]) -> Language? {
        var found: Language?
        for (index, word) in arguments.enumerated() {
            if word == "--lang", index + 1 < arguments.count {
                found = Language(rawValue: arguments[index + 1]) ?? found
            } else if word.hasPrefix("--lang=") {
                found = Language(rawValue: String(word.dropFirst("--lang=".count))) ?? found
            } else if word == "--" {
                break
            }
        }
        return found
    }
}

/// POSIX shell quoting for commands a person pastes: plain words stay as they are, anything else is put in
/// single quotes ('F000504Y0007#0.pfx' — a `#` would start a comment).
enum ShellQuoting {
    static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
