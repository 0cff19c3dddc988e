import ArgumentParser
import CertDoctorCore
import Foundation
import SSCCChecks

/// What to examine.
struct TargetOptions: ParsableArguments {
    @Option(help: "The file certificate to check, e.g. 'F000504Y0007#0.pfx'.")
    var pfx: String?

    @Option(help: "A file whose first line is the certificate password (else CERTDOCTOR_PFX_PASSWORD, else a prompt).")
    var passwordFile: String?

    @Option(help: "The gateway number, e.g. F000504Y0007 (else taken from the certificate).")
    var gateway: String?

    @Option(help: "A Wine prefix to examine (default: $WINEPREFIX, else ~/.wine when present).")
    var winePrefix: String?

    @Option(parsing: .upToNextOption, help: "Registry files exported from a Windows machine (.reg, Registry.pol).")
    var registry: [String] = []

    @Option(help: "Which hive a Registry.pol belongs to when its path does not say (HKLM or HKCU).")
    var registryHive: String?

    @Flag(help: "Check the hardware certificate on the USB token.")
    var token = false

    @Option(help: "A Linux browser whose policies to check (chromium, chrome, edge, firefox); repeatable.")
    var browser: [String] = []

    @Option(help: "A profile name from Checks/profiles, or a profile file.")
    var profile = "sscc"

    @Option(name: .customLong("plugins"), help: "Another directory of plugin checks; repeatable.")
    var pluginDirectories: [String] = []

    func validate() throws {
        if let hive = registryHive, !["HKLM", "HKCU"].contains(hive.uppercased()) {
            throw ValidationError("--registry-hive takes HKLM or HKCU, not '\(hive)'")
        }
    }

    func request(language: Language, timeout: TimeInterval) -> TargetRequest {
        TargetRequest(
            pfx: pfx, passwordFile: passwordFile, gateway: gateway, winePrefix: winePrefix, registryFiles: registry,
            registryHive: registryHive?.uppercased(), token: token, browsers: browser, language: language, timeout: timeout)
    }
}

/// How to show what was found.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: "What to print: text for people, json for machines.")
    var format: Format = .text

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(help: "Language of messages: zh or en (default from LANG).")
    var lang: Language?

    @Flag(name: .shortAndLong, help: "Show the evidence behind every result.")
    var verbose = false

    var language: Language { lang ?? Language.fromEnvironment() }
}

extension Language: ExpressibleByArgument {}

/// Which checks to run, and for how long.
struct RunOptions: ParsableArguments {
    @Option(parsing: .singleValue, help: "Run only these checks or categories (comma-separated or repeated).")
    var only: [String] = []

    @Option(parsing: .singleValue, help: "Skip these checks or categories (comma-separated or repeated).")
    var skip: [String] = []

    @Option(help: "Seconds each check may take before it is reported as an error.")
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    var runner: Runner {
        Runner(timeout: timeout, only: Self.split(only), skip: Self.split(skip))
    }

    static func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }
}
