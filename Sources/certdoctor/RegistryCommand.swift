import ArgumentParser
import Foundation
import WindowsRegistry

/// `certdoctor registry …`: read registries (Wine prefixes, .reg exports, Registry.pol) for people.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Query and convert Windows registries (Wine prefix, .reg, Registry.pol).",
        discussion: "Exit codes: 0 done, 1 key or value not found, 64 usage, 65 malformed input, 66 input not found, 75 wineserver running.",
        subcommands: [Query.self, Export.self]
    )

    struct Target: ParsableArguments {
        @Option(name: .customLong("wine-prefix"), help: "Wine prefix directory (default $WINEPREFIX, else ~/.wine).")
        var winePrefix: String?

        @Option(name: .customLong("registry"), parsing: .upToNextOption, help: ".reg, Registry.pol or Wine hive files, applied in order.")
        var registryFiles: [String] = []

        @Option(name: .customLong("registry-hive"), help: "HKLM or HKCU, for a Registry.pol not under Machine/ or User/.")
        var registryHive: String?

        @Flag(name: .customLong("wow32"), help: "Read the view of a 32-bit process (Wow6432Node).")
        var wow32 = false

        func validate() throws {
            if winePrefix != nil && !registryFiles.isEmpty { throw ValidationError("use --wine-prefix or --registry, not both") }
            if let registryHive, !["HKLM", "HKCU", "HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER"].contains(registryHive.uppercased()) {
                throw ValidationError("--registry-hive must be HKLM or HKCU")
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
            guard key != nil else { throw ValidationError("missing the key path, e.g. 'HKCU\\Software\\Microsoft'") }
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a key's values and subkeys.")
        @OptionGroup var target: Target
        @Argument(help: "Key path, e.g. 'HKCU\\Software\\Microsoft'.") var key: String?
        @Option(name: .customLong("value"), help: "Only this value (empty for the default value).") var value: String?
        @Option(name: .customLong("format"), help: "text or json.") var format: RegistryQueryFormat = .text

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
        static let configuration = CommandConfiguration(abstract: "Write a key's tree as .reg, REGEDIT4, Registry.pol, Wine hive or JSON.")
        @OptionGroup var target: Target
        @Argument(help: "Key path, e.g. 'HKLM\\Software\\Policies'.") var key: String?
        @Option(name: .customLong("format"), help: "reg, reg4, pol, wine or json.") var format: RegistryExportFormat

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
            let chinese = (ProcessInfo.processInfo.environment["LANG"] ?? "").lowercased().hasPrefix("zh")
            FileHandle.standardError.write(Data(("certdoctor: " + (chinese ? error.chineseDescription : error.errorDescription ?? "") + "\n").utf8))
            throw ExitCode(error.exitCode)
        }
    }
}

extension RegistryQueryFormat: ExpressibleByArgument {}
extension RegistryExportFormat: ExpressibleByArgument {}
