import CertDoctorCore
import Foundation

/// The gate every renewal passes first: all checks run (advisory ones too, so the report says everything
/// `check` would), and the `required` ones decide. Nothing bypasses it; a refusal names what blocked.
public struct RenewalGate: Sendable {
    public var results: [CheckResult]
    public var fixes: [RunReport.FixRecord]
    /// The required checks that failed, erred or did not run (a failed dependency): nothing passes unseen.
    public var blocking: [CheckResult]
    public var passed: Bool { blocking.isEmpty }

    /// Runs the checks. With `fix`, failing checks that have a fix are planned, the closure decides (it prints
    /// the plan and asks, or says yes for `--yes`), and the fixed checks run again.
    public static func run(
        _ doctor: any RenewalChecks, environment: Environment, journal: Journal, timeout: TimeInterval,
        fix: (([FixPlan]) -> Bool)? = nil
    ) throws -> RenewalGate {
        let required = Set(doctor.registry.checks.map(\.description).filter { $0.severity == .required }.map(\.id))
        let runner = Runner(timeout: timeout)
        var results = try runner.run(doctor.registry, in: CheckContext(environment: doctor.prepare(environment)))
        var fixes: [RunReport.FixRecord] = []
        if let fix {
            let plans = doctor.fixPlans(for: results, environment: environment)
            if !plans.isEmpty, fix(plans) {
                let applied = try doctor.applyFixes(
                    plans, results: results, environment: environment, runner: runner, journal: journal, command: "renew --fix")
                results = applied.results
                fixes = applied.fixes
            }
        }
        let blocking = results.filter {
            required.contains($0.id) && ($0.outcome.leavesRequirementUnmet || $0.outcome == .notchecked)
        }
        return RenewalGate(results: results, fixes: fixes, blocking: blocking)
    }
}
