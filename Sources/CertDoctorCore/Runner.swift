import Foundation

/// Runs checks: dependencies first, independent checks at the same time, each within its time limit.
/// A check that throws becomes `error`; one that hangs becomes `error` when its time is up and is abandoned,
/// so one hung pcscd or plugin never hangs the doctor.
public struct Runner: Sendable {
    public var timeout: TimeInterval
    public var only: [String]
    public var skip: [String]

    public init(timeout: TimeInterval = 10, only: [String] = [], skip: [String] = []) {
        self.timeout = timeout
        self.only = only
        self.skip = skip
    }

    /// Results in registry order, one per registered check.
    public func run(_ registry: CheckRegistry, in context: CheckContext) throws -> [CheckResult] {
        try run(registry, in: context, restrictedTo: nil)
    }

    /// Runs only `ids` (after a fix, the affected checks and those depending on them); `earlier` supplies
    /// the results of checks that are not run again.
    public func run(
        _ registry: CheckRegistry, in context: CheckContext, restrictedTo ids: Set<String>?,
        earlier: [String: CheckResult] = [:]
    ) throws -> [CheckResult] {
        let ordered = try registry.dependencyOrder()
        if ids == nil { try registry.validateSelection(only: only, skip: skip) }
        let selected = ids ?? registry.selection(only: only, skip: skip)
        let schedule = Schedule(timeout: timeout)
        for (id, result) in earlier where !selected.contains(id) {
            schedule.preset(result)
        }
        for check in ordered {
            if selected.contains(check.description.id) {
                schedule.add(check)
            } else if earlier[check.description.id] == nil {
                schedule.preset(Self.notSelected(check.description))
            }
        }
        let results = schedule.run(context: context)
        return registry.checks.compactMap { results[$0.description.id] }
    }

    /// What a check left out by `--only`/`--skip` says, so that a person's view can fold such results away.
    public static let notSelectedMessage = Localized(zh: "未选中（--only/--skip）", en: "not selected (--only/--skip)")

    /// How the message of a check that was not run for a dependency's sake begins (in English).
    public static let dependencyPrefix = "depends on "

    static func notSelected(_ description: CheckDescription) -> CheckResult {
        CheckResult(description: description, finding: Finding(.notchecked, notSelectedMessage), durationSeconds: 0)
    }
}

/// The runner's moving parts: what waits, what runs (with its deadline), what is done.
private final class Schedule: @unchecked Sendable {
    private let condition = NSCondition()
    private let timeout: TimeInterval
    private var waiting: [any Check] = []
    private var running: [String: (deadline: Date, started: Date, description: CheckDescription)] = [:]
    private var done: [String: CheckResult] = [:]

    init(timeout: TimeInterval) {
        self.timeout = timeout
    }

    func preset(_ result: CheckResult) {
        done[result.id] = result
    }

    func add(_ check: any Check) {
        waiting.append(check)
    }

    func run(context: CheckContext) -> [String: CheckResult] {
        condition.lock()
        defer { condition.unlock() }
        while true {
            startReadyChecks(context: context)
            if waiting.isEmpty && running.isEmpty { return done }
            let earliest = running.values.map(\.deadline).min() ?? Date().addingTimeInterval(1)
            _ = condition.wait(until: earliest)
            expireOverdueChecks()
        }
    }

    /// Called with the lock held.
    private func startReadyChecks(context: CheckContext) {
        var stillWaiting: [any Check] = []
        for check in waiting {
            let description = check.description
            switch dependencyState(of: description) {
            case .pending:
                stillWaiting.append(check)
            case .blocked(let finding):
                done[description.id] = CheckResult(description: description, finding: finding, durationSeconds: 0)
            case .ready:
                if let missing = description.facets.first(where: { !context.environment.provides($0) }) {
                    done[description.id] = CheckResult(
                        description: description, finding: .notApplicable(missing.missingReason), durationSeconds: 0)
                } else {
                    launch(check, context: context)
                }
            }
        }
        waiting = stillWaiting
    }

    private enum DependencyState {
        case pending
        case ready
        case blocked(Finding)
    }

    private func dependencyState(of description: CheckDescription) -> DependencyState {
        for dependency in description.dependencies {
            guard let result = done[dependency] else {
                if running[dependency] != nil || waiting.contains(where: { $0.description.id == dependency }) {
                    return .pending
                }
                return .blocked(Finding(.notchecked, Localized(
                    zh: "依赖的检查项 \(dependency) 不存在", en: "its dependency \(dependency) is not registered")))
            }
            if result.outcome == .notapplicable {
                return .blocked(Finding(.notapplicable, result.message))
            }
            if !result.outcome.satisfiesDependents {
                return .blocked(Finding(.notchecked, Localized(
                    zh: "依赖的检查项 \(dependency) 结果为 \(result.outcome.rawValue)",
                    en: Runner.dependencyPrefix + "\(dependency), which is \(result.outcome.rawValue)")))
            }
        }
        return .ready
    }

    private func launch(_ check: any Check, context: CheckContext) {
        let description = check.description
        let started = Date()
        let deadline = started.addingTimeInterval(timeout)
        running[description.id] = (deadline, started, description)
        let checkContext = context.with(deadline: deadline)
        // A thread of its own: a check may block in C code (pcsc-lite, a plugin's pipe) where no task can be
        // cancelled, and it must not starve the others.
        let thread = Thread { [self] in
            let finding: Finding
            do {
                finding = try check.evaluate(checkContext)
            } catch {
                finding = Finding(.error, Self.message(for: error))
            }
            finish(description, finding: finding, started: started)
        }
        thread.name = "check \(description.id)"
        thread.start()
    }

    private func finish(_ description: CheckDescription, finding: Finding, started: Date) {
        condition.lock()
        defer { condition.unlock() }
        guard running.removeValue(forKey: description.id) != nil else { return }  // already timed out
        done[description.id] = CheckResult(
            description: description, finding: finding, durationSeconds: Date().timeIntervalSince(started))
        condition.broadcast()
    }

    private func expireOverdueChecks() {
        let now = Date()
        for (id, entry) in running where entry.deadline <= now {
            running.removeValue(forKey: id)
            let seconds = String(format: "%g", timeout)
            done[id] = CheckResult(
                description: entry.description,
                finding: Finding(.error, Localized(
                    zh: "检查在 \(seconds) 秒内未完成（--timeout）", en: "did not finish within \(seconds) s (--timeout)")),
                durationSeconds: now.timeIntervalSince(entry.started))
        }
    }

    static func message(for error: any Error) -> Localized {
        if let localized = error as? any LocalizedMessage {
            return localized.localizedMessage
        }
        let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        return Localized(verbatim: text)
    }
}

/// An error that can say itself in both languages.
public protocol LocalizedMessage: Error {
    var localizedMessage: Localized { get }
}

extension CoreError: LocalizedMessage {
    public var localizedMessage: Localized { Localized(zh: text(.zh), en: text(.en)) }
}
