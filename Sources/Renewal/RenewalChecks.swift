import CertDoctorCore
import Foundation
import SSCCProfile

/// What a renewal needs from the run around it: the profile, the checks (run, fixed, reported) and the one
/// check that must see the new file. The doctor provides it; the renewal knows no check by type, so that the
/// module graph points one way (Doctor → Renewal).
public protocol RenewalChecks: Sendable {
    var profile: SSCCProfile { get }
    /// The registry of every check of the run; its `required` ones are the gate.
    var registry: CheckRegistry { get }
    /// The environment with the run's profile and attachments in place.
    func prepare(_ environment: Environment) -> Environment
    /// Fix plans for the failing checks that have one; nothing is touched.
    func fixPlans(for results: [CheckResult], environment: Environment) -> [FixPlan]
    /// Applies the plans through the journal and runs the fixed checks again.
    func applyFixes(
        _ plans: [FixPlan], results: [CheckResult], environment: Environment, runner: Runner, journal: Journal,
        command: String
    ) throws -> (results: [CheckResult], fixes: [RunReport.FixRecord])
    func report(_ results: [CheckResult], environment: Environment, started: Date, fixes: [RunReport.FixRecord]) -> RunReport
    /// The plan that imports a PFX into a Wine prefix's Personal store (R10), or nil when there is none.
    func personalStoreImport(in context: CheckContext) throws -> FixPlan?
}
