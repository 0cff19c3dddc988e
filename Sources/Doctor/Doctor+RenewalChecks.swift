import CertDoctorCore
import Foundation
import Renewal
import SSCCChecks
import SSCCProfile

/// The doctor is what a renewal runs its gate through.
extension Doctor: RenewalChecks {
    public func fixPlans(for results: [CheckResult], environment: Environment) -> [FixPlan] {
        planFixes(for: results, environment: environment).compactMap(\.plan)
    }

    public func applyFixes(
        _ plans: [FixPlan], results: [CheckResult], environment: Environment, runner: Runner, journal: Journal,
        command: String
    ) throws -> (results: [CheckResult], fixes: [RunReport.FixRecord]) {
        let applied = try apply(plans, results: results, environment: environment, runner: runner, journal: journal, command: command)
        return (applied.results, applied.fixes)
    }

    public func personalStoreImport(in context: CheckContext) throws -> FixPlan? {
        try PersonalCertificateCheck().planFix(for: Finding(.fail, Localized(verbatim: "renewed")), in: context)
    }
}
