import ArgumentParser
import CertDoctorCore
import Foundation
import Reporting
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

#if canImport(Glibc)
import Glibc
#endif

/// What every command that runs checks shares: the doctor, the environment, and where output goes.
struct Session {
    let doctor: Doctor
    var environment: Environment
    let output: OutputOptions
    let targets: TargetOptions

    init(targets: TargetOptions, output: OutputOptions, timeout: TimeInterval, discover: Bool = false) throws {
        let dataDirectory = try DataDirectory.locate()
        let plugins = targets.pluginDirectories.map { URL(fileURLWithPath: $0) } + Doctor.pluginDirectories()
        // A plugin's `describe` has the same time limit as every check (`--timeout`).
        doctor = try Doctor(profile: targets.profile, dataDirectory: dataDirectory, pluginDirectories: plugins, pluginTimeout: timeout)
        var request = targets.request(language: output.language, timeout: timeout)
        request.discover = discover
        request.applyDiscovery(profile: doctor.profile)
        for note in request.discoveryNotes {
            Console.note(note.text(output.language), machineOutput: output.format != TextReporter.identifier || output.output != nil)
        }
        var environment = try request.environment(profile: doctor.profile)
        // Commands suggested to the person name what discovery found, as if they had typed it.
        var effective = targets
        effective.pfx = request.pfx
        effective.winePrefix = request.winePrefix
        effective.token = request.token
        // Fixes for an exported registry are files the customer applies; they go beside the report.
        if let report = output.report { environment.offlineFixDirectory = URL(fileURLWithPath: report) }
        self.environment = environment
        self.output = output
        self.targets = effective
    }

    /// The command as typed, for the report: no secret is ever an argument, so none can be here.
    static var commandLine: String {
        (["certdoctor"] + CommandLine.arguments.dropFirst()).map(ShellQuoting.quote).joined(separator: " ")
    }

    /// What the run was given that no output may hold.
    var secrets: [Secret] { [environment.pfxPassword, environment.tokenOptions.pin].compactMap { $0 } }

    /// Prints or writes the report in the chosen format, then the report files and the bundle asked for.
    /// Text for a person's own terminal is shown as is; every other output is redacted unless `--no-redact`.
    func emit(_ report: RunReport) throws {
        var report = report
        report.commandLine = Self.commandLine
        let options = ReportOptions(language: output.language, redact: !output.noRedact, secrets: secrets)
        let bytes: [UInt8]
        // Only text on a person's own terminal is shown unredacted; a file may travel, so it is redacted.
        if output.format == TextReporter.identifier && output.output == nil {
            let colour = output.colour.wanted(fileDescriptor: STDOUT_FILENO)
            bytes = Array(TerminalRenderer(
                language: output.language, colour: colour, detail: output.detail, fixCommand: targets.command("fix")).render(report).utf8)
        } else if output.format == TextReporter.identifier {
            let prepared = PreparedReport(report, options: options)
            bytes = Array(TerminalRenderer(
                language: output.language, colour: output.colour == .always, detail: output.detail, fixCommand: targets.command("fix"))
                .render(prepared.report).utf8)
        } else {
            bytes = try ReporterRegistry.render(report, as: output.format, options: options)
        }
        try Console.write(bytes, to: output.output, mode: output.format == PrometheusReporter.identifier ? 0o644 : 0o600)
        if let directory = output.report {
            try ReportOutput.writeReports(
                report, options: options, formats: output.reportFormats, to: URL(fileURLWithPath: directory))
        }
        if let bundle = output.bundle {
            try ReportOutput.writeBundle(report, options: options, files: filesRead(by: report), to: URL(fileURLWithPath: bundle))
        }
    }

    /// The text files the checks looked at, for the support bundle: exported registry files and the files
    /// evidence names. The certificate itself is binary and holds a key; the bundle leaves such files out.
    func filesRead(by report: RunReport) -> [URL] {
        var seen = Set<String>()
        let named = report.results.flatMap(\.evidence).filter { $0.kind == .path }.map(\.value)
        return (environment.registryFiles.map(\.path) + named)
            .filter { FileManager.default.isReadableFile(atPath: $0) && seen.insert($0).inserted }
            .map { URL(fileURLWithPath: $0) }
    }
}

/// Standard output and error, and the translation of errors into messages and exit codes.
enum Console {
    static func write(_ bytes: [UInt8], to path: String?, mode: mode_t = 0o644) throws {
        if let path {
            try AtomicFile.write(bytes, to: URL(fileURLWithPath: path), forcedMode: mode)
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((TerminalText.inertLines(text) + "\n").utf8))
    }

    /// Words for the person running the command: on standard output beside a text report, on standard error
    /// when standard output carries a machine format that they would corrupt.
    static func note(_ text: String, machineOutput: Bool) {
        if machineOutput {
            FileHandle.standardError.write(Data((TerminalText.inertLines(text) + "\n").utf8))
        } else {
            say(text)
        }
    }

    /// Progress of a step that takes a moment (a Wine import, a CMP exchange): for a person at a terminal, on
    /// standard error and only beside a text report, never in a machine format.
    static func progress(for output: OutputOptions) -> @Sendable (Localized) -> Void {
        let shown = output.format == TextReporter.identifier && isatty(STDERR_FILENO) == 1
        let language = output.language
        return { step in
            if shown { FileHandle.standardError.write(Data(("  … " + TerminalText.inertLines(step.text(language)) + "\n").utf8)) }
        }
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data(("certdoctor: " + TerminalText.inertLines(text) + "\n").utf8))
    }

    /// Runs a command body; an error is printed in the user's language and ends with its documented code.
    static func run(language: Language, _ body: () throws -> CommandEnding) throws {
        let status: CommandEnding
        do {
            status = try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            warn(message(for: error).text(language))
            status = (error as? any CommandEndingProviding)?.ending ?? .software
        }
        if status != .success { throw ExitCode(status.exitCode) }
    }

    static func message(for error: any Error) -> Localized {
        if let localized = error as? any LocalizedMessage { return localized.localizedMessage }
        let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        return Localized(verbatim: text)
    }

    /// Asks a yes/no question on the terminal; false when there is none to ask on.
    static func confirm(_ question: String) -> Bool {
        guard let terminal = FileHandle(forUpdatingAtPath: "/dev/tty") else { return false }
        terminal.write(Data((question + " [y/N] ").utf8))
        var answer: [UInt8] = []
        while let byte = try? terminal.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") {
            answer.append(first)
        }
        let text = String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        return ["y", "yes", "是", "好"].contains(text)
    }
}
