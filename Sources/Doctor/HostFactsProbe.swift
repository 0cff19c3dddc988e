import CertDoctorCore
import Foundation

/// The host facts of a run, asked for on another thread as the run begins: `wine --version` (and `pcscd
/// --version` for a token run) is a process start, 5 ms and more, that need not wait until the checks are done to
/// be asked. The report takes what the probe found (waiting for it if need be), once; a report with no probe
/// begun asks there and then.
final class HostFactsProbe: @unchecked Sendable {
    static let shared = HostFactsProbe()

    /// What the facts depend on besides the machine: which children are asked, and which prefix's header is read.
    private struct Key: Hashable {
        var winePrefix: String?
        var token: Bool

        init(_ environment: Environment) {
            winePrefix = environment.winePrefix?.path
            token = environment.tokenRequested
        }
    }

    private let lock = NSLock()
    private var pending: [Key: BackgroundValue<HostFacts>] = [:]

    /// Begins asking for `environment`'s facts, in place of any probe for the same not taken (a run that stopped
    /// before its report, or the check before a fix: the report takes the facts of its own last examination).
    func start(for environment: Environment) {
        let probe = BackgroundValue { Doctor.hostFacts(for: environment) }
        lock.withLock { pending[Key(environment)] = probe }
    }

    /// The facts a probe found for `environment`, taken (a later run asks again); asked now when none was begun.
    func facts(for environment: Environment) -> HostFacts {
        guard let probe = lock.withLock({ pending.removeValue(forKey: Key(environment)) }) else {
            return Doctor.hostFacts(for: environment)
        }
        return probe.value
    }
}
