import CertDoctorCore
import Foundation
import Synchronization

/// What is SSCC-specific, as data (`Checks/profiles/sscc.json`): the portal, the name rules, the controls and
/// their versions, the manual's requirement texts and known errors, the support line. Another CA's procedure is
/// another profile, not other code; no other module spells these facts out.
public struct SSCCProfile: Sendable, Codable {
    public var schemaVersion: Int
    public var name: String
    public var title: Localized
    public var manual: String
    public var portal: Portal
    public var gatewayNumber: GatewayNumber
    public var fileCertificate: FileCertificate
    public var hardwareCertificate: HardwareCertificate
    public var activeXControls: [ActiveXControl]
    public var trustedZoneActions: [ZoneAction]
    public var support: Support
    /// Absent from a profile written before reports cited the texts: its reports then list none.
    public var manualRequirements: ManualRequirements?
    public var tokenDatabase: String?
    public var knownErrors: [KnownError]
    /// How many days before `notAfter` a certificate is inside its renewal window (`--warn-days` overrides).
    public var renewalWindowDays: Int?

    /// The language of what the customer reads on their own machine (the collect script), when it is not asked for.
    public var customerLanguage: Language?

    /// The renewal window the profile asks for, 30 days when it names none.
    public var renewalWindow: Int { renewalWindowDays ?? 30 }

    /// The token database beside the profile: the one it names, or the one shipped with it.
    public var tokenDatabaseFile: String { tokenDatabase ?? "sscc-tokens.json" }

    /// The first download's rules; absent from a profile written before `enroll`, which then uses the manual's.
    public var enrolment: Enrolment?
    public var enrolmentRules: Enrolment { enrolment ?? .manual }

    /// R14: what a password envelope's codes look like, how long they last, and the password-based MAC the
    /// CA expects (names OpenSSL knows).
    public struct Enrolment: Sendable, Codable {
        public var referencePattern: String
        public var authorizationPattern: String
        public var envelopeValidityDays: Int
        public var pbmOneWayFunction: String
        public var pbmMAC: String

        /// The manual's limits (reference ≤ 22, authorization ≤ 16, 30 days) and OpenSSL's PBM defaults.
        public static let manual = Enrolment(
            referencePattern: "^[A-Za-z0-9]{1,22}$", authorizationPattern: "^[A-Za-z0-9]{1,16}$", envelopeValidityDays: 30,
            pbmOneWayFunction: "sha256", pbmMAC: "hmac-sha1")

        public func referenceIsValid(_ code: String) -> Bool { PatternCache.matches(referencePattern, code) }
        public func authorizationIsValid(_ code: String) -> Bool { PatternCache.matches(authorizationPattern, code) }
    }

    public struct Portal: Sendable, Codable {
        public var url: String
        public var host: String
        public var domain: String
        public var ieModePages: [String]
        public var typoHosts: [String]
        public var typoNote: Localized
    }

    public struct GatewayNumber: Sendable, Codable {
        public var pattern: String
        public var examples: [String]

        public func matches(_ candidate: String) -> Bool {
            PatternCache.matches(pattern, candidate)
        }
    }

    public struct FileCertificate: Sendable, Codable {
        public var `extension`: String
        public var requiredSuffix: String
        public var passwordPattern: String
        public var passwordRule: Localized

        public func passwordIsValid(_ password: String) -> Bool {
            PatternCache.matches(passwordPattern, password)
        }
    }

    public struct HardwareCertificate: Sendable, Codable {
        public var forbiddenSuffix: String
    }

    public struct ActiveXControl: Sendable, Codable {
        public enum Comparison: String, Sendable, Codable {
            case exact
            case atLeast
        }

        public var check: String
        public var name: String
        public var clsid: String
        public var cab: String
        public var version: String
        public var comparison: Comparison
        public var severity: Severity
        /// The requirement and known-error ids the control's check covers (R8, E1, …); absent from a profile
        /// written before the controls listed them.
        public var requirements: [String]?
        public var resolution: Localized?
    }

    public struct ZoneAction: Sendable, Codable {
        public var action: String
        public var name: Localized
    }

    public struct Support: Sendable, Codable {
        public var phone: String
        public var note: Localized
    }

    /// The manual's numbered requirements (R1–R17, E1–E9) in words, for the reports that cite them.
    public struct ManualRequirements: Sendable, Codable {
        public var title: Localized
        public var items: [Item]

        public struct Item: Sendable, Codable {
            public var id: String
            public var text: Localized
            /// The certdoctor commands that carry the requirement out (`enroll` for R14), for `explain`.
            public var commands: [String]?
        }
    }

    public struct KnownError: Sendable, Codable {
        public var id: String
        public var portalMessages: [String]
        public var cause: Localized
        public var remedy: Localized
        public var requirements: [String]
        public var checks: [String]
    }
}

extension SSCCProfile {
    /// What a report cites from this profile: the manual's requirement texts and the support line.
    public var reportReferences: RunReport.References {
        RunReport.References(
            requirementsTitle: manualRequirements?.title ?? title,
            requirements: (manualRequirements?.items ?? []).map { RunReport.References.Requirement(id: $0.id, text: $0.text) },
            support: RunReport.References.Support(phone: support.phone, label: support.note))
    }
}

/// Makes the run's profile available to every check.
enum ProfileKey: EnvironmentKey {
    static let defaultValue: SSCCProfile? = nil
}

extension Environment {
    public var profile: SSCCProfile? {
        get { self[ProfileKey.self] }
        set { self[ProfileKey.self] = newValue }
    }

    /// The profile, for a check that cannot judge without its facts. A run without one is a mistake of the
    /// program: the check reports `error` instead of judging against facts written down anywhere but here.
    public func attachedProfile() throws(ProfileNotAttached) -> SSCCProfile {
        guard let profile else { throw ProfileNotAttached() }
        return profile
    }
}

public struct ProfileNotAttached: Error, LocalizedMessage, CommandEndingProviding, Sendable {
    public var localizedMessage: Localized {
        Localized(zh: "本次运行未加载配置文件（profile），无法判断", en: "no profile is attached to the run, so there is nothing to judge against")
    }

    public var ending: CommandEnding { .software }
}

/// Profile patterns compiled once: compiling a Regex costs more than the checks that use it.
public enum PatternCache {
    private static let compiled = Mutex<[String: NSRegularExpression]>([:])

    /// The first pattern ICU compiles in a process, whatever it is, first builds ICU's Unicode sets for regular
    /// expressions (more work than decoding the profile); a compile on another thread meanwhile waits for it.
    /// Started when a profile is about to be read, so that the sets are built on another core while it is read
    /// and decoded, or earlier by a command that will read one; once per process.
    public static func prepareEngine() {
        _ = engineStarted
    }

    private static let engineStarted: Bool = {
        guard ProcessInfo.processInfo.activeProcessorCount > 1 else { return false }
        Thread { _ = try? NSRegularExpression(pattern: "[0-9]") }.start()
        return true
    }()

    static func matches(_ pattern: String, _ candidate: String) -> Bool {
        guard let expression = expression(pattern) else { return false }
        let range = NSRange(candidate.startIndex..., in: candidate)
        return expression.firstMatch(in: candidate, options: [.anchored], range: range).map { $0.range == range } ?? false
    }

    /// The compiled pattern, nil when it is not a regular expression. Validating a profile compiles through
    /// here, so the checks use what it compiled.
    static func expression(_ pattern: String) -> NSRegularExpression? {
        compiled.withLock { cache in
            if let known = cache[pattern] { return known }
            let made = try? NSRegularExpression(pattern: pattern)
            cache[pattern] = made
            return made
        }
    }
}
