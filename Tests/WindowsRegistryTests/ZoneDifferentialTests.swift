import Foundation
import Testing
@testable import WindowsRegistry
import TestSupport

/// Checks the Wine rule set of `InternetZoneSettings` against Wine's own urlmon: random zone
/// maps and URL-action values are imported into the shared test prefix with `reg import`, a
/// mingw-built probe asks MapUrlToZone / ProcessUrlAction / GetZoneActionPolicy, and the Swift
/// answer for the same `.reg` applied to the prefix's template hives must agree.
/// Seed: `CERTDOCTOR_ZONE_SEED` (decimal), else a fixed one; it is printed with every failure.
@Suite(.serialized)
struct ZoneDifferentialTests {
    static let settings = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
    static let configurationCount = 120
    /// The 64-bit Wine loader (Debian keeps it off PATH).
    static let wine64Loader = FileManager.default.isExecutableFile(atPath: "/usr/lib/wine/wine64") ? "/usr/lib/wine/wine64" : "wine64"
    /// Every this many configurations also run the 64-bit probe against `bitness: .native64`.
    static let nativeProbeInterval = 10

    /// Where a setting goes: HKCU, the 64-bit HKLM view, or the 32-bit one (Wow6432Node, written
    /// explicitly because the 64-bit reg.exe imports the file).
    enum Place: CaseIterable {
        case user, machine64, machine32

        var keyPrefix: String {
            switch self {
            case .user: "HKEY_CURRENT_USER\\" + ZoneDifferentialTests.settings
            case .machine64: "HKEY_LOCAL_MACHINE\\" + ZoneDifferentialTests.settings
            case .machine32: "HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
            }
        }
    }

    static let urls = [
        "https://biz.sscc.com/", "http://biz.sscc.com", "https://www.sscc.com", "https://biz.sscc.com.evil.cn",
        "https://ab.biz.sscc.com", "https://a.biz.sscc.com", "https://www.biz.sscc.com",
    ]
    /// 1203 and 1401 are the actions Wine hard-wires; the others are the SSCC guide's.
    static let actions: [UInt32] = [0x1004, 0x1200, 0x1201, 0x1203, 0x1401, 0x1803, 0x2200, 0x2201]

    static let domainNames = [
        "sscc.com", "SSCC.COM", "biz.sscc.com", "Biz.Sscc.Com", "*.sscc.com", "www.sscc.com", "com", "evil.cn",
        "sscc.com.evil.cn", "ab.biz.sscc.com",
    ]
    static let subkeyNames: [String?] = [nil, nil, nil, "biz", "BIZ", "*", "*.biz", "www", "*.sscc", "ab.biz", "a"]
    static let schemeNames = ["https", "https", "http", "*", "*", "HTTPS", "ftp"]

    // MARK: Configurations

    struct DomainEntry {
        var place: Place
        var key: String
        var scheme: String
        var zone: UInt32
    }

    /// Zone maps every run checks before the random ones: the cases the reference notes name.
    static let fixedDomainMaps: [[DomainEntry]] = [
        [DomainEntry(place: .user, key: "sscc.com\\*", scheme: "https", zone: 2)],
        [DomainEntry(place: .user, key: "sscc.com", scheme: "https", zone: 2), DomainEntry(place: .user, key: "sscc.com\\biz", scheme: "http", zone: 2)],
        [DomainEntry(place: .user, key: "biz.sscc.com", scheme: "https", zone: 2), DomainEntry(place: .user, key: "sscc.com\\biz", scheme: "https", zone: 1)],
        [DomainEntry(place: .machine64, key: "sscc.com\\biz", scheme: "https", zone: 2)],
        [DomainEntry(place: .machine32, key: "sscc.com\\biz", scheme: "https", zone: 2), DomainEntry(place: .user, key: "sscc.com\\*.biz", scheme: "*", zone: 4)],
        [DomainEntry(place: .machine32, key: "*.sscc.com\\a", scheme: "*", zone: 4), DomainEntry(place: .user, key: "*.sscc.com", scheme: "https", zone: 1)],
        [DomainEntry(place: .user, key: "biz.sscc.com", scheme: "*", zone: 2), DomainEntry(place: .machine32, key: "www.sscc.com", scheme: "*", zone: 1)],
    ]

    /// A `.reg` that first resets everything the configurations touch (so the prefix's state
    /// never depends on earlier configurations), then sets this configuration.
    static func configuration(_ random: inout SplitMix64, template: RegistrySnapshot, domains fixedDomains: [DomainEntry]? = nil) throws -> RegFile {
        var sections: [RegFileSection] = []
        var entries: [String: [RegFileOperation]] = [:]
        var order: [String] = []
        func add(_ path: String, _ operation: RegFileOperation) {
            if entries[path] == nil { order.append(path) }
            entries[path, default: []].append(operation)
        }
        for place in Place.allCases {
            let domains = try RegistryPath(parsing: place.keyPrefix + "\\ZoneMap\\Domains")
            sections.append(RegFileSection(path: domains, deletesKey: true))
            sections.append(RegFileSection(path: domains))
        }
        if let fixedDomains {
            for entry in fixedDomains {
                add(entry.place.keyPrefix + "\\ZoneMap\\Domains\\" + entry.key, .set(RegistryValue(name: entry.scheme, dword: entry.zone)))
            }
        } else {
            for _ in 0..<(1 + random.below(4)) {
                var path = random.pick([Place.user, .user, .machine32, .machine32, .machine64]).keyPrefix
                    + "\\ZoneMap\\Domains\\" + random.pick(domainNames)
                if let subkey = random.pick(subkeyNames) { path += "\\" + subkey }
                let zone = UInt32(random.pick([2, 2, 2, 1, 3, 4, 0]))
                let scheme = random.pick(schemeNames)
                add(path, .set(random.percent(15) ? binary(zone, count: 4, name: scheme) : RegistryValue(name: scheme, dword: zone)))
            }
        }
        for place in Place.allCases {
            let defaultsPath = place.keyPrefix + "\\ZoneMap\\ProtocolDefaults"
            let original = template.key(at: try RegistryPath(parsing: defaultsPath))
            for scheme in ["http", "https"] {
                switch random.below(100) {
                case 0..<10: add(defaultsPath, .set(RegistryValue(name: scheme, dword: UInt32(1 + random.below(4)))))
                case 10..<15: add(defaultsPath, .set(binary(UInt32(1 + random.below(4)), count: 4, name: scheme)))
                case 15..<22: add(defaultsPath, .delete(valueName: scheme))
                default:
                    if let value = original?.value(named: scheme) { add(defaultsPath, .set(value)) } else { add(defaultsPath, .delete(valueName: scheme)) }
                }
            }
        }
        for place in Place.allCases {
            for zone in [2, 3] {
                let zonePath = place.keyPrefix + "\\Zones\\\(zone)"
                for action in actions {
                    let name = InternetZoneSettings.valueName(ofAction: action)
                    let policy = UInt32(random.pick([0, 0, 1, 3]))
                    switch random.below(100) {
                    case 0..<40: add(zonePath, .delete(valueName: name))
                    case 40..<82: add(zonePath, .set(RegistryValue(name: name, dword: policy)))
                    case 82..<94: add(zonePath, .set(binary(policy, count: 4, name: name)))
                    default: add(zonePath, .set(binary(policy, count: 5, name: name)))
                    }
                }
            }
        }
        for path in order {
            sections.append(RegFileSection(path: try RegistryPath(parsing: path), operations: entries[path] ?? []))
        }
        return RegFile(format: .version5, sections: sections)
    }

    static func binary(_ number: UInt32, count: Int, name: String) -> RegistryValue {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 < 4 ? number >> (8 * UInt32($0)) : 0) }
        return RegistryValue(name: name, type: .binary, data: bytes)
    }

    // MARK: Probe output

    struct Answer: CustomStringConvertible {
        var result: UInt32
        var policy: UInt32
        var description: String { String(format: "hr=%08x policy=%08x", result, policy) }
    }

    struct Observation {
        var zone: Answer? = nil
        var actions: [UInt32: Answer] = [:]
        var zonePolicies: [UInt32: Answer] = [:]
        var lines: [String] = []
    }

    static func parse(_ text: String) -> [String: Observation] {
        var observations: [String: Observation] = [:]
        var current: String? = nil
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            guard let kind = fields.first else { continue }
            if kind == "url", fields.count >= 2 {
                current = fields[1]
                observations[fields[1]] = Observation()
                continue
            }
            guard let url = current else { continue }
            observations[url]?.lines.append(String(line))
            func hex(_ text: String) -> UInt32 { UInt32(text, radix: 16) ?? .max }
            switch kind {
            case "zone" where fields.count == 3:
                observations[url]?.zone = Answer(result: hex(fields[1]), policy: UInt32(fields[2]) ?? .max)
            case "action" where fields.count == 4:
                observations[url]?.actions[hex(fields[1])] = Answer(result: hex(fields[2]), policy: hex(fields[3]))
            case "zonepolicy" where fields.count == 4:
                observations[url]?.zonePolicies[hex(fields[1])] = Answer(result: hex(fields[2]), policy: hex(fields[3]))
            default: break
            }
        }
        return observations
    }

    static let sOK: UInt32 = 0, sFalse: UInt32 = 1, eFail: UInt32 = 0x8000_4005

    /// The disagreements between Wine's answers for one URL and the rule set's.
    static func compare(url: String, observed: Observation?, rules: InternetZoneSettings) -> [String] {
        guard let observed, let zoneAnswer = observed.zone else { return ["\(url): no answer from the probe"] }
        var problems: [String] = []
        let expected = rules.zone(for: url)
        if zoneAnswer.result != sOK || zoneAnswer.policy != UInt32(expected.value.rawValue) {
            problems.append("\(url): Wine zone \(zoneAnswer.policy) (hr \(String(zoneAnswer.result, radix: 16))), Swift \(expected.value.rawValue) from \(expected.source)")
        }
        for action in actions {
            let name = InternetZoneSettings.valueName(ofAction: action)
            let setting = rules.urlAction(action, zone: expected.value)
            let swiftText = setting.map { "\($0.value) (\(String($0.value.rawValue, radix: 16))) from \($0.source)" } ?? "unset in HKCU and HKLM"
            if let answer = observed.actions[action] {
                let agrees: Bool
                if let setting {
                    let result: UInt32 = switch setting.value.wineProcessUrlActionResult {
                    case .allowed: sOK
                    case .disallowed: sFalse
                    case .failedNotImplemented: eFail
                    }
                    agrees = answer.result == result && answer.policy == setting.value.rawValue
                } else {
                    agrees = answer.result & 0x8000_0000 != 0
                }
                if !agrees { problems.append("\(url): ProcessUrlAction \(name): Wine \(answer), Swift \(swiftText)") }
            } else {
                problems.append("\(url): ProcessUrlAction \(name): no answer")
            }
            if let answer = observed.zonePolicies[action] {
                let agrees = setting.map { answer.result == sOK && answer.policy == $0.value.rawValue } ?? (answer.result & 0x8000_0000 != 0)
                if !agrees { problems.append("\(url): GetZoneActionPolicy \(name): Wine \(answer), Swift \(swiftText)") }
            } else {
                problems.append("\(url): GetZoneActionPolicy \(name): no answer")
            }
        }
        return problems
    }

    // MARK: The test

    @Test func wineRuleSetAgreesWithWinesURLMon() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("Wine is not installed (/usr/bin/wine); the zone rules cannot be checked against it")
            return
        }
        let started = ContinuousClock.now
        let seed = ProcessInfo.processInfo.environment["CERTDOCTOR_ZONE_SEED"].flatMap { UInt64($0) } ?? 0x5CC_2026
        let probes = try buildProbes()
        defer { try? FileManager.default.removeItem(at: probes.directory) }
        guard let probe32 = probes.thirtyTwo, let probe64 = probes.sixtyFour else {
            Issue.record("cannot build the zone probe with mingw-w64 (i686 and x86_64): \(probes.log)")
            return
        }
        _ = try WineTestPrefix.registry.prepare()
        let template = try WinePrefix(directory: WineTestPrefix.registry.template).load().snapshot
        // A persistent server keeps each `wine` start near 0.06 s instead of 0.6 s plus a 2 s shutdown.
        let server = try WineRun.run(["wineserver", "-p"])
        #expect(server.status == 0, "wineserver -p: \(server.stderr)")
        defer { WineRun.stopServer() }

        let smoke = try WineRun.run(["wine", probe32, "https://biz.sscc.com/"])
        guard smoke.status == 0, smoke.stdout.contains("zone 00000000 ") else {
            Issue.record("""
                32-bit Wine cannot run the i686 zone probe (is wine32:i386 installed?): status \(smoke.status)
                stdout: \(smoke.stdout)
                stderr: \(smoke.stderr)
                """)
            return
        }

        var random = SplitMix64(seed: seed)
        let importFile = WineTestPrefix.registry.directory.appendingPathComponent("zones-\(getpid()).reg")
        defer { try? FileManager.default.removeItem(at: importFile) }
        var disagreeing = 0
        var nativeRuns = 0
        for index in 0..<Self.configurationCount {
            // The fixed maps come first; their action and ProtocolDefaults values are still random.
            let fixed = index < Self.fixedDomainMaps.count ? Self.fixedDomainMaps[index] : nil
            let file = try Self.configuration(&random, template: template, domains: fixed)
            let bytes = try RegFileCodec.encode(file)
            try Data(bytes).write(to: importFile)
            // Debian's `wine` starts the 32-bit loader once wine32 is installed, so a plain `wine reg` is
            // the 32-bit reg.exe, whose HKLM\Software writes land in Wow6432Node; and Wine 8's
            // `reg import /reg:64` still deletes `[-key]` sections in the 32-bit view. The 64-bit loader
            // runs the 64-bit reg.exe, which writes the paths as named.
            let importArguments = [Self.wine64Loader, "reg", "import", "Z:" + importFile.path.replacingOccurrences(of: "/", with: "\\")]
            var imported = try WineRun.run(importArguments)
            // Seen once on a loaded machine: reg.exe failed with no message; a second import settles it.
            if imported.status != 0 { imported = try WineRun.run(importArguments) }
            let regText = String(decoding: RegistryValue.utf16Units(Array(bytes.dropFirst(2))), as: UTF16.self)
            guard imported.status == 0 else {
                Issue.record("seed \(seed) configuration \(index): reg import failed twice (\(imported.status)): \(imported.stdout) \(imported.stderr)\n\(regText)")
                disagreeing += 1
                continue
            }
            var expected = template
            expected.apply(file)
            var runs: [(label: String, probe: String, bitness: RegistryBitness)] = [("32-bit", probe32, .wow32)]
            if index % Self.nativeProbeInterval == 0 {
                runs.append(("64-bit", probe64, .native64))
                nativeRuns += 1
            }
            for run in runs {
                var arguments = ["wine", run.probe]
                for (offset, url) in Self.urls.enumerated() {
                    if offset > 0 { arguments.append("--") }
                    arguments.append(url)
                    arguments += Self.actions.map { InternetZoneSettings.valueName(ofAction: $0) }
                }
                let output = try WineRun.run(arguments)
                let observations = Self.parse(output.stdout)
                let rules = InternetZoneSettings(snapshot: expected, platform: .wine, bitness: run.bitness)
                let problems = Self.urls.flatMap { Self.compare(url: $0, observed: observations[$0], rules: rules) }
                guard !problems.isEmpty else { continue }
                disagreeing += 1
                Issue.record("""
                    seed \(seed) configuration \(index) (\(run.label) probe, bitness \(run.bitness)): Wine and the Wine rule set disagree
                    \(problems.joined(separator: "\n"))
                    --- .reg imported:
                    \(regText)
                    --- Wine's answers:
                    \(output.stdout)
                    """)
            }
        }
        let elapsed = ContinuousClock.now - started
        print("ZoneDifferentialTests: seed \(seed), \(Self.configurationCount) configurations (\(nativeRuns) also 64-bit), \(disagreeing) disagreeing, \(elapsed)")
    }

    /// Builds zoneprobe32.exe and zoneprobe64.exe with the repository's build script.
    func buildProbes() throws -> (thirtyTwo: String?, sixtyFour: String?, log: String, directory: URL) {
        let directory = WineTestPrefix.registry.directory.appendingPathComponent("zoneprobe-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = RepositoryPaths.repository.appendingPathComponent("Tools/win32/build.sh").path
        let result = try WineTestPrefix.registry.run(["sh", script, "zoneprobe", directory.path])
        let log = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        let thirtyTwo = directory.appendingPathComponent("zoneprobe32.exe").path
        let sixtyFour = directory.appendingPathComponent("zoneprobe64.exe").path
        let manager = FileManager.default
        return (result.status == 0 && manager.fileExists(atPath: thirtyTwo) ? thirtyTwo : nil,
                result.status == 0 && manager.fileExists(atPath: sixtyFour) ? sixtyFour : nil, log, directory)
    }
}

/// Runs Wine commands with every descriptor above stderr closed. Foundation's `Process` learns
/// that a child ended when a socket it passes down is closed, and the persistent wineserver and
/// the services Wine starts inherit it and outlive their parent, so `waitUntilExit` would wait
/// for them; `posix_spawn` with the extra descriptors closed and `waitpid` does not.
enum WineRun {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Output files of this process's spawns are named with this marker.
    static var marker: String { "spawn-\(getpid())-" }

    /// Stops the prefix's server. Now and then some of the services Wine started (services.exe,
    /// winedevice, plugplay, rpcss) lose the server during `wineserver -k` without exiting and
    /// then block on their pipes for good; they are found by the output file they inherited
    /// from one of this process's spawns and killed, so no run leaves processes behind.
    static func stopServer() {
        _ = try? run(["wineserver", "-k"])
        _ = try? run(["wineserver", "-w"])
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes.compactMap(Int32.init) where pid != getpid() {
            guard let errorFile = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2"),
                  errorFile.contains(WineTestPrefix.registry.directory.path + "/" + marker) else { continue }
            kill(pid, SIGKILL)
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = WineTestPrefix.registry.wineEnvironment) throws -> Result {
        let base = WineTestPrefix.registry.directory.appendingPathComponent(marker + UUID().uuidString)
        let outPath = base.path + ".out", errPath = base.path + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 && fcntl(descriptor, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let argv = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS; a signal shows as 128 + its number.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Result(status: exitStatus, stdout: read(outPath), stderr: read(errPath))
    }
}
