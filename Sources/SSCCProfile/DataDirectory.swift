import CertDoctorCore
import Foundation

/// Where certdoctor's data lives (`Checks/`, `Reports/`). In order: `$CERTDOCTOR_DATA_DIR` alone when it is set;
/// else the nearest directory above the executable or the working directory that holds `Checks/profiles` (a
/// checkout); else `<executable>/../share/certdoctor` (an installation under any prefix); else
/// `/usr/share/certdoctor` (the Debian package).
public struct DataDirectory: Sendable {
    public var root: URL

    public init(root: URL) {
        self.root = root
    }

    public var checks: URL { root.appendingPathComponent("Checks") }
    public var profiles: URL { checks.appendingPathComponent("profiles") }
    public var plugins: URL { checks.appendingPathComponent("plugins") }
    public var reports: URL { root.appendingPathComponent("Reports") }

    /// Nothing holds `Checks/profiles`: the message names every directory that was looked in, so that a broken
    /// installation or a moved executable can be told apart.
    public struct NotFound: Error, LocalizedError, LocalizedMessage, CommandEndingProviding, Sendable, Equatable {
        public var searched: [String]

        public init(searched: [String]) {
            self.searched = searched
        }

        public var localizedMessage: Localized {
            let places = searched.joined(separator: ", ")
            return Localized(
                zh: "找不到 certdoctor 的数据目录（含 Checks/profiles 的目录）；查找过：\(places)。可用环境变量 CERTDOCTOR_DATA_DIR 指定",
                en: "certdoctor's data directory (one holding Checks/profiles) not found; looked in: \(places). CERTDOCTOR_DATA_DIR names one")
        }

        public var errorDescription: String? { localizedMessage.en }
        public var ending: CommandEnding { .noInput }
    }

    /// The installed locations, relative to the executable first so that a copy under another prefix
    /// (`/usr/local/bin` → `/usr/local/share/certdoctor`) finds its own data before the package's.
    public static func installedCandidates(executable: URL, system: URL = systemDirectory) -> [URL] {
        let relative = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/certdoctor").standardizedFileURL
        return relative.path == system.path ? [system] : [relative, system]
    }

    /// Where the Debian package installs the data.
    public static let systemDirectory = URL(fileURLWithPath: "/usr/share/certdoctor")

    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: URL = CurrentExecutable.url,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        system: URL = systemDirectory
    ) throws(NotFound) -> DataDirectory {
        func holdsData(_ directory: URL) -> Bool {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("Checks/profiles").path)
        }
        // A directory the person named is the only answer: falling back elsewhere would hide their mistake.
        if let explicit = environment["CERTDOCTOR_DATA_DIR"], !explicit.isEmpty {
            let directory = URL(fileURLWithPath: explicit)
            guard holdsData(directory) else { throw NotFound(searched: ["CERTDOCTOR_DATA_DIR=\(explicit)"]) }
            return DataDirectory(root: directory)
        }
        var searched: [String] = []
        for start in [executable.deletingLastPathComponent(), workingDirectory] {
            var candidate = start.standardizedFileURL
            while candidate.path != "/" {
                if holdsData(candidate) { return DataDirectory(root: candidate) }
                searched.append(candidate.path)
                candidate.deleteLastPathComponent()
            }
        }
        for candidate in installedCandidates(executable: executable, system: system) {
            if holdsData(candidate) { return DataDirectory(root: candidate) }
            searched.append(candidate.path)
        }
        var unique = Set<String>()
        throw NotFound(searched: searched.filter { unique.insert($0).inserted })
    }
}

/// The running executable's own file, symbolic links resolved: `/proc/self/exe` when there is one, so that a
/// program started through `$PATH` (whose `argv[0]` is a bare name) still knows where it lives.
public enum CurrentExecutable {
    public static var url: URL {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: target)
        }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    }
}
