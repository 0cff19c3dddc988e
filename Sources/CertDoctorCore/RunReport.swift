import Foundation

/// Everything one run produced; every report format (text, JSON, XML, HTML, JUnit, Prometheus) renders this.
public struct RunReport: Sendable, Codable {
    public var tool: String
    public var version: String
    public var profile: String
    public var language: Language
    public var started: Date
    public var finished: Date
    public var host: HostFacts
    public var targets: [Target]
    public var results: [CheckResult]
    public var fixes: [FixRecord]
    /// What a command that carries out a procedure (renewal, for SSCC) did, step by step.
    public var procedure: [ProcedureStep]
    public var scope: Scope
    /// The soonest-expiring certificate the run looked at, against the renewal window.
    public var expiry: Expiry?
    public var summary: Summary
    /// The procedure's requirement texts and support line the report cites; the profile supplies them (the core
    /// knows no procedure), and a report without them leaves those sections out.
    public var references: References?
    /// The command as the user typed it, shell-quoted (secrets never come from the command line), so that support
    /// can run it again; nil when the run did not come from a command line.
    public var commandLine: String?

    public init(
        tool: String = "certdoctor", version: String, profile: String, language: Language, started: Date,
        finished: Date, host: HostFacts, targets: [Target], scope: Scope, results: [CheckResult],
        fixes: [FixRecord] = [], procedure: [ProcedureStep] = []
    ) {
        self.tool = tool
        self.version = version
        self.profile = profile
        self.language = language
        self.started = started
        self.finished = finished
        self.host = host
        self.targets = targets
        self.results = results
        self.fixes = fixes
        self.procedure = procedure
        self.scope = scope
        summary = Summary(results, scope: scope)
    }

    /// Ready means the subject the run is about was examined, no required check failed or could not be
    /// evaluated, and none was left unchecked for want of an input (only `--only`/`--skip` may leave a
    /// required check out). What "ready" allows (renewing, for SSCC) is the reports' word, not the core's.
    public struct Summary: Sendable, Codable {
        public var counts: [String: Int]
        public var ready: Bool
        /// The required checks whose requirement is unmet, in registry order.
        public var blocking: [String]
        /// Required checks that were selected but could not be decided for want of an input (a password, a PIN).
        public var unevaluated: [String]

        public init(_ results: [CheckResult], scope: Scope) {
            var counts = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, 0) })
            for result in results { counts[result.outcome.rawValue, default: 0] += 1 }
            self.counts = counts
            blocking = results.filter { $0.severity == .required && $0.outcome.leavesRequirementUnmet }.map(\.id)
            unevaluated = results.filter {
                $0.severity == .required && $0.outcome == .notchecked && !$0.isNotSelected && !$0.isBlockedByDependency
            }.map(\.id)
            ready = blocking.isEmpty && unevaluated.isEmpty && scope.subjectExamined
        }

        enum CodingKeys: String, CodingKey {
            case counts
            case ready
            case blocking
            case unevaluated
        }
    }

    /// What a report cites besides its results: the texts of the requirement ids the checks name (R2, E5, …),
    /// under the title of the document that numbers them, and the support line to call.
    public struct References: Sendable, Codable, Equatable {
        public var requirementsTitle: Localized
        public var requirements: [Requirement]
        public var support: Support?

        public init(requirementsTitle: Localized, requirements: [Requirement], support: Support?) {
            self.requirementsTitle = requirementsTitle
            self.requirements = requirements
            self.support = support
        }

        public struct Requirement: Sendable, Codable, Equatable {
            public var id: String
            public var text: Localized

            public init(id: String, text: Localized) {
                self.id = id
                self.text = text
            }
        }

        public struct Support: Sendable, Codable, Equatable {
            public var phone: String
            /// What the number is ("SSCC support line").
            public var label: Localized

            public init(phone: String, label: Localized) {
                self.phone = phone
                self.label = label
            }
        }

        enum CodingKeys: String, CodingKey {
            case requirementsTitle = "requirements_title"
            case requirements
            case support
        }
    }

    /// When the certificate examined expires, and whether that is inside the renewal window.
    public struct Expiry: Sendable, Codable, Equatable {
        public var subject: String
        public var notAfter: Date
        /// Whole days from the run to `notAfter`; negative once expired.
        public var daysLeft: Int
        public var windowDays: Int

        public init(subject: String, notAfter: Date, daysLeft: Int, windowDays: Int) {
            self.subject = subject
            self.notAfter = notAfter
            self.daysLeft = daysLeft
            self.windowDays = windowDays
        }

        /// Valid, but fewer than `windowDays` days left: the time to renew is now.
        public var insideWindow: Bool { daysLeft >= 0 && daysLeft < windowDays }

        enum CodingKeys: String, CodingKey {
            case subject
            case notAfter = "not_after"
            case daysLeft = "days_left"
            case windowDays = "window_days"
        }
    }

    /// What the run examined and what it did not, and whether it examined the certificate to be renewed.
    public struct Scope: Sendable, Codable, Equatable {
        public var examined: [Area]
        public var notExamined: [Area]
        /// The certificate to be renewed, for the verdict line ("the file certificate F000504Y0007"); nil when
        /// the run was given none.
        public var subject: Localized?
        /// The certificate's own name (its subject CN, the gateway number), for a report's title; nil when unknown.
        public var subjectName: String?
        /// Whether at least one required check of that certificate was evaluated.
        public var subjectExamined: Bool
        /// What to give when the subject was not examined ("give --pfx FILE or --token").
        public var advice: Localized?

        public init(
            examined: [Area], notExamined: [Area], subject: Localized?, subjectExamined: Bool, advice: Localized? = nil
        ) {
            self.examined = examined
            self.notExamined = notExamined
            self.subject = subject
            self.subjectExamined = subjectExamined
            self.advice = advice
        }

        /// One part of what a run can examine: the file certificate, the Windows side, the token, the host.
        public struct Area: Sendable, Codable, Equatable {
            public var id: String
            public var title: Localized
            /// Where it was found (a path, "~/.wine"), for examined areas.
            public var location: String?
            /// Why it was not examined and what to add, for areas that were not.
            public var hint: Localized?
            /// The checks that belong to it, in registry order, so that a person's view can group results by area.
            public var checks: [String]

            public init(id: String, title: Localized, location: String? = nil, hint: Localized? = nil, checks: [String] = []) {
                self.id = id
                self.title = title
                self.location = location
                self.hint = hint
                self.checks = checks
            }
        }

        enum CodingKeys: String, CodingKey {
            case examined
            case notExamined = "not_examined"
            case subject
            case subjectExamined = "subject_examined"
            case advice
        }
    }

    public struct Target: Sendable, Codable, Hashable {
        /// `pfx`, `wine-prefix`, `registry`, `token`, `host`.
        public var kind: String
        public var location: String

        public init(kind: String, location: String) {
            self.kind = kind
            self.location = location
        }
    }

    /// A fix as the report records it.
    public struct FixRecord: Sendable, Codable {
        public var checkID: String
        public var summary: Localized
        public var changes: [Change]
        public var applied: Bool
        public var outcome: Outcome?
        public var journalEntry: String?
        public var error: String?

        public init(
            checkID: String, summary: Localized, changes: [Change], applied: Bool, outcome: Outcome? = nil,
            journalEntry: String? = nil, error: String? = nil
        ) {
            self.checkID = checkID
            self.summary = summary
            self.changes = changes
            self.applied = applied
            self.outcome = outcome
            self.journalEntry = journalEntry
            self.error = error
        }
    }

    /// One change of a fix, with the value before and after where the fix knows them.
    public struct Change: Sendable, Codable {
        public var description: Localized
        public var before: String?
        public var after: String?

        public init(_ description: Localized, before: String? = nil, after: String? = nil) {
            self.description = description
            self.before = before
            self.after = after
        }
    }

    /// One step of a procedure (for a renewal: key generated, request sent, certificate received, …).
    public struct ProcedureStep: Sendable, Codable {
        public var name: String
        public var outcome: String
        public var detail: Localized
        public var time: Date

        public init(name: String, outcome: String, detail: Localized, time: Date = Date()) {
            self.name = name
            self.outcome = outcome
            self.detail = detail
            self.time = time
        }
    }
}

/// Facts about the machine that help support staff read a report.
public struct HostFacts: Sendable, Codable {
    public var operatingSystem: String
    public var kernel: String
    public var hostName: String
    public var versions: [String: String]

    public init(operatingSystem: String, kernel: String, hostName: String, versions: [String: String] = [:]) {
        self.operatingSystem = operatingSystem
        self.kernel = kernel
        self.hostName = hostName
        self.versions = versions
    }

    /// Reads `/etc/os-release` and `uname`; versions of Wine, pcsc-lite and OpenSSL are added by their modules.
    public static func current() -> HostFacts {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let pretty = release.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return HostFacts(
            operatingSystem: pretty ?? field(system.sysname), kernel: field(system.release),
            hostName: field(system.nodename))
    }
}
