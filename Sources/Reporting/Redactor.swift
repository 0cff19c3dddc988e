import CertDoctorCore
import Foundation

/// Makes a report safe to hand out: secrets are always removed; user names, home directories,
/// host names, e-mail addresses and certificate serial numbers become placeholders unless
/// redaction is off. The same value always gets the same placeholder within one report, so
/// support staff can still follow a user or a certificate through it.
struct Redactor {
    let redact: Bool
    /// Known secret values, longest first so that one secret containing another goes whole.
    let secrets: [String]
    private var placeholders: [Category: [String: String]] = [:]
    /// Values learnt from typed evidence and paths before any free text is touched.
    private var knownValues: [(value: String, category: Category)] = []

    enum Category: String, CaseIterable {
        case user, host, email, serial
    }

    static let mask = "******"
    static let removedKey = "[private key removed]"

    init(_ options: ReportOptions) {
        self.init(redact: options.redact, secrets: options.secrets.map { $0.reveal() })
    }

    init(redact: Bool, secrets: [String]) {
        self.redact = redact
        // Very short values (a 1-digit "PIN" in a test) would shred ordinary text; real
        // passwords and codes are 4+ characters (R14: 6 digits, codes up to 22).
        self.secrets = Set(secrets.filter { $0.count >= 3 }).sorted { $0.count > $1.count }
    }

    var placeholderCount: Int { placeholders.values.reduce(0) { $0 + $1.count } }

    mutating func prepare(_ original: RunReport) -> RunReport {
        var report = original
        if redact { learn(from: report) }
        report.profile = clean(report.profile)
        report.host.operatingSystem = clean(report.host.operatingSystem)
        report.host.kernel = clean(report.host.kernel)
        report.host.hostName = redact && !report.host.hostName.isEmpty
            ? placeholder(.host, report.host.hostName) : clean(report.host.hostName)
        report.host.versions = report.host.versions.mapValues { clean($0) }
        report.targets = report.targets.map { RunReport.Target(kind: $0.kind, location: clean($0.location)) }
        for index in report.scope.examined.indices {
            report.scope.examined[index].location = report.scope.examined[index].location.map { clean($0) }
        }
        report.scope.subject = report.scope.subject.map { clean($0) }
        report.scope.subjectName = report.scope.subjectName.map { clean($0) }
        report.commandLine = report.commandLine.map { clean($0) }
        report.results = report.results.map { prepare($0) }
        report.fixes = report.fixes.map { fix in
            var fix = fix
            fix.summary = clean(fix.summary)
            fix.changes = fix.changes.map { change in
                RunReport.Change(clean(change.description), before: change.before.map { clean($0) }, after: change.after.map { clean($0) })
            }
            fix.journalEntry = fix.journalEntry.map { clean($0) }
            fix.error = fix.error.map { clean($0) }
            return fix
        }
        report.procedure = report.procedure.map { step in
            var step = step
            step.detail = clean(step.detail)
            step.outcome = clean(step.outcome)
            return step
        }
        return report
    }

    private mutating func prepare(_ original: CheckResult) -> CheckResult {
        var result = original
        result.title = clean(result.title)
        result.message = clean(result.message)
        result.remedy = result.remedy.map { clean($0) }
        result.evidence = result.evidence.map { evidence in
            if Self.namesASecret(evidence.name) {
                return Evidence(evidence.name, Self.mask, kind: evidence.kind)
            }
            guard redact else { return Evidence(evidence.name, clean(evidence.value), kind: evidence.kind) }
            let value: String
            switch evidence.kind {
            case .userName: value = placeholder(.user, evidence.value)
            case .hostName: value = placeholder(.host, evidence.value)
            case .email: value = placeholder(.email, evidence.value)
            case .serialNumber: value = placeholder(.serial, evidence.value)
            case .path, .text: value = clean(evidence.value)
            }
            return Evidence(evidence.name, value, kind: evidence.kind)
        }
        result.certificates = result.certificates.map { certificate in
            var certificate = certificate
            certificate.subjectCommonName = clean(certificate.subjectCommonName)
            certificate.issuerCommonName = clean(certificate.issuerCommonName)
            certificate.serialNumber = redact ? placeholder(.serial, certificate.serialNumber) : certificate.serialNumber
            certificate.filePath = clean(certificate.filePath)
            return certificate
        }
        return result
    }

    // MARK: - Learning what to redact

    private mutating func learn(from report: RunReport) {
        var found: [(String, Category)] = []
        if !report.host.hostName.isEmpty { found.append((report.host.hostName, .host)) }
        var paths = report.targets.map(\.location) + (report.commandLine.map { [$0] } ?? [])
        for result in report.results {
            for evidence in result.evidence {
                switch evidence.kind {
                case .userName: found.append((evidence.value, .user))
                case .hostName: found.append((evidence.value, .host))
                case .email: found.append((evidence.value, .email))
                case .serialNumber: found.append((evidence.value, .serial))
                case .path, .text: paths.append(evidence.value)
                }
            }
            for certificate in result.certificates {
                found.append((certificate.serialNumber, .serial))
                paths.append(certificate.filePath)
            }
        }
        for path in paths {
            found += Self.userNames(inPath: path).map { ($0, .user) }
        }
        for (value, category) in found {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard trimmed.count >= 3, !Self.notPersonal.contains(trimmed.lowercased()) else { continue }
            _ = placeholder(category, trimmed)
            knownValues.append((trimmed, category))
            if category == .serial {
                // Serials are written in several spellings: 0A1B…, 0a1b…, 0A:1B:….
                knownValues.append((trimmed.uppercased(), category))
                knownValues.append((trimmed.lowercased(), category))
            }
        }
        knownValues.sort { $0.value.count > $1.value.count }
    }

    /// Account names that identify nobody.
    static let notPersonal: Set<String> = ["root", "public", "default", "all users", "default user", "nobody", "wine"]

    /// Users whose home directory a path names: `/home/alice/…`, `C:\Users\alice\…` (also
    /// with the doubled backslashes of a `.reg` file), `…/drive_c/users/alice/…` (Wine).
    static func userNames(inPath path: String) -> [String] {
        mayNameAHomeDirectory(SearchedText(path)) ? path.matches(of: homeDirectory).map { String($0.output.2) } : []
    }

    /// Whether `homeDirectory` can match at all: each of its forms holds one of these.
    static func mayNameAHomeDirectory(_ text: SearchedText) -> Bool {
        ["/home/", "Users", "users/"].contains { SubstringSearch.mayContain($0, in: text) }
    }

    nonisolated(unsafe) static let homeDirectory = #/(/home/|/Users/|[A-Za-z]:\\{1,2}Users\\{1,2}|drive_c/users/)([^/\\\s"'<>:;,]+)/#
    nonisolated(unsafe) static let emailAddress = #/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/#
    nonisolated(unsafe) static let privateKeyBlock =
        #/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/#
    nonisolated(unsafe) static let labelledSecret =
        #/(?i)(\b(?:password|passwd|passphrase|pin|pin code|authori[sz]ation code|auth code|reference code|secret)\b|密码|口令|授权码|参考号|参考码|PIN码)(\s*[:=：]\s*)([^\s,;，；]+)/#

    static let secretLabels = ["password", "passwd", "passphrase", "pin", "authori", "auth code", "reference code",
                               "secret", "密码", "口令", "授权码", "参考号", "参考码"]

    static func mayLabelASecret(_ text: String) -> Bool {
        mayLabelASecret(SearchedText(text))
    }

    static func mayLabelASecret(_ text: SearchedText) -> Bool {
        // In a canonically inert text lower-casing changes A–Z alone, so the labels (lower-case ASCII or
        // Chinese) are looked for ignoring ASCII case, without making the lower-cased copy.
        if text.isCanonicallyInert {
            return secretLabels.contains { text.occurs($0, ignoringASCIICase: true) }
        }
        let lower = text.text.lowercased()
        return secretLabels.contains { SubstringSearch.mayContain($0, in: lower) }
    }

    /// Evidence named like this holds a secret, whatever its value looks like.
    static func namesASecret(_ name: String) -> Bool {
        let lower = SearchedText(name.lowercased())
        return secretNameWords.contains { SubstringSearch.contains($0, in: lower) }
            || (SubstringSearch.contains("pin", in: lower) && lower.text.contains(#/\bpin\b/#))
    }

    static let secretNameWords = ["password", "passwd", "passphrase", "secret", "authorization", "authcode", "auth code",
                                  "reference code", "refcode", "private key", "privatekey", "密码", "口令", "授权码",
                                  "参考号", "参考码", "私钥"]

    // MARK: - Rewriting text

    private mutating func placeholder(_ category: Category, _ value: String) -> String {
        // Serials, host names and mail addresses are case-insensitive; user names are not.
        let key = category == .user ? value : value.lowercased()
        if let existing = placeholders[category]?[key] { return existing }
        let made = "<\(category.rawValue)-\((placeholders[category]?.count ?? 0) + 1)>"
        placeholders[category, default: [:]][key] = made
        return made
    }

    private mutating func clean(_ text: Localized) -> Localized {
        Localized(zh: clean(text.zh), en: clean(text.en))
    }

    /// Masks a secret where it stands as a word of its own. Inside a longer run of letters or digits (a serial,
    /// a thumbprint) it is left alone: masking it there would point at where the password appears in public data.
    static func maskingWholeWords(_ secret: String, in text: String) -> String {
        var result = ""
        var rest = text[...]
        while let range = rest.range(of: secret) {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : nil
            let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
            let standsAlone = !(before?.isLetter ?? false) && !(before?.isNumber ?? false)
                && !(after?.isLetter ?? false) && !(after?.isNumber ?? false)
            result += rest[..<range.lowerBound]
            result += standsAlone ? mask : String(rest[range])
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    mutating func clean(_ text: String) -> String {
        // Every question below is asked of the text as it stands; it is looked at again only when it changes.
        var text = text
        var searched = SearchedText(text)
        func update(_ changed: String) {
            text = changed
            searched = SearchedText(changed)
        }
        for secret in secrets where SubstringSearch.mayContain(secret, in: searched) {
            update(Self.maskingWholeWords(secret, in: text))
        }
        // Swift regexes are slow enough to dominate a 1,000-check report; cheap substring
        // tests decide first whether a pattern can match at all.
        if SubstringSearch.mayContain("PRIVATE KEY", in: searched) {
            update(text.replacing(Self.privateKeyBlock) { _ in Self.removedKey })
        }
        // `labelledSecret` also needs a separator after the label, which most texts naming a password lack.
        if Self.mayLabelASecret(searched), [":", "=", "："].contains(where: { SubstringSearch.mayContain($0, in: searched) }) {
            update(text.replacing(Self.labelledSecret) { match in "\(match.output.1)\(match.output.2)\(Self.mask)" })
        }
        guard redact else { return text }
        for (value, category) in knownValues where SubstringSearch.mayContain(value, in: searched) {
            update(text.replacingOccurrences(of: value, with: placeholder(category, value)))
        }
        if Self.mayNameAHomeDirectory(searched) {
            update(replacingHomeDirectories(in: text))
        }
        guard SubstringSearch.mayContain("@", in: searched) else { return text }
        var emails: [String] = []
        for match in text.matches(of: Self.emailAddress) where !emails.contains(String(match.output.0)) {
            emails.append(String(match.output.0))
        }
        for email in emails {
            text = text.replacingOccurrences(of: email, with: placeholder(.email, email))
        }
        return text
    }

    /// Home directories of users not seen in typed evidence (a path inside a message).
    private mutating func replacingHomeDirectories(in text: String) -> String {
        var result = ""
        var rest = text[...]
        while let match = rest.firstMatch(of: Self.homeDirectory) {
            result += rest[..<match.range.lowerBound]
            let name = String(match.output.2)
            let shown = name.hasPrefix("<") || Self.notPersonal.contains(name.lowercased())
                ? name : placeholder(.user, name)
            result += match.output.1 + shown
            rest = rest[match.range.upperBound...]
        }
        return result + rest
    }
}
