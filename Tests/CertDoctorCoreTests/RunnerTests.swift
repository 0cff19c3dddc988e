import CertDoctorCore
import Foundation
import Testing

@Suite struct RunnerTests {
    func run(_ checks: [any Check], runner: Runner = Runner(), environment: Environment = Environment()) throws -> [String: CheckResult] {
        let results = try runner.run(CheckRegistry(checks), in: CheckContext(environment: environment))
        return Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
    }

    @Test func dependentOfAFailedCheckIsNotCheckedAndSaysWhich() throws {
        let results = try run([
            ScriptedCheck("a.first", .finish(.fail)),
            ScriptedCheck("a.second", dependencies: ["a.first"], .finish(.pass)),
            ScriptedCheck("a.third", dependencies: ["a.second"], .finish(.pass)),
        ])
        #expect(results["a.second"]?.outcome == .notchecked)
        #expect(results["a.second"]?.message.en.contains("a.first") == true)
        #expect(results["a.third"]?.outcome == .notchecked)
    }

    @Test func dependenciesRunFirstWhateverTheRegistrationOrder() throws {
        let results = try run([
            ScriptedCheck("b.later", dependencies: ["b.earlier"], .finish(.pass)),
            ScriptedCheck("b.earlier", .finish(.pass)),
        ])
        #expect(results["b.later"]?.outcome == .pass)
    }

    @Test func thrownErrorBecomesErrorWithItsMessage() throws {
        let results = try run([ScriptedCheck("c.throws", .throwError)])
        #expect(results["c.throws"]?.outcome == .error)
        #expect(results["c.throws"]?.message.en.contains("scripted") == true)
    }

    @Test func hungCheckBecomesErrorWhenItsTimeIsUpAndTheRunCompletes() throws {
        let started = Date()
        let results = try run(
            [ScriptedCheck("d.hangs", .sleep(30)), ScriptedCheck("d.quick", .finish(.pass))],
            runner: Runner(timeout: 0.5))
        #expect(results["d.hangs"]?.outcome == .error)
        #expect(results["d.hangs"]?.message.en.contains("did not finish") == true)
        #expect(results["d.quick"]?.outcome == .pass)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func independentChecksRunAtTheSameTime() throws {
        let recorder = Recorder()
        _ = try run((1...4).map { ScriptedCheck("e.c\($0)", .record(recorder, .pass)) })
        #expect(recorder.highest > 1)
    }

    @Test func missingFacetIsNotApplicableWithTheReason() throws {
        let results = try run([ScriptedCheck("f.needs-file", facets: [.testFile], .finish(.pass))])
        #expect(results["f.needs-file"]?.outcome == .notapplicable)
        #expect(results["f.needs-file"]?.message.en == "no file given (--file)")
        var environment = Environment()
        environment[TestFileKey.self] = "given"
        #expect(try run([ScriptedCheck("f.needs-file", facets: [.testFile], .finish(.pass))], environment: environment)["f.needs-file"]?.outcome == .pass)
    }

    @Test func onlyAndSkipSelectByIDOrCategoryAndKeepDependencies() throws {
        let checks: [any Check] = [
            ScriptedCheck("g.base", category: "base", .finish(.pass)),
            ScriptedCheck("g.wanted", dependencies: ["g.base"], category: "wanted", .finish(.pass)),
            ScriptedCheck("g.other", category: "other", .finish(.pass)),
        ]
        let only = try run(checks, runner: Runner(only: ["wanted"]))
        #expect(only["g.wanted"]?.outcome == .pass)
        #expect(only["g.base"]?.outcome == .pass, "a selected check's dependency runs too")
        #expect(only["g.other"]?.outcome == .notchecked)
        let skipped = try run(checks, runner: Runner(skip: ["g.base"]))
        #expect(skipped["g.base"]?.outcome == .notchecked)
        #expect(skipped["g.wanted"]?.outcome == .notchecked)
        #expect(skipped["g.other"]?.outcome == .pass)
    }

    @Test func duplicateIDIsAnErrorAtStart() {
        #expect(throws: CoreError.duplicateCheckID("h.same")) {
            try CheckRegistry([ScriptedCheck("h.same", .finish(.pass)), ScriptedCheck("h.same", .finish(.fail))])
        }
    }

    @Test func dependencyCycleIsAnError() throws {
        let registry = try CheckRegistry([
            ScriptedCheck("i.one", dependencies: ["i.two"], .finish(.pass)),
            ScriptedCheck("i.two", dependencies: ["i.one"], .finish(.pass)),
        ])
        #expect(throws: CoreError.self) { try registry.dependencyOrder() }
    }

    static let examinedScope = RunReport.Scope(
        examined: [.init(id: "pfx", title: Localized(verbatim: "file certificate"))], notExamined: [],
        subject: Localized(verbatim: "the file certificate"), subjectExamined: true)

    @Test func summaryIsReadyOnlyWithoutRequiredFailuresOrErrors() throws {
        let advisoryFailure = try run([
            ScriptedCheck("j.ok", .finish(.pass)),
            ScriptedCheck("j.advice", severity: .advisory, .finish(.fail)),
        ])
        #expect(RunReport.Summary(Array(advisoryFailure.values), scope: Self.examinedScope).ready)
        let requiredError = try run([ScriptedCheck("j.broken", .throwError)])
        let summary = RunReport.Summary(Array(requiredError.values), scope: Self.examinedScope)
        #expect(!summary.ready)
        #expect(summary.blocking == ["j.broken"])
        #expect(summary.counts["error"] == 1)
    }

    @Test func aRunThatDidNotExamineTheCertificateIsNeverReady() throws {
        let passing = try run([ScriptedCheck("k.ok", .finish(.pass))])
        var scope = Self.examinedScope
        scope.subjectExamined = false
        #expect(!RunReport.Summary(Array(passing.values), scope: scope).ready)
    }

    @Test func aRequiredCheckLeftUndecidedForWantOfInputBlocksButAnUnselectedOneDoesNot() throws {
        let undecided = try run([
            ScriptedCheck("l.ok", .finish(.pass)),
            ScriptedCheck("l.needs-password", .finish(.notchecked)),
        ])
        let summary = RunReport.Summary(Array(undecided.values), scope: Self.examinedScope)
        #expect(!summary.ready)
        #expect(summary.unevaluated == ["l.needs-password"])

        let registry = try CheckRegistry([ScriptedCheck("m.ok", .finish(.pass)), ScriptedCheck("m.other", .finish(.pass))])
        let context = CheckContext(environment: Environment())
        let selected = try Runner(only: ["m.ok"]).run(registry, in: context)
        #expect(RunReport.Summary(selected, scope: Self.examinedScope).ready)
    }

    @Test func aSelectionWordThatNamesNothingIsAUsageErrorWithTheNearestIDs() throws {
        let registry = try CheckRegistry([ScriptedCheck("cert.validity", .finish(.pass)), ScriptedCheck("cert.pfx-name", .finish(.pass))])
        let context = CheckContext(environment: Environment())
        #expect(throws: SelectionError(option: "--only", name: "cert.valdity", suggestions: ["cert.validity"])) {
            try Runner(only: ["cert.valdity"]).run(registry, in: context)
        }
        #expect(throws: SelectionError.self) { try Runner(skip: ["nothing-like-it"]).run(registry, in: context) }
        #expect(NearestNames.suggestions(for: "chekc", among: ["check", "fix", "undo", "renew"]) == ["check"])
        #expect(NearestNames.suggestions(for: "zzz", among: ["check", "fix"]).isEmpty)
    }

    @Test func sharedLoadRunsOnceAndRemembersErrors() throws {
        let loads = SharedLoads()
        let counter = Recorder()
        for _ in 0..<3 {
            let value = try loads.value(of: Int.self) {
                counter.enter()
                return 42
            }
            #expect(value == 42)
        }
        #expect(counter.highest == 1)
        // Another type is another load, whatever the first one holds.
        #expect(try loads.value(of: String.self) { "forty-two" } == "forty-two")
        struct Broken: Sendable {}
        for _ in 0..<2 {
            #expect(throws: CoreError.self) {
                _ = try loads.value(of: Broken.self) { throw CoreError.journalEmpty }
            }
        }
        loads.reset()
        #expect(try loads.value(of: Int.self) { 7 } == 7, "a reset forgets the loads")
    }

    @Test func languageFollowsLocaleVariables() {
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language.fromEnvironment(["LANG": "en_US.UTF-8"]) == .en)
        #expect(Language.fromEnvironment(["LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"]) == .zh)
        #expect(Language.fromEnvironment([:]) == .en)
    }

    @Test func secretNeverPrintsItsValue() {
        let secret = Secret("424242")
        #expect(!"\(secret)".contains("424242"))
        #expect(!String(reflecting: secret).contains("424242"))
        #expect(!String(describing: [secret]).contains("424242"))
        #expect(secret.reveal() == "424242")
    }
}
