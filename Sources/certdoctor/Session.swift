import ArgumentParser
import CertDoctorCore
import Foundation
import Reporting
import SSCCChecks

#if canImport(Glibc)
import Glibc
#endif

/// What every command that runs checks shares: the doctor, the environment, and where output goes.
struct Session {
    let doctor: Doctor
    let environment: Environment
    let output: OutputOptions

    init(targets: TargetOptions, output: OutputOptions, timeout: TimeInterval) throws {
        let dataDirectory = DataDirectory.locate()
        let plugins = targets.pluginDirectories.map { URL(fileURLWithPath: $0) } + Doctor.pluginDirectories()
        doctor = try Doctor(profile: targets.profile, dataDirectory: dataDirectory, pluginDirectories: plugins)
        environment = try targets.request(language: output.language, timeout: timeout).environment(profile: doctor.profile)
        self.output = output
    }

    /// Prints or writes the report in the chosen format.
    func emit(_ report: RunReport) throws {
        let bytes: [UInt8]
        switch output.format {
        case .json:
            bytes = try JSONRunReport.render(report)
        case .text:
            let colour = output.output == nil && TerminalRenderer.wantsColour(fileDescriptor: STDOUT_FILENO)
            bytes = Array(TerminalRenderer(language: output.language, colour: colour, verbose: output.verbose).render(report).utf8)
        }
        try Console.write(bytes, to: output.output)
    }
}

/// Standard output and error, and the translation of errors into messages and exit codes.
enum Console {
    static func write(_ bytes: [UInt8], to path: String?) throws {
        if let path {
            try AtomicFile.write(bytes, to: URL(fileURLWithPath: path), newFileMode: 0o644)
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data(("certdoctor: " + text + "\n").utf8))
    }

    /// Runs a command body; an error is printed in the user's language and ends with its documented code.
    static func run(language: Language, _ body: () throws -> ExitStatus) throws {
        let status: ExitStatus
        do {
            status = try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            warn(message(for: error).text(language))
            status = (error as? any ExitStatusProviding)?.exitStatus ?? .software
        }
        if status != .success { throw ExitCode(status.rawValue) }
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
