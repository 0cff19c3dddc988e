import ArgumentParser
import CertDoctorCore
import Foundation
import SSCCChecks

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Plan fixes for failing checks, apply them with a backup, and check again.",
        discussion: "Every file is backed up into the journal ($XDG_STATE_HOME/certdoctor/journal) before it is "
            + "replaced atomically; 'certdoctor undo' puts it back.\n\n" + ExitStatusHelp.text)

    @OptionGroup var targets: TargetOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: RunOptions

    @Flag(help: "Show the plan and stop.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Apply without asking.")
    var yes = false

    func run() throws {
        let language = output.language
        try Console.run(language: language) {
            let session = try Session(targets: targets, output: output, timeout: selection.timeout)
            let runner = selection.runner
            let started = Date()
            let before = try session.doctor.check(session.environment, runner: runner)
            let planned = session.doctor.planFixes(for: before.results, environment: session.environment)
            let plans = planned.compactMap(\.plan)
            for problem in planned where problem.plan == nil {
                Console.warn("\(problem.checkID): " + (problem.problem?.text(language) ?? ""))
            }
            guard !plans.isEmpty else {
                Console.say(language == .zh ? "没有可自动修复的问题。" : "Nothing to fix automatically.")
                try session.emit(before)
                return before.summary.readyToRenew ? .success : .failure
            }
            Console.say(FixPlanText.render(plans, language: language))
            if dryRun { return .success }
            guard yes || Console.confirm(language == .zh ? "执行以上修改？" : "Apply these changes?") else {
                Console.warn(language == .zh ? "未修改任何内容（非交互运行时请加 --yes）" : "nothing changed (add --yes when not running interactively)")
                return .failure
            }
            let journal = Journal(directory: Journal.defaultDirectory())
            let applied = try session.doctor.apply(
                plans, results: before.results, environment: session.environment, runner: runner, journal: journal,
                command: "fix")
            let report = session.doctor.report(
                applied.results, environment: session.environment, started: started, fixes: applied.fixes)
            try session.emit(report)
            for afterword in Set(plans.compactMap { $0.afterword?.text(language) }) {
                Console.say(afterword)
            }
            Console.say((language == .zh ? "修复记录：" : "journal entry: ") + applied.entry.id
                + (language == .zh ? "（certdoctor undo 可撤销）" : " (certdoctor undo reverts it)"))
            return report.summary.readyToRenew ? .success : .failure
        }
    }
}

/// The plan as people read it before saying yes.
enum FixPlanText {
    static func render(_ plans: [FixPlan], language: Language) -> String {
        var lines = [language == .zh ? "修复计划：" : "Fix plan:"]
        for plan in plans {
            lines.append("  \(plan.checkID): \(plan.summary.text(language))")
            for step in plan.steps {
                lines.append("    ~ " + step.description.text(language))
            }
        }
        return lines.joined(separator: "\n")
    }
}
