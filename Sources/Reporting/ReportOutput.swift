import CertDoctorCore
import Foundation

/// Where reports go: a directory of report files (`--report DIR`) or a support-ticket bundle
/// (`--bundle FILE.tar.gz`). Every file is replaced atomically.
public enum ReportOutput {
    /// The formats `--report DIR` writes unless more are asked for.
    public static let defaultFormats = [XMLReporter.identifier, HTMLReporter.identifier, JSONReporter.identifier]

    /// Writes one file per format into `directory` (created when missing) and returns their
    /// URLs. The Prometheus file is world-readable so node_exporter can read it; the others
    /// keep to 0600 because an unredacted report holds personal data.
    @discardableResult
    public static func writeReports(
        _ report: RunReport, options: ReportOptions, formats: [String] = defaultFormats, to directory: URL
    ) throws -> [URL] {
        let prepared = PreparedReport(report, options: options)
        return try write(prepared, formats: formats, to: directory)
    }

    static func write(_ prepared: PreparedReport, formats: [String], to directory: URL) throws -> [URL] {
        try makeDirectory(directory)
        var written: [URL] = []
        for identifier in formats {
            let reporter = try ReporterRegistry.reporter(identifier)
            let bytes = try reporter.render(prepared)
            let url = directory.appendingPathComponent(reporter.fileName)
            let mode: mode_t = reporter == PrometheusReporter.self ? 0o644 : 0o600
            // The mode is set, not inherited from a file (or a planted link's target) already there; the
            // rename replaces a link at the destination instead of writing through it.
            try AtomicFile.write(bytes, to: url, forcedMode: mode)
            written.append(url)
        }
        return written
    }

    /// Creates the directory (and missing parents) with mode 0755 whatever the umask: a umask of 000 would
    /// otherwise leave a report directory anyone can write into.
    static func makeDirectory(_ directory: URL) throws {
        do {
            try AtomicFile.createDirectories(directory)
        } catch {
            throw ReportingError.cannotWrite(path: directory.path, reason: error.text(.en))
        }
    }

    /// The support-ticket bundle: the reports plus the files the checks looked at (registry
    /// exports, policy files, driver lists), all redacted with the report's placeholders and
    /// scrubbed of secrets. Binary files are left out (a `.pfx` holds a private key) and listed
    /// in `files/MANIFEST.txt`. The archive carries no owner names.
    public static func writeBundle(
        _ report: RunReport, options: ReportOptions, files: [URL], to bundle: URL
    ) throws {
        var redactor = Redactor(options)
        let prepared = PreparedReport(report, options: options, redactor: &redactor)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("certdoctor-bundle-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let root = scratch.appendingPathComponent("certdoctor-report", isDirectory: true)
        _ = try write(prepared, formats: defaultFormats + [JUnitReporter.identifier], to: root)

        let filesDirectory = root.appendingPathComponent("files", isDirectory: true)
        try FileManager.default.createDirectory(at: filesDirectory, withIntermediateDirectories: true)
        var manifest: [String] = []
        for (index, file) in files.enumerated() {
            let shownPath = redactor.clean(file.path)
            guard let bytes = FileManager.default.contents(atPath: file.path) else {
                manifest.append("\(shownPath)\t(not readable, left out)")
                continue
            }
            guard let redacted = redactedText(bytes, with: &redactor) else {
                manifest.append("\(shownPath)\t(binary, left out)")
                continue
            }
            let safeName = redactor.clean(file.lastPathComponent)
                .map { $0.isLetter || $0.isNumber || "._-#".contains($0) ? $0 : "_" }
            let name = String(format: "%03d-", index + 1) + String(safeName)
            try AtomicFile.write(redacted, to: filesDirectory.appendingPathComponent(name))
            manifest.append("\(shownPath)\tfiles/\(name)")
        }
        try AtomicFile.write(
            Array((manifest.joined(separator: "\n") + "\n").utf8),
            to: filesDirectory.appendingPathComponent("MANIFEST.txt"))

        let archive = scratch.appendingPathComponent("bundle.tar.gz")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = [
            "--owner=0", "--group=0", "--numeric-owner", "-czf", archive.path,
            "-C", scratch.path, "certdoctor-report",
        ]
        let errors = Pipe()
        tar.standardError = errors
        do {
            try tar.run()
        } catch {
            throw ReportingError.bundleFailed(reason: "tar: \(error.localizedDescription)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0, let bytes = FileManager.default.contents(atPath: archive.path) else {
            throw ReportingError.bundleFailed(reason: String(decoding: message, as: UTF8.self))
        }
        try AtomicFile.write(Array(bytes), to: bundle)
    }

    /// Text files (UTF-8, or UTF-16 with a byte-order mark as regedit writes them) come back
    /// redacted in their own encoding; anything else is treated as binary.
    static func redactedText(_ data: Data, with redactor: inout Redactor) -> [UInt8]? {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let encoding: String.Encoding = bytes[0] == 0xFF ? .utf16LittleEndian : .utf16BigEndian
            guard let text = String(bytes: bytes.dropFirst(2), encoding: encoding) else { return nil }
            guard let encoded = SecretNamedValues.masked(redactor.clean(text)).data(using: encoding) else { return nil }
            return Array(bytes.prefix(2)) + [UInt8](encoded)
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return Array(SecretNamedValues.masked(redactor.clean(text)).utf8)
    }
}

/// Values whose name says they are a secret (`"DefaultPassword"="…"` in a `.reg`, `"pin": "…"` in JSON) are
/// masked in the files a bundle carries, whatever their value: the redactor knows only this run's secrets.
enum SecretNamedValues {
    /// `"name"=data` in a `.reg` (the data is the rest of the line, continuation and all) and `"name": data` in
    /// JSON (a string or a bare value, up to the next `,`, `}` or `]`).
    nonisolated(unsafe) static let regAssignment = /^(?<lead>\s*"(?<name>(?:[^"\\]|\\.)*)"\s*=\s*)(?<data>.+?)(?<trail>)$/
    nonisolated(unsafe) static let jsonMember =
        /^(?<lead>.*?"(?<name>(?:[^"\\]|\\.)*)"\s*:\s*)(?<data>"(?:[^"\\]|\\.)*"|[^,}\]\s]+)(?<trail>.*)$/
    nonisolated(unsafe) static let secretName = /(?i)pass(word|wd|phrase)|secret|credential|(^|[^a-z])pin(code)?($|[^a-z])|[a-z]pin$/

    static func masked(_ text: String) -> String {
        guard text.localizedCaseInsensitiveContains("pass") || text.localizedCaseInsensitiveContains("secret")
            || text.localizedCaseInsensitiveContains("credential") || text.localizedCaseInsensitiveContains("pin") else { return text }
        // components(separatedBy:) splits inside "\r\n", which a Swift String holds as one character.
        return text.components(separatedBy: "\n").map { line -> String in
            let carriage = line.hasSuffix("\r")
            let body = carriage ? String(line.dropLast()) : line
            for pattern in [regAssignment, jsonMember] {
                if let match = body.wholeMatch(of: pattern), String(match.name).contains(secretName) {
                    return String(match.lead) + "\"******\"" + String(match.trail) + (carriage ? "\r" : "")
                }
            }
            return line
        }.joined(separator: "\n")
    }
}
