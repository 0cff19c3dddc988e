import CertDoctorCore
import Foundation
import Synchronization

/// Finds, reads and validates a profile, so that a broken profile stops the run at start with a clear message.
public enum ProfileLoader {
    public enum Failure: LocalizedError, LocalizedMessage, Sendable {
        case notFound(String, searched: [String])
        case malformed(path: String, detail: String)
        case invalid(path: String, field: String, problem: String)

        public var localizedMessage: Localized {
            switch self {
            case .notFound(let name, let searched):
                Localized(
                    zh: "找不到配置文件“\(name)”（查找过：\(searched.joined(separator: ", "))）",
                    en: "profile '\(name)' not found (looked in: \(searched.joined(separator: ", ")))")
            case .malformed(let path, let detail):
                Localized(zh: "\(path)：配置文件格式错误：\(detail)", en: "\(path): malformed profile: \(detail)")
            case .invalid(let path, let field, let problem):
                Localized(zh: "\(path)：字段 \(field) 无效：\(problem)", en: "\(path): field \(field) is invalid: \(problem)")
            }
        }

        public var errorDescription: String? { localizedMessage.en }
        public var chineseDescription: String { localizedMessage.zh }

        public var ending: CommandEnding {
            if case .notFound = self { return .noInput }
            return .dataError
        }
    }

    /// A name (`sscc`) is looked up in `Checks/profiles/`; anything with a `/` or `.json` is a file path.
    public static func load(_ nameOrPath: String, dataDirectory: DataDirectory) throws(Failure) -> (SSCCProfile, URL) {
        let url = location(of: nameOrPath, in: dataDirectory)
        let early = prefetched.withLock { slot -> Loading? in
            guard let taken = slot, taken.url == url else { return nil }
            slot = nil
            return taken.load
        }
        if let early { return try early.value.get() }
        return try load(url, named: nameOrPath)
    }

    /// Begins loading a profile on another core: the first `load` of the same file takes what this found (the
    /// profile, or the error it would have met itself); a later one reads the file again. A command that will
    /// read the default profile starts it before its arguments are parsed, which is most of what it does
    /// meanwhile; arguments naming another profile leave it unused, and loads of other files leave it alone. One
    /// at a time: a later prefetch replaces one not taken. The handle waits for the load to end, for a caller that
    /// must know it has.
    @discardableResult
    public static func prefetch(_ nameOrPath: String, dataDirectory: DataDirectory) -> Prefetch {
        let url = location(of: nameOrPath, in: dataDirectory)
        let load = BackgroundValue { Result { () throws(Failure) in try Self.load(url, named: nameOrPath) } }
        prefetched.withLock { $0 = (url, load) }
        return Prefetch(load: load)
    }

    public struct Prefetch: Sendable {
        fileprivate let load: Loading

        public func wait() {
            _ = load.value
        }
    }

    /// A load begun on another thread: the profile and where it was, or why not.
    fileprivate typealias Loading = BackgroundValue<Result<(SSCCProfile, URL), Failure>>

    private static let prefetched = Mutex<(url: URL, load: Loading)?>(nil)

    private static func location(of nameOrPath: String, in dataDirectory: DataDirectory) -> URL {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".json") {
            return URL(fileURLWithPath: nameOrPath)
        }
        return dataDirectory.profiles.appendingPathComponent(nameOrPath + ".json")
    }

    private static func load(_ url: URL, named nameOrPath: String) throws(Failure) -> (SSCCProfile, URL) {
        PatternCache.prepareEngine()
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .notFound(nameOrPath, searched: [url.path])
        }
        let profile = try decode(data, path: url.path)
        try validate(profile, path: url.path)
        return (profile, url)
    }

    static func decode(_ data: Data, path: String) throws(Failure) -> SSCCProfile {
        do {
            return try JSONDecoder().decode(SSCCProfile.self, from: data)
        } catch {
            // JSONSerialization places a syntax error; the decoder names the missing or mistyped field. Asked
            // only when decoding failed: parsing a good profile twice cost as much as decoding it.
            try placeSyntaxError(in: data, path: path)
            throw fieldError(error, path: path)
        }
    }

    static func placeSyntaxError(in data: Data, path: String) throws(Failure) {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            let place = lineAndColumn(of: detail, in: data).map { "line \($0.line), column \($0.column): " } ?? ""
            throw .malformed(path: path, detail: place + detail)
        }
    }

    /// The field a decoding error is about, named as a path through the profile (`fileCertificate.passwordPattern`).
    static func fieldError(_ error: any Error, path: String) -> Failure {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            .invalid(path: path, field: fieldPath(context.codingPath + [key]), problem: "missing")
        case .typeMismatch(let type, let context)?:
            .invalid(path: path, field: fieldPath(context.codingPath), problem: "expected \(type)")
        case .valueNotFound(let type, let context)?:
            .invalid(path: path, field: fieldPath(context.codingPath), problem: "expected \(type), found null")
        case .dataCorrupted(let context)?:
            .invalid(path: path, field: fieldPath(context.codingPath), problem: context.debugDescription)
        default:
            .malformed(path: path, detail: "\(error)")
        }
    }

    /// Foundation names a syntax error's place as a character offset; people look for a line.
    static func lineAndColumn(of detail: String, in data: Data) -> (line: Int, column: Int)? {
        guard let range = detail.range(of: "character "),
              let offset = Int(detail[range.upperBound...].prefix { $0.isNumber })
        else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    static func fieldPath(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Compiled once: a regex literal in the loop compiled itself again for every requirement.
    nonisolated(unsafe) static let requirementID = #/[A-Z][0-9]+/#

    static func validate(_ profile: SSCCProfile, path: String) throws(Failure) {
        guard profile.schemaVersion == 1 else {
            throw .invalid(path: path, field: "schemaVersion", problem: "this certdoctor reads version 1")
        }
        for (field, pattern) in [
            ("gatewayNumber.pattern", profile.gatewayNumber.pattern),
            ("fileCertificate.passwordPattern", profile.fileCertificate.passwordPattern),
            ("enrolment.referencePattern", profile.enrolmentRules.referencePattern),
            ("enrolment.authorizationPattern", profile.enrolmentRules.authorizationPattern),
        ] where PatternCache.expression(pattern) == nil {
            throw .invalid(path: path, field: field, problem: "not a regular expression: \(pattern)")
        }
        for example in profile.gatewayNumber.examples where !profile.gatewayNumber.matches(example) {
            throw .invalid(path: path, field: "gatewayNumber.examples", problem: "\(example) does not match the pattern")
        }
        let expected = (1...9).map { "E\($0)" }
        let ids = profile.knownErrors.map(\.id)
        guard ids == expected else {
            throw .invalid(path: path, field: "knownErrors", problem: "expected \(expected.joined(separator: ",")), found \(ids.joined(separator: ","))")
        }
        for (index, error) in profile.knownErrors.enumerated() {
            for check in error.checks where !CheckDescription.isValidID(check) {
                throw .invalid(path: path, field: "knownErrors[\(index)].checks", problem: "invalid check id \(check)")
            }
        }
        let requirementIDs = profile.manualRequirements?.items.map(\.id) ?? []
        for id in requirementIDs where id.wholeMatch(of: requirementID) == nil {
            throw .invalid(path: path, field: "manualRequirements.items", problem: "not a requirement id: \(id)")
        }
        guard Set(requirementIDs).count == requirementIDs.count else {
            throw .invalid(path: path, field: "manualRequirements.items", problem: "an id is listed twice")
        }
        for (index, control) in profile.activeXControls.enumerated() where !CheckDescription.isValidID(control.check) {
            throw .invalid(path: path, field: "activeXControls[\(index)].check", problem: "invalid check id \(control.check)")
        }
        for (index, control) in profile.activeXControls.enumerated() where UUID(uuidString: String(control.clsid.dropFirst().dropLast())) == nil
        || !control.clsid.hasPrefix("{") || !control.clsid.hasSuffix("}") {
            throw .invalid(path: path, field: "activeXControls[\(index)].clsid", problem: "not a class id: \(control.clsid)")
        }
    }
}
