import ArgumentParser
import CertDoctorCore
import Doctor
import Foundation
import SSCCProfile

/// Values the shell completions offer that only this installation knows: asked of certdoctor itself when the
/// person presses Tab, so that plugin and manifest checks are offered too and no list goes stale.
/// Failures give no candidates: a completion must never print an error into someone's command line.
enum SelectorCompletion {
    static let kind = CompletionKind.custom { words, _, prefix in candidates(words: words, prefix: prefix) }

    /// Check ids and categories for `--only`/`--skip`; after a comma the last item is completed, keeping the
    /// ones before it (`cert.validity,brow` → `cert.validity,browser`).
    static func candidates(words: [String], prefix: String) -> [String] {
        let head = prefix.lastIndex(of: ",").map { String(prefix[...$0]) } ?? ""
        let selectors = Set(CompletionDoctor.load(words: words)?.registry.selectors ?? [])
        return selectors.sorted().map { head + $0 }.filter { $0.hasPrefix(prefix) }
    }
}

/// Portal error ids and check ids for `explain`.
enum ExplainCompletion {
    static let kind = CompletionKind.custom { words, _, prefix in
        guard let doctor = CompletionDoctor.load(words: words) else { return [] }
        return (doctor.profile.knownErrors.map(\.id) + doctor.registry.ids).filter { $0.hasPrefix(prefix) }
    }
}

/// The profile names in the data directory, for `--profile` (a file path is also accepted, and typed).
enum ProfileCompletion {
    static let kind = CompletionKind.custom { _, _, prefix in
        guard let data = try? DataDirectory.locate(),
              let files = try? FileManager.default.contentsOfDirectory(atPath: data.profiles.path)
        else { return [] }
        // The token database lives beside the profiles but is not one.
        let names = files.filter { $0.hasSuffix(".json") && !$0.hasSuffix("-tokens.json") }.map { String($0.dropLast(5)) }
        return names.sorted().filter { $0.hasPrefix(prefix) }
    }
}

/// The doctor as the command being completed would build it: its `--profile` and `--plugins` are honoured.
enum CompletionDoctor {
    static func load(words: [String]) -> Doctor? {
        func values(of option: String) -> [String] {
            words.indices.dropLast().filter { words[$0] == option }.map { words[$0 + 1] }
        }
        let plugins = values(of: "--plugins").map { URL(fileURLWithPath: $0) } + Doctor.pluginDirectories()
        guard let data = try? DataDirectory.locate() else { return nil }
        return try? Doctor(profile: values(of: "--profile").last ?? ProfileOption.defaultName, dataDirectory: data, pluginDirectories: plugins, pluginTimeout: 2)
    }
}
