import Foundation

/// A check implemented by an executable in a plugin directory, in any language (Checks/plugins/README.md).
///
/// `PLUGIN describe` prints a JSON description; `PLUGIN check` prints a JSON result. A program that prints a
/// single line and exits 0/1/2/3 is read as a Nagios plugin (OK/WARNING/CRITICAL/UNKNOWN). Whatever a plugin
/// does wrong (hangs, crashes, prints garbage) becomes an `error` result naming the reason.
public struct ExternalPlugin: Check {
    public let executable: URL
    public let description: CheckDescription
    /// Why `describe` could not be used, when it could not; the check then reports it as an error.
    public let loadProblem: Localized?

    public init(executable: URL, description: CheckDescription, loadProblem: Localized? = nil) {
        self.executable = executable
        self.description = description
        self.loadProblem = loadProblem
    }

    public func evaluate(_ context: CheckContext) throws -> Finding {
        if let loadProblem { return Finding(.error, loadProblem) }
        let termination = try Self.invoke(executable, verb: "check", environment: context.environment, deadline: context.deadline)
        return Self.finding(from: termination, plugin: executable.lastPathComponent)
    }

    // MARK: - Protocol

    /// What a plugin's `describe` prints.
    struct Description: Decodable {
        var id: String
        /// One string or `{"zh": …, "en": …}`, as the plugin README allows for every text.
        var title: FlexibleText
        var summary: FlexibleText?
        var requirements: [String]?
        var category: String?
        var severity: Severity?
        var dependencies: [String]?
        var facets: [String]?
    }

    /// What a plugin's `check` prints.
    struct Result: Decodable {
        var outcome: Outcome
        var message: FlexibleText
        var evidence: [EvidenceItem]?
        var remedy: FlexibleText?

        struct EvidenceItem: Decodable {
            var name: String
            var value: String
        }
    }

    /// A text given either as one string or as `{"zh": …, "en": …}`.
    struct FlexibleText: Decodable {
        var localized: Localized

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                localized = Localized(verbatim: text)
            } else {
                localized = try container.decode(Localized.self)
            }
        }
    }

    /// Reads a plugin's self-description; a plugin that cannot describe itself still becomes a check, so that
    /// its problem is reported instead of silently dropped.
    /// `facets` are the ones the program knows; a plugin naming another is told so, as for any protocol mistake.
    public static func load(_ executable: URL, facets known: [Facet], timeout: TimeInterval = 5) -> ExternalPlugin {
        let name = executable.lastPathComponent
        let fallbackID = "plugin." + name.lowercased().replacing(/[^a-z0-9]+/, with: "-").trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        func fallback(_ problem: Localized?, severity: Severity = .advisory) -> ExternalPlugin {
            let description = CheckDescription(
                id: fallbackID, title: Localized(verbatim: name),
                summary: Localized(zh: "外部插件 \(name)", en: "external plugin \(name)"),
                requirements: [], category: "plugin", severity: severity, source: .plugin(path: executable.path))
            return ExternalPlugin(executable: executable, description: description, loadProblem: problem)
        }
        let termination: ChildProcess.Termination
        do {
            termination = try invoke(executable, verb: "describe", environment: Environment(), deadline: Date().addingTimeInterval(timeout))
        } catch {
            return fallback(Localized(zh: "插件无法启动：\(error)", en: "plugin cannot be started: \(error)"))
        }
        if case .timedOut = termination.reason {
            return fallback(Localized(zh: "插件 describe 在 \(Int(timeout)) 秒内无响应", en: "plugin did not answer 'describe' within \(Int(timeout)) s"))
        }
        let output = Data(termination.standardOutput)
        if let described = try? JSONDecoder().decode(Description.self, from: output) {
            let named = described.facets ?? [Facet.host.id]
            let facets = named.compactMap { id in known.first { $0.id == id } }
            if let unknown = named.first(where: { id in !known.contains { $0.id == id } }) {
                let names = known.map(\.id).joined(separator: ", ")
                return fallback(Localized(
                    zh: "插件 \(name) 的 describe 输出不符合插件协议：未知的 facet '\(unknown)'（可用：\(names)）",
                    en: "the 'describe' output of plugin \(name) does not follow the plugin protocol: unknown facet '\(unknown)' (known: \(names))"),
                    severity: described.severity ?? .advisory)
            }
            let title = described.title.localized
            let description = CheckDescription(
                id: described.id, title: title, summary: described.summary?.localized ?? title,
                requirements: described.requirements ?? [], category: described.category ?? "plugin",
                severity: described.severity ?? .advisory, dependencies: described.dependencies ?? [],
                facets: Set(facets), source: .plugin(path: executable.path))
            guard CheckDescription.isValidID(described.id) else {
                return fallback(Localized(
                    zh: "插件描述中的 ID 无效：\(described.id)", en: "plugin describes itself with an invalid id: \(described.id)"))
            }
            return ExternalPlugin(executable: executable, description: description)
        }
        // JSON that is not the protocol is the plugin's mistake, reported as such; a severity it did give is
        // kept, so that a required plugin's problem still blocks renewal.
        if let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any] {
            let severity = (object["severity"] as? String).flatMap(Severity.init(rawValue:)) ?? .advisory
            let problem: String
            do {
                _ = try JSONDecoder().decode(Description.self, from: output)
                problem = "unknown"
            } catch {
                problem = Self.describe(error)
            }
            return fallback(Localized(
                zh: "插件 \(name) 的 describe 输出不符合插件协议：\(problem)",
                en: "the 'describe' output of plugin \(name) does not follow the plugin protocol: \(problem)"), severity: severity)
        }
        // Not JSON: a Nagios plugin ignores its arguments; it is checked when the run comes to it.
        return fallback(nil)
    }

    /// A decoding error as a person can act on it: which field, what was wrong.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: return "the field '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "'\(path)': ") + context.debugDescription
        default: return "\(error)"
        }
    }

    static func invoke(
        _ executable: URL, verb: String, environment: Environment, deadline: Date
    ) throws -> ChildProcess.Termination {
        try ChildProcess.run(
            executable.path, arguments: [verb], environment: pluginEnvironment(environment), deadline: deadline,
            endGroupWhenDone: true)
    }

    /// What a plugin learns about the run: the targets, never a secret. The password variable of our own
    /// environment is removed, not passed on.
    static func pluginEnvironment(_ environment: Environment) -> [String: String] {
        pluginEnvironment(environment, base: ProcessInfo.processInfo.environment)
    }

    public static func pluginEnvironment(_ environment: Environment, base: [String: String]) -> [String: String] {
        var variables = environment.pluginVariables(over: SecretVariables.removed(from: base))
        variables["CERTDOCTOR_LANG"] = environment.language.rawValue
        return variables
    }


    static func finding(from termination: ChildProcess.Termination, plugin: String) -> Finding {
        let output = termination.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        switch termination.reason {
        case .timedOut:
            return Finding(.error, Localized(zh: "插件 \(plugin) 超时，已终止", en: "plugin \(plugin) timed out and was stopped"))
        case .signalled(let signal):
            return Finding(.error, Localized(
                zh: "插件 \(plugin) 被信号 \(signal) 终止", en: "plugin \(plugin) was killed by signal \(signal)"))
        case .exited(let status):
            if output.hasPrefix("{") {
                do {
                    let result = try JSONDecoder().decode(Result.self, from: Data(output.utf8))
                    // The protocol: one JSON object and exit 0. `fixed` is certdoctor's word after its own fix,
                    // not a plugin's; a plugin that claims it, or fails after printing, said nothing reliable.
                    guard status == 0 else {
                        return garbage(output, plugin: plugin, reason: "a JSON result must come with exit status 0, not \(status)")
                    }
                    guard Self.pluginOutcomes.contains(result.outcome) else {
                        return garbage(output, plugin: plugin, reason: "'\(result.outcome.rawValue)' is not an outcome a plugin reports")
                    }
                    return Finding(
                        result.outcome, result.message.localized,
                        evidence: (result.evidence ?? []).map { Evidence($0.name, $0.value) },
                        remedy: result.remedy?.localized)
                } catch {
                    return garbage(output, plugin: plugin, reason: "\(error)")
                }
            }
            let lines = output.split(separator: "\n", omittingEmptySubsequences: true)
            guard lines.count == 1, (0...3).contains(status) else {
                return garbage(output, plugin: plugin, reason: "exit status \(status)")
            }
            return nagios(status: status, line: String(lines[0]))
        }
    }

    /// What a plugin may answer (Checks/plugins/README.md).
    static let pluginOutcomes: Set<Outcome> = [.pass, .fail, .error, .notapplicable, .notchecked, .informational]

    static func nagios(status: Int32, line: String) -> Finding {
        let message = Localized(verbatim: line)
        switch status {
        case 0: return Finding(.pass, message)
        case 1: return Finding(.fail, message, severity: .advisory)
        case 2: return Finding(.fail, message, severity: .required)
        default: return Finding(.error, message)
        }
    }

    static func garbage(_ output: String, plugin: String, reason: String) -> Finding {
        let excerpt = String(output.prefix(160))
        return Finding(.error, Localized(
            zh: "插件 \(plugin) 的输出既不是 JSON 结果，也不是一行 Nagios 状态（\(reason)）：\(excerpt)",
            en: "plugin \(plugin) printed neither a JSON result nor one Nagios status line (\(reason)): \(excerpt)"))
    }

    /// Executable files in the given directories, in name order; README and other non-executables are skipped.
    public static func discover(in directories: [URL]) -> [URL] {
        directories.flatMap { directory -> [URL] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.sorted().map { directory.appendingPathComponent($0) }.filter { url in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
                    && FileManager.default.isExecutableFile(atPath: url.path) && !url.lastPathComponent.hasPrefix(".")
            }
        }
    }
}
