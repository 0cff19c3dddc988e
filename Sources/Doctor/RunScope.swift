import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation

/// Works out a run's scope: which areas (file certificate, Windows side, token, host) were examined, which
/// were not and why, and whether the certificate to be renewed was examined at all. A run that examined no
/// required check of that certificate is never "ready": a typo in `--only`, or no `--pfx`, must not read green.
struct RunScope {
    let registry: CheckRegistry
    let results: [CheckResult]
    let environment: Environment

    /// The areas in the order the verdict names them, each with the facets whose checks belong to it.
    enum Area: String, CaseIterable {
        case fileCertificate = "pfx"
        case windowsSide = "windows"
        case token
        case host

        /// Every facet the program knows, for resolving the names plugins give.
        static var allFacets: [Facet] { allCases.flatMap { $0.facets.sorted { $0.id < $1.id } } }

        var facets: Set<Facet> {
            switch self {
            case .fileCertificate: [.fileCertificate]
            case .windowsSide: [.windowsSide, .winePrefix]
            case .token: [.token]
            case .host: [.host]
            }
        }

        var title: Localized {
            switch self {
            case .fileCertificate: Localized(zh: "文件证书", en: "file certificate")
            case .windowsSide: Localized(zh: "Windows 环境", en: "Windows side")
            case .token: Localized(zh: "USB Key", en: "token")
            case .host: Localized(zh: "本机", en: "host")
            }
        }

        /// What to add to examine this area.
        var addHint: Localized {
            switch self {
            case .fileCertificate: Localized(zh: "加 --pfx 文件", en: "add --pfx FILE")
            case .windowsSide: Localized(zh: "加 --wine-prefix 目录 或 --registry 文件", en: "add --wine-prefix DIR or --registry FILE")
            case .token: Localized(zh: "加 --token", en: "add --token")
            case .host: Localized(verbatim: "")
            }
        }
    }

    var scope: RunReport.Scope {
        var examined: [RunReport.Scope.Area] = []
        var notExamined: [RunReport.Scope.Area] = []
        let members = checksByArea
        for area in Area.allCases {
            let given = provides(area)
            if given && wasEvaluated(area, requiredOnly: false) {
                examined.append(.init(id: area.rawValue, title: area.title, location: location(of: area), checks: members[area] ?? []))
            } else if area != .host {
                let hint = given ? whyNotEvaluated(area) : area.addHint
                notExamined.append(.init(id: area.rawValue, title: area.title, hint: hint, checks: members[area] ?? []))
            }
        }
        let subjects = subjectAreas
        guard !subjects.isEmpty else {
            return RunReport.Scope(
                examined: examined, notExamined: notExamined, subject: nil, subjectExamined: false,
                advice: Localized(
                    zh: "未指定要更新的证书：请用 --pfx 文件（及 --password-file）指定文件证书，或用 --token 检查 USB Key",
                    en: "no certificate to renew was given: name the file certificate with --pfx FILE (and --password-file), or the token with --token"))
        }
        let subjectExamined = subjects.allSatisfy { wasEvaluated($0, requiredOnly: true) }
        var scope = RunReport.Scope(
            examined: examined, notExamined: notExamined, subject: subject(subjects), subjectExamined: subjectExamined,
            advice: subjectExamined ? nil : Localized(
                zh: "没有评估要更新的证书的任何必需检查：", en: "no required check of the certificate to renew was evaluated: ")
                + Localized.joined(subjects.filter { !wasEvaluated($0, requiredOnly: true) }.map(whyNotEvaluated)))
        scope.subjectName = gateway
        return scope
    }

    /// Each result under one area: the first given area its facets belong to, else the first at all, else the
    /// host (a plugin that names no facet of ours).
    var checksByArea: [Area: [String]] {
        var members: [Area: [String]] = [:]
        for result in results {
            let facets = registry[result.id]?.description.facets ?? []
            let touching = Area.allCases.filter { !$0.facets.isDisjoint(with: facets) }
            let area = touching.first(where: provides) ?? touching.first ?? .host
            members[area, default: []].append(result.id)
        }
        return members
    }

    /// For an area that was given but not evaluated: left out by `--only`/`--skip`, or the first check's own
    /// reason (no password given, say).
    func whyNotEvaluated(_ area: Area) -> Localized {
        let ofArea = results.filter { result in
            registry[result.id]?.description.facets.isDisjoint(with: area.facets) == false
        }
        if let reason = ofArea.first(where: { $0.outcome == .notchecked && !$0.isNotSelected && !$0.isBlockedByDependency }) {
            return reason.message
        }
        return Localized(zh: "未选中（--only/--skip）", en: "not selected (--only/--skip)")
    }

    /// The certificate the run is about: the file certificate when `--pfx` names one, the token's with `--token`.
    var subjectAreas: [Area] {
        (environment.pfxFile != nil ? [Area.fileCertificate] : []) + (environment.tokenRequested ? [Area.token] : [])
    }

    func provides(_ area: Area) -> Bool {
        area.facets.contains { environment.provides($0) }
    }

    /// Whether some check of the area (a required one, if asked) came to a verdict or could not be evaluated:
    /// `error` counts as examined, since it blocks; `notapplicable` and `notchecked` do not.
    func wasEvaluated(_ area: Area, requiredOnly: Bool) -> Bool {
        results.contains { result in
            guard let facets = registry[result.id]?.description.facets, !facets.isDisjoint(with: area.facets),
                  !requiredOnly || result.severity == .required
            else { return false }
            return ![.notapplicable, .notchecked].contains(result.outcome)
        }
    }

    func location(of area: Area) -> String? {
        switch area {
        case .fileCertificate: environment.pfxFile?.path
        case .windowsSide:
            environment.winePrefix.map { "Wine prefix \($0.path)" }
                ?? environment.registryFiles.map(\.lastPathComponent).joined(separator: ", ")
        case .token, .host: nil
        }
    }

    /// "the file certificate F000504Y0007", "the token", or both.
    /// The gateway number: given, or the subject CN of a certificate the checks looked at.
    var gateway: String? {
        environment.gateway ?? results.flatMap(\.certificates).map(\.subjectCommonName).first { !$0.isEmpty }
    }

    func subject(_ areas: [Area]) -> Localized {
        let named = areas.map { area -> Localized in
            let number = gateway.map { " " + $0 } ?? ""
            switch area {
            case .fileCertificate: return Localized(zh: "文件证书\(number)", en: "the file certificate\(number)")
            default: return Localized(zh: "USB Key 中的证书", en: "the certificate on the token")
            }
        }
        return Localized(zh: named.map(\.zh).joined(separator: "和"), en: named.map(\.en).joined(separator: " and "))
    }
}
