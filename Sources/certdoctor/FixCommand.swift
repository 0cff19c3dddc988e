import ArgumentParser
import CertDoctorCore
import Foundation
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: Help.text(zh: "为未通过的检查制定修复计划，备份后执行并复查。", en: "Plan fixes for failing checks, apply them with a backup, and check again."),
        discussion: Help.text(
            zh: "每个文件在被原子替换前都会备份到修复日志（$XDG_STATE_HOME/certdoctor/journal）；certdoctor undo 可恢复。",
            en: "Every file is backed up into the journal ($XDG_STATE_HOME/certdoctor/journal) before it is replaced "
                + "atomically; 'certdoctor undo' puts it back.")
            + "\n\n" + ExitStatusHelp.text)

    @OptionGroup var targets: TargetOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var selection: RunOptions

    @Flag(help: Help.argument(zh: "只显示修复计划。", en: "Show the plan and stop."))
    var dryRun = false

    @Flag(name: .shortAndLong, help: Help.argument(zh: "不询问，直接执行。", en: "Apply without asking."))
    var yes = false

    func run() throws {
        let language = output.language
        try Console.run(language: language) {
            let session = try Session(targets: targets, output: output, timeout: selection.timeout)
            let runner = selection.runner
            // The check and its plans in one context, which reads the inputs (hives, the PFX) once; it goes before
            // the fix is applied, so that what it mapped is not held beside what the fix and the recheck read.
            let before: Doctor.Examination
            do {
                let context = CheckContext(environment: session.doctor.prepare(session.environment))
                before = try session.doctor.examine(session.environment, runner: runner, context: context)
                let plans = before.fixes.compactMap(\.plan)
                for problem in before.fixes where problem.plan == nil {
                    Console.warn("\(problem.checkID): " + (problem.problem?.text(language) ?? ""))
                }
                if plans.isEmpty {
                    Console.note(Localized(zh: "没有可自动修复的问题。", en: "Nothing to fix automatically.").text(language), machineOutput: output.format != "text")
                } else {
                    Console.note(FixPlanText.render(plans, language: language), machineOutput: output.format != "text")
                }
                if plans.isEmpty || dryRun {
                    let report = session.doctor.report(of: before, environment: session.environment, context: context)
                    try session.emit(report)
                    return report.summary.ready ? .success : .failure
                }
            }
            let plans = before.fixes.compactMap(\.plan)
            guard yes || Console.confirm(Localized(zh: "执行以上修改？", en: "Apply these changes?").text(language)) else {
                Console.warn(Localized(zh: "未修改任何内容（非交互运行时请加 --yes）", en: "nothing changed (add --yes when not running interactively)").text(language))
                return .failure
            }
            let journal = Journal(directory: Journal.defaultDirectory())
            // Steps that run a program (a Wine import) take seconds: a person at a terminal is told what runs.
            let applied = try session.doctor.apply(
                plans, results: before.results, environment: session.environment, runner: runner, journal: journal,
                command: "fix", progress: Console.progress(for: output))
            let report = session.doctor.report(
                applied.results, environment: session.environment, started: before.started, fixes: applied.fixes)
            try session.emit(report)
            for afterword in Set(plans.compactMap { $0.afterword?.text(language) }) {
                Console.note(afterword, machineOutput: output.format != "text")
            }
            Console.note((Localized(zh: "修复记录：", en: "journal entry: ").text(language)) + applied.entry.id
                + (Localized(zh: "（certdoctor undo 可撤销）", en: " (certdoctor undo reverts it)").text(language)), machineOutput: output.format != "text")
            // A fix that could not write what it planned is "cannot write output", whatever else the run says.
            if applied.fixes.contains(where: { !$0.applied }) { return .cannotCreate }
            return report.summary.ready ? .success : .failure
        }
    }
}

/// The plan as people read it before saying yes.
enum FixPlanText {
    static func render(_ plans: [FixPlan], language: Language) -> String {
        var lines = [Localized(zh: "修复计划：", en: "Fix plan:").text(language)]
        for plan in plans {
            lines.append("  \(plan.checkID): \(plan.summary.text(language))")
            for step in plan.steps {
                lines.append("    ~ " + step.description.text(language))
            }
        }
        return lines.joined(separator: "\n")
    }
}
