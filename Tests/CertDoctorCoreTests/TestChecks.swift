import CertDoctorCore
import Foundation

/// Small checks whose behaviour the tests choose: these exercise the runner, not any real environment.
struct ScriptedCheck: Check {
    enum Behaviour: Sendable {
        case finish(Outcome)
        case throwError
        case sleep(TimeInterval)
        case record(Recorder, Outcome)
    }

    let description: CheckDescription
    let behaviour: Behaviour

    init(_ id: String, dependencies: [String] = [], category: String = "test", severity: Severity = .required,
         facets: Set<Facet> = [.host], _ behaviour: Behaviour) {
        description = CheckDescription(
            id: id, title: Localized(verbatim: id), summary: Localized(verbatim: id), requirements: [],
            category: category, severity: severity, dependencies: dependencies, facets: facets)
        self.behaviour = behaviour
    }

    func evaluate(_ context: CheckContext) throws -> Finding {
        switch behaviour {
        case .finish(let outcome):
            return Finding(outcome, Localized(verbatim: "\(description.id) \(outcome)"))
        case .throwError:
            throw CoreError.cannotRead(path: "/nonexistent", reason: "scripted")
        case .sleep(let seconds):
            Thread.sleep(forTimeInterval: seconds)
            return Finding(.pass, Localized(verbatim: "woke"))
        case .record(let recorder, let outcome):
            recorder.enter()
            Thread.sleep(forTimeInterval: 0.2)
            recorder.leave()
            return Finding(outcome, Localized(verbatim: "recorded"))
        }
    }
}

/// Counts how many checks run at the same moment.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var highest = 0

    func enter() {
        lock.withLock {
            current += 1
            highest = max(highest, current)
        }
    }

    func leave() {
        lock.withLock { current -= 1 }
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-test-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

extension Facet {
    /// A target facet as an outer module defines one: present when the test attached a file to the run.
    static let testFile = Facet(id: "test-file", missingReason: Localized(zh: "未指定文件（--file）", en: "no file given (--file)")) {
        $0[TestFileKey.self] != nil
    }
}

enum TestFileKey: EnvironmentKey {
    static let defaultValue: String? = nil
    static let pluginVariableNames = ["CERTDOCTOR_TEST_FILE"]
    static func pluginVariables(for value: String?) -> [String: String] {
        value.map { ["CERTDOCTOR_TEST_FILE": $0] } ?? [:]
    }
}
