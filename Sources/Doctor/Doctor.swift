import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// The whole run as the commands use it: the profile, the registry (built-in checks and plugins), checking,
/// fixing through the journal, and checking again.
public struct Doctor: Sendable {
    public static let version = "0.1.0"

    public let profile: SSCCProfile
    public let profileLocation: URL
    public let dataDirectory: DataDirectory
    public let registry: CheckRegistry

    public init(profile name: String, dataDirectory: DataDirectory, pluginDirectories: [URL], pluginTimeout: TimeInterval = 5) throws {
        (profile, profileLocation) = try ProfileLoader.load(name, dataDirectory: dataDirectory)
        self.dataDirectory = dataDirectory
        // Declarative manifests (Checks/manifests, and any dropped into a plugin directory) join the built-in checks.
        var registry = try CheckRegistry(
            AllChecks.builtIn(profile) + CheckManifests.load(dataDirectory: dataDirectory, extraDirectories: pluginDirectories))
        for plugin in Self.loadPlugins(ExternalPlugin.discover(in: [dataDirectory.plugins] + pluginDirectories), timeout: pluginTimeout) {
            try registry.register(plugin)
        }
        self.registry = registry
    }

    /// Plugin directories named by `CERTDOCTOR_PLUGIN_PATH` (colon-separated, like PATH).
    public static func pluginDirectories(fromEnvironment environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        (environment["CERTDOCTOR_PLUGIN_PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
    }

    /// Asks every plugin to describe itself at the same time, so that slow plugins do not add up.
    static func loadPlugins(_ executables: [URL], timeout: TimeInterval) -> [ExternalPlugin] {
        let slots = PluginSlots(count: executables.count)
        DispatchQueue.concurrentPerform(iterations: executables.count) { index in
            slots.set(index, ExternalPlugin.load(executables[index], facets: RunScope.Area.allFacets, timeout: timeout))
        }
        return slots.values
    }

    /// Parses every registry input before any check runs: a file that cannot be read stops the run with its name
    /// and line (exit 65) instead of reading as an empty registry and sending the user to fix a setting that may
    /// be right. A running wineserver is left to the checks, which report `error` with what to run.
    static func readInputs(_ context: CheckContext) throws {
        guard context.environment.provides(.windowsSide) else { return }
        do {
            _ = try WindowsSide.load(context)
        } catch WindowsSideError.hivesMayBeStale {
            return
        }
    }

    /// The environment with this doctor's profile attached.
    public func prepare(_ environment: Environment) -> Environment {
        var prepared = environment
        prepared.profile = profile
        return prepared
    }

    /// `context`: the run's, when the caller plans fixes in it afterwards (the inputs are then read once).
    public func check(_ environment: Environment, runner: Runner, context given: CheckContext? = nil) throws -> RunReport {
        let context = given ?? CheckContext(environment: prepare(environment))
        return report(of: try examine(environment, runner: runner, context: context), environment: environment, context: context)
    }

    /// A check run and the fixes planned for its failures, planned once: `check` needs them to say which failures
    /// are fixable, `fix` to apply them.
    public struct Examination: Sendable {
        public var started: Date
        /// With `fixable` kept only where a plan could be made.
        public var results: [CheckResult]
        public var fixes: [PlannedFix]
    }

    /// Runs the checks and plans their fixes in `context`; nothing is touched.
    public func examine(_ environment: Environment, runner: Runner, context: CheckContext) throws -> Examination {
        let started = Date()
        HostFactsProbe.shared.start(for: environment)
        try Self.readInputs(context)
        let results = try runner.run(registry, in: context)
        let fixes = planFixes(for: results, environment: environment, context: context)
        return Examination(started: started, results: confirmingFixable(results, planned: fixes), fixes: fixes)
    }

    /// The report of an examination (`context`: the one it ran in, so that what the checks read is not read again).
    public func report(of examination: Examination, environment: Environment, context: CheckContext) -> RunReport {
        report(examination.results, environment: environment, started: examination.started, fixes: [], inputs: context)
    }

    public func report(
        _ results: [CheckResult], environment: Environment, started: Date, fixes: [RunReport.FixRecord] = []
    ) -> RunReport {
        report(results, environment: environment, started: started, fixes: fixes, inputs: nil)
    }

    /// `inputs` is the context the checks ran in, when the caller still has it: what they read is not read again.
    func report(
        _ results: [CheckResult], environment: Environment, started: Date, fixes: [RunReport.FixRecord], inputs: CheckContext?
    ) -> RunReport {
        var report = RunReport(
            version: Self.version, profile: profile.name, language: environment.language, started: started,
            finished: Date(), host: HostFactsProbe.shared.facts(for: environment), targets: Self.targets(of: environment),
            scope: scope(of: results, environment: environment), results: results, fixes: fixes)
        report.expiry = expiry(of: results, environment: environment)
        report.references = profile.reportReferences
        // The customer's Windows, when their exported registry says which: support reads it in the environment
        // table. The checks have read (and judged) these files already; a file they could not read stopped the run.
        if environment.winePrefix == nil, !environment.registryFiles.isEmpty,
           let side = try? (inputs.map { try WindowsSide.load($0) } ?? WindowsSide.load(environment)),
           let version = side.windowsVersion {
            report.host.versions["windows"] = version
        }
        return report
    }

    /// The soonest `notAfter` among the gateway certificates the checks looked at (file or token).
    func expiry(of results: [CheckResult], environment: Environment) -> RunReport.Expiry? {
        let observed = results.filter { ["cert.validity", "token.certificate"].contains($0.id) }.flatMap(\.certificates)
        guard let soonest = observed.min(by: { $0.notAfter < $1.notAfter }) else { return nil }
        let notAfter = Date(timeIntervalSince1970: soonest.notAfter)
        return RunReport.Expiry(
            subject: soonest.subjectCommonName, notAfter: notAfter,
            daysLeft: RenewalWindow.daysLeft(until: notAfter, from: environment.now),
            windowDays: RenewalWindow.days(prepare(environment)))
    }

    /// What the results examined, area by area, and whether the certificate to be renewed was among it.
    public func scope(of results: [CheckResult], environment: Environment) -> RunReport.Scope {
        RunScope(registry: registry, results: results, environment: environment).scope
    }

    /// The host, with the versions of the components this run used. Wine and pcsc-lite are asked only when
    /// the run examined a Wine prefix or a token, since asking costs a process start.
    static func hostFacts(for environment: Environment) -> HostFacts {
        var facts = HostFacts.current()
        facts.versions["openssl"] = OpenSSLVersion.text
        if environment.winePrefix != nil, let wine = firstLine(of: "/usr/bin/wine", ["--version"]) {
            facts.versions["wine"] = wine
            if let prefix = environment.winePrefix,
               let header = Self.head(of: prefix.appendingPathComponent("system.reg"), bytes: 512),
               let arch = header.split(separator: "\n").first(where: { $0.hasPrefix("#arch=") }) {
                facts.versions["wine-prefix-arch"] = String(arch.dropFirst("#arch=".count))
            }
        }
        if environment.tokenRequested, let pcscd = firstLine(of: "/usr/sbin/pcscd", ["--version"]) {
            facts.versions["pcsc-lite"] = pcscd
        }
        return facts
    }

    /// The first `bytes` of a file as text: the `#arch=` line is in a hive's header, and the whole `system.reg`
    /// (megabytes) was read and decoded for it.
    static func head(of file: URL, bytes: Int) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: bytes)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func firstLine(of executable: String, _ arguments: [String]) -> String? {
        guard FileManager.default.isExecutableFile(atPath: executable),
              let run = try? ChildProcess.run(
                executable, arguments: arguments, environment: ["PATH": "/usr/bin:/bin", "WINEDEBUG": "-all"],
                deadline: Date().addingTimeInterval(5)),
              run.reason == .exited(0)
        else { return nil }
        let text = run.outputText + run.errorText
        return text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    static func targets(of environment: Environment) -> [RunReport.Target] {
        // The host is named in the host facts, where redaction knows it for a host name.
        var targets = [RunReport.Target(kind: "host", location: "localhost")]
        if let pfx = environment.pfxFile { targets.append(.init(kind: "pfx", location: pfx.path)) }
        if let prefix = environment.winePrefix { targets.append(.init(kind: "wine-prefix", location: prefix.path)) }
        targets += environment.registryFiles.map { .init(kind: "registry", location: $0.path) }
        if environment.tokenRequested { targets.append(.init(kind: "token", location: "pcsc")) }
        return targets
    }

    // MARK: - Fixing

    /// A fix that could be planned, or why planning failed.
    public struct PlannedFix: Sendable {
        public var checkID: String
        public var plan: FixPlan?
        public var problem: Localized?
    }

    /// Plans a fix for every failing check that has one; nothing is touched.
    /// `context`: the run's own, so that planning reads nothing the checks have read (a Wine prefix's hives).
    public func planFixes(for results: [CheckResult], environment: Environment, context given: CheckContext? = nil) -> [PlannedFix] {
        let context = given ?? CheckContext(environment: prepare(environment))
        return results.filter(\.fixable).compactMap { result in
            guard let check = registry[result.id] else { return nil }
            let finding = Finding(result.outcome, result.message, evidence: result.evidence, remedy: result.remedy)
            do {
                guard let plan = try check.planFix(for: finding, in: context) else { return nil }
                return PlannedFix(checkID: result.id, plan: plan)
            } catch {
                return PlannedFix(checkID: result.id, problem: Self.message(for: error))
            }
        }
    }

    /// The results with `fixable` kept only where a fix plan can really be made in this run, so that no
    /// report promises `certdoctor fix` for a failure whose fix is a person's job.
    func confirmingFixable(_ results: [CheckResult], planned: [PlannedFix]) -> [CheckResult] {
        let plannable = Set(planned.filter { $0.plan != nil }.map(\.checkID))
        return results.map { result in
            var confirmed = result
            confirmed.fixable = result.fixable && plannable.contains(result.id)
            return confirmed
        }
    }

    /// Applies plans through the journal, then runs the fixed checks (and those depending on them) again:
    /// a fixed check that passes becomes `fixed`, one that does not becomes `error`.
    public func apply(
        _ plans: [FixPlan], results: [CheckResult], environment: Environment, runner: Runner, journal: Journal,
        command: String, progress: (Localized) -> Void = { _ in }
    ) throws -> (results: [CheckResult], entry: JournalEntry, fixes: [RunReport.FixRecord]) {
        let application = try journal.apply(plans, command: command, progress: progress)
        let fixedIDs = Set(plans.map(\.checkID))
        let affected = dependents(of: fixedIDs)
        let earlier = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
        let context = CheckContext(environment: prepare(environment))
        var rechecked = try runner.run(registry, in: context, restrictedTo: affected, earlier: earlier)
        // For a customer's exported registry the fix is a file they apply on their machine: checking the export
        // again cannot show it, so the check stays failed and says where the fix went.
        let offline = environment.winePrefix == nil && !environment.registryFiles.isEmpty
        for index in rechecked.indices where fixedIDs.contains(rechecked[index].id) {
            let id = rechecked[index].id
            let deferred = offline && registry[id]?.description.facets.contains(.windowsSide) == true
            if let error = application.errors[id] {
                rechecked[index].outcome = .error
                rechecked[index].message = Localized(zh: "修复失败：\(error)", en: "the fix failed: \(error)")
            } else if deferred && rechecked[index].outcome == .fail {
                rechecked[index].fixable = false
                rechecked[index].message = Localized(
                    zh: "修复文件已写出，待客户在其 Windows 上导入后生效；当前：",
                    en: "fix files written for the customer to apply on their Windows; until then: ") + rechecked[index].message
            } else if rechecked[index].outcome == .pass {
                rechecked[index].outcome = .fixed
                rechecked[index].fixable = false
            } else {
                let after = rechecked[index].outcome.rawValue
                rechecked[index].outcome = .error
                rechecked[index].message = Localized(
                    zh: "已修复，但复查结果为 \(after)：", en: "fixed, but the check is still \(after): ") + rechecked[index].message
            }
        }
        let outcomes = Dictionary(uniqueKeysWithValues: rechecked.filter { affected.contains($0.id) }.map { ($0.id, $0.outcome) })
        try journal.record(rechecked: outcomes, in: application.entry)
        let fixes = plans.map { plan in
            RunReport.FixRecord(
                checkID: plan.checkID, summary: plan.summary, changes: plan.steps.map { RunReport.Change($0.description, before: $0.before, after: $0.after) },
                applied: application.errors[plan.checkID] == nil, outcome: outcomes[plan.checkID],
                journalEntry: application.entry.id, error: application.errors[plan.checkID])
        }
        return (rechecked, application.entry, fixes)
    }

    /// The given checks and every check that depends on them, directly or not.
    func dependents(of ids: Set<String>) -> Set<String> {
        var affected = ids
        var changed = true
        while changed {
            changed = false
            for check in registry.checks where !affected.contains(check.description.id)
            && check.description.dependencies.contains(where: affected.contains) {
                affected.insert(check.description.id)
                changed = true
            }
        }
        return affected
    }

    static func message(for error: any Error) -> Localized {
        if let localized = error as? any LocalizedMessage { return localized.localizedMessage }
        return Localized(verbatim: (error as? LocalizedError)?.errorDescription ?? "\(error)")
    }
}

/// Results of concurrent plugin loading, by index.
private final class PluginSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ExternalPlugin?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ plugin: ExternalPlugin) {
        lock.withLock { slots[index] = plugin }
    }

    var values: [ExternalPlugin] { lock.withLock { slots.compactMap { $0 } } }
}
