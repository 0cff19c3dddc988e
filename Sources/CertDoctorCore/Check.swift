import Foundation

/// One check: a type in one file that describes itself and evaluates one thing.
///
/// `evaluate` runs on a thread of its own, so it may block on a device or a process; the runner enforces the
/// time limit. A thrown error becomes an `error` result with the error's message.
public protocol Check: Sendable {
    var description: CheckDescription { get }
    func evaluate(_ context: CheckContext) throws -> Finding
    /// The changes that would make a failing check pass, or nil when there is no automatic fix.
    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan?
}

extension Check {
    public func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? { nil }
}

/// What a check found.
public struct Finding: Sendable {
    public var outcome: Outcome
    public var message: Localized
    public var evidence: [Evidence]
    public var remedy: Localized?
    /// A finding may be weaker than the check's severity (a Nagios WARNING never blocks renewal).
    public var severity: Severity?
    public var certificates: [CertificateObservation]

    public init(
        _ outcome: Outcome, _ message: Localized, evidence: [Evidence] = [], remedy: Localized? = nil,
        severity: Severity? = nil, certificates: [CertificateObservation] = []
    ) {
        self.outcome = outcome
        self.message = message
        self.evidence = evidence
        self.remedy = remedy
        self.severity = severity
        self.certificates = certificates
    }

    public static func pass(_ message: Localized, evidence: [Evidence] = []) -> Finding {
        Finding(.pass, message, evidence: evidence)
    }

    public static func fail(_ message: Localized, evidence: [Evidence] = [], remedy: Localized) -> Finding {
        Finding(.fail, message, evidence: evidence, remedy: remedy)
    }

    public static func notApplicable(_ reason: Localized) -> Finding {
        Finding(.notapplicable, reason)
    }
}

/// What a check sees while it runs: the environment, and loads shared with the other checks of the run.
public final class CheckContext: Sendable {
    public let environment: Environment
    public let loads: SharedLoads
    /// When the check's time is up; checks that start processes stop them by then.
    public let deadline: Date

    public init(environment: Environment, loads: SharedLoads = SharedLoads(), deadline: Date = .distantFuture) {
        self.environment = environment
        self.loads = loads
        self.deadline = deadline
    }

    public func with(deadline: Date) -> CheckContext {
        CheckContext(environment: environment, loads: loads, deadline: deadline)
    }
}

/// Work that several checks need once per run (opening the PFX, loading a hive), done once and remembered,
/// errors included. A load is known by the type it gives — one opened PFX, one Windows side, one token database
/// per run — so a value can never come back as another type than it was stored as.
public final class SharedLoads: @unchecked Sendable {
    // Each slot has its own lock so that a slow load does not hold up unrelated ones.
    private final class Slot: @unchecked Sendable {
        let lock = NSLock()
        var result: Result<any Sendable, any Error>?
    }

    private let lock = NSLock()
    private var slots: [ObjectIdentifier: Slot] = [:]

    public init() {}

    /// The run's one `Value`, loaded by the first caller; the others wait for it and get the same (or its error).
    public func value<Value: Sendable>(of type: Value.Type, load: () throws -> Value) throws -> Value {
        let slot = lock.withLock {
            if let existing = slots[ObjectIdentifier(type)] { return existing }
            let created = Slot()
            slots[ObjectIdentifier(type)] = created
            return created
        }
        slot.lock.lock()
        defer { slot.lock.unlock() }
        if slot.result == nil {
            do { slot.result = .success(try load()) } catch { slot.result = .failure(error) }
        }
        switch slot.result! {
        case .success(let value):
            // The slot of `Value` only ever holds what `load` returned: a `Value`.
            return value as! Value
        case .failure(let error):
            throw error
        }
    }

    /// Forgets every load, so that checks run again after a fix see the changed files.
    public func reset() {
        lock.withLock { slots.removeAll() }
    }
}
