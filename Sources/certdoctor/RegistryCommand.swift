import ArgumentParser
import CertDoctorCore
import Foundation
import WindowsRegistry

/// `certdoctor registry …`: read registries (Wine prefixes, .reg exports, Registry.pol) for people.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: Help.text(zh: "查询并转换 Windows 注册表（Wine 前缀、.reg、Registry.pol）。", en: "Query and convert Windows registries (Wine prefix, .reg, Registry.pol)."),
        discussion: Help.text(
            zh: "退出码：0 完成，1 找不到键或值，64 用法错误，65 输入格式错误，66 输入不存在，75 wineserver 正在运行。",
            en: "Exit codes: 0 done, 1 key or value not found, 64 usage, 65 malformed input, 66 input not found, 75 wineserver running."),
        subcommands: [Query.self, Export.self]
    )

    struct Target: ParsableArguments {
        @Option(name: .customLong("wine-prefix"), help: Help.argument(zh: "Wine 前缀目录（默认 $WINEPREFIX，其次 ~/.wine）。", en: "Wine prefix directory (default $WINEPREFIX, else ~/.wine)."), completion: .directory)
        var winePrefix: String?

        @Option(name: .customLong("registry"), parsing: .upToNextOption, help: Help.argument(zh: ".reg、Registry.pol 或 Wine 注册表文件，按顺序叠加。", en: ".reg, Registry.pol or Wine hive files, applied in order."), completion: .file())
        var registryFiles: [String] = []

        @Option(name: .customLong("registry-hive"), help: Help.argument(zh: "HKLM 或 HKCU，用于不在 Machine/ 或 User/ 目录下的 Registry.pol。", en: "HKLM or HKCU, for a Registry.pol not under Machine/ or User/."), completion: .list(["HKLM", "HKCU"]))
        var registryHive: String?

        @Flag(name: .customLong("wow32"), help: Help.argument(zh: "按 32 位进程的视图读取（Wow6432Node）。", en: "Read the view of a 32-bit process (Wow6432Node)."))
        var wow32 = false

        /// Read before parsing by `Help.language`, which every message here follows.
        @OptionGroup var lang: LanguageOption

        func validate() throws {
            if winePrefix != nil && !registryFiles.isEmpty { throw ValidationError(Help.text(zh: "--wine-prefix 与 --registry 只能用其一", en: "use --wine-prefix or --registry, not both")) }
            if let registryHive, !["HKLM", "HKCU", "HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER"].contains(registryHive.uppercased()) {
                throw ValidationError(Help.text(zh: "--registry-hive 只接受 HKLM 或 HKCU", en: "--registry-hive must be HKLM or HKCU"))
            }
        }

        var target: RegistryTarget {
            if registryFiles.isEmpty { return .winePrefix(winePrefix) }
            let scope = registryHive.map { $0.uppercased().hasSuffix("LM") || $0.uppercased().hasSuffix("MACHINE") ? PolicyScope.machine : .user }
            return .files(registryFiles, policyScope: scope)
        }

        var bitness: RegistryBitness { wow32 ? .wow32 : .native64 }

        /// `--registry a.reg b.pol 'HKCU\…'` hands the key to the file list; take it back.
        mutating func takeKey(_ key: inout String?) throws {
            if key == nil, let last = registryFiles.last, (try? RegistryPath(parsing: last)) != nil {
                key = registryFiles.removeLast()
            }
            guard let key else {
                throw ValidationError(Help.text(
                    zh: "缺少键路径，如“HKCU\\Software\\Microsoft”", en: "missing the key path, e.g. 'HKCU\\Software\\Microsoft'"))
            }
            guard (try? RegistryPath(parsing: key)) != nil else {
                throw ValidationError(Help.text(
                    zh: "不是注册表键路径：“\(key)”（应以 HKLM、HKCU、HKCR 或 HKU 开头）",
                    en: "not a registry key path: '\(key)' (it starts with HKLM, HKCU, HKCR or HKU)"))
            }
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: Help.text(zh: "显示键的值和子键。", en: "Show a key's values and subkeys."))
        @OptionGroup var target: Target
        @Argument(help: Help.argument(zh: "键路径，如“HKCU\\Software\\Microsoft”。", en: "Key path, e.g. 'HKCU\\Software\\Microsoft'.")) var key: String?
        @Option(name: .customLong("value"), help: Help.argument(zh: "只显示此值（空表示默认值）。", en: "Only this value (empty for the default value).")) var value: String?
        @Option(name: .customLong("format"), help: Help.argument(zh: "text 或 json。", en: "text or json.")) var format: RegistryQueryFormat = .text

        mutating func validate() throws {
            var found = key
            try target.takeKey(&found)
            key = found
        }

        func run() throws {
            try RegistryCommand.emit {
                let snapshot = try RegistryLoader.load(target.target, for: try RegistryPath(parsing: key ?? ""), bitness: target.bitness)
                return try RegistryPresenter.query(snapshot, path: key ?? "", valueName: value, format: format, bitness: target.bitness)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: Help.text(zh: "将键及其子树导出为 .reg、REGEDIT4、Registry.pol、Wine 注册表文件或 JSON。", en: "Write a key's tree as .reg, REGEDIT4, Registry.pol, Wine hive or JSON."))
        @OptionGroup var target: Target
        @Argument(help: Help.argument(zh: "键路径，如“HKLM\\Software\\Policies”。", en: "Key path, e.g. 'HKLM\\Software\\Policies'.")) var key: String?
        @Option(name: .customLong("format"), help: Help.argument(zh: "reg、reg4、pol、wine 或 json。", en: "reg, reg4, pol, wine or json.")) var format: RegistryExportFormat

        mutating func validate() throws {
            var found = key
            try target.takeKey(&found)
            key = found
        }

        func run() throws {
            try RegistryCommand.emit {
                let snapshot = try RegistryLoader.load(target.target, for: try RegistryPath(parsing: key ?? ""), bitness: target.bitness)
                return try RegistryPresenter.export(snapshot, path: key ?? "", format: format, bitness: target.bitness)
            }
        }
    }

    /// Writes the bytes to stdout, or the error (in the user's language) to stderr with its exit code.
    static func emit(_ produce: () throws -> [UInt8]) throws {
        do {
            FileHandle.standardOutput.write(Data(try produce()))
        } catch let error as RegistryError {
            let message = Localized(zh: error.chineseDescription, en: error.errorDescription ?? "")
            FileHandle.standardError.write(Data(("certdoctor: " + message.text(Help.language) + "\n").utf8))
            throw ExitCode(error.ending.exitCode)
        }
    }
}

extension RegistryQueryFormat: ExpressibleByArgument {}
extension RegistryExportFormat: ExpressibleByArgument {}
