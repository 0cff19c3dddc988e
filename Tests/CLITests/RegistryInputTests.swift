import CertDoctorCore
import Foundation
import Testing

/// `check --registry` reads every file before any check runs and gives no verdict from a file it could not
/// parse: a broken export must never read as an empty registry ("the portal is in no zone list").
struct RegistryInputTests {
    static let header = "Windows Registry Editor Version 5.00\r\n\r\n"
    static let trustedKey = "[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\Domains\\sscc.com\\biz]\r\n"

    static func utf16(_ text: String, byteOrderMark: Bool = true) -> [UInt8] {
        (byteOrderMark ? [0xff, 0xfe] : []) + text.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
    }

    /// A Registry.pol header and one record `[key;value;type;size;data]` (UTF-16LE), cut at `keep` bytes.
    static func policyFile(signature: String = "PReg", keep: Int? = nil) -> [UInt8] {
        var bytes = Array(signature.utf8) + [1, 0, 0, 0]
        bytes += utf16("[Software\\Policies\\Microsoft\\Edge\0;InternetExplorerIntegrationLevel\0;", byteOrderMark: false)
        bytes += [4, 0, 0, 0] + utf16(";", byteOrderMark: false) + [4, 0, 0, 0] + utf16(";", byteOrderMark: false)
        bytes += [1, 0, 0, 0] + utf16("]", byteOrderMark: false)
        return keep.map { Array(bytes.prefix($0)) } ?? bytes
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        /// What the message must say besides the file name: where (line or byte offset) and what was expected.
        var expected: [String]
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "v5.reg", bytes: Array((header + trustedKey + "\"https\"=dword:00000002\r\n").utf8),
                  expected: [":1", "byte order mark"]),
        Malformed(name: "header.reg", bytes: utf16("Windows Registry Editor Version 4.00\r\n\r\n" + trustedKey),
                  expected: [":1", "Windows Registry Editor Version 5.00"]),
        Malformed(name: "continuation.reg", bytes: utf16(header + trustedKey + "\"x\"=hex:01,02,\\\r\n"),
                  expected: [":4", "continuation"]),
        Malformed(name: "odd.reg", bytes: utf16(header + trustedKey + "\"https\"=dword:00000002\r\n") + [0x41],
                  expected: ["even number of bytes"]),
        Malformed(name: "empty.reg", bytes: [], expected: ["Windows Registry Editor Version 5.00"]),
        Malformed(name: "random.reg", bytes: (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) },
                  expected: ["expected"]),
        Malformed(name: "Registry.pol", bytes: policyFile(signature: "PRef"), expected: ["PReg"]),
        Malformed(name: "truncated.pol", bytes: policyFile(keep: 40), expected: ["byte 8"]),
        Malformed(name: "empty.pol", bytes: [], expected: ["PReg"]),
    ]

    static func workspace() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-registry-input-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("Machine"), withIntermediateDirectories: true)
        return directory
    }

    @Test(arguments: malformed)
    func malformedInputStopsTheRunWithFileAndLine(_ input: Malformed) throws {
        let directory = try Self.workspace()
        // A Registry.pol under Machine/ has its scope; the truncated one as well.
        let file = directory.appendingPathComponent(input.name.hasSuffix(".pol") ? "Machine/" + input.name : input.name)
        try Data(input.bytes).write(to: file)
        for language in ["en", "zh"] {
            let run = try CLI.run(["check", "--registry", file.path, "--lang", language, "--no-discover"], in: directory)
            #expect(run.exitCode == 65, "\(input.name) \(language): \(run.output) \(run.errors)")
            #expect(run.errors.contains(file.path), "\(input.name): \(run.errors)")
            if language == "en" {
                for part in input.expected { #expect(run.errors.contains(part), "\(input.name): wanted '\(part)' in \(run.errors)") }
            } else {
                #expect(run.errors.unicodeScalars.contains { (0x4e00...0x9fff).contains($0.value) }, "\(input.name): \(run.errors)")
            }
            // No verdict from input that could not be read.
            #expect(!run.output.contains("browser.trusted-site"), "\(input.name): \(run.output)")
            #expect(!run.output.lowercased().contains("ready"), "\(input.name): \(run.output)")
        }
    }

    @Test(arguments: ["notes.txt", "collect.cmd"])
    func aKindItDoesNotReadIsRefusedWithTheKindsItReads(_ name: String) throws {
        let directory = try Self.workspace()
        let file = directory.appendingPathComponent(name)
        try Data("reg export HKCU\\Software x.reg\r\n".utf8).write(to: file)
        let run = try CLI.run(["check", "--registry", file.path, "--lang", "en", "--no-discover"], in: directory)
        #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
        #expect(run.errors.contains(file.path))
        for kind in [".reg", "Registry.pol", ".xml", "Preferences", ".zip"] { #expect(run.errors.contains(kind), "\(run.errors)") }
    }

    /// Outcome per check id of a JSON report.
    static func outcomes(_ run: CLI.Run) throws -> [String: String] {
        let results = try run.json()["results"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: results.compactMap { result in
            (result["id"] as? String).map { ($0, result["outcome"] as? String ?? "") }
        })
    }

    /// The collect-script zip is read as it came with the ticket, with the same verdicts as its unpacked files.
    @Test func theCollectedZipGivesTheVerdictsOfItsMembers() throws {
        let directory = try Self.workspace()
        let windows = CLI.fixtures.appendingPathComponent("windows")
        let members = [
            ("01.reg", windows.appendingPathComponent("trusted/https.reg")),
            // The Code Store says 2.0.4.6; the collected file's version resource says 2.0.4.8, and wins.
            ("02.reg", windows.appendingPathComponent("activex/certenroll-2046.reg")),
            ("{33BBBFD1-0A97-4339-9032-F68F19CB3030}.dll",
             windows.appendingPathComponent("activex/prefix-certenroll-2048/drive_c/windows/Downloaded Program Files/JITCertEnroll.dll")),
            ("03.reg", windows.appendingPathComponent("ie-mode/site-list/edge.reg")),
            ("sites.xml", windows.appendingPathComponent("ie-mode/site-list/sites.xml")),
            ("gpo/Machine/Registry.pol", windows.appendingPathComponent("gpo-zone-actions/Registry.pol")),
        ]
        let unpacked = directory.appendingPathComponent("unpacked")
        for (name, source) in members {
            let target = unpacked.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: target)
        }
        let zip = directory.appendingPathComponent("ticket-1234.zip")
        // Compress-Archive writes deflated members; Python's zipfile writes the same format.
        let zipper = try ChildProcess.run(
            "/usr/bin/python3",
            arguments: ["-c", "import sys, zipfile, os\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
                + "    for root, _, files in os.walk(sys.argv[2]):\n        for f in files:\n"
                + "            p = os.path.join(root, f); z.write(p, os.path.relpath(p, sys.argv[2]))",
                        zip.path, unpacked.path],
            environment: ProcessInfo.processInfo.environment, deadline: Date().addingTimeInterval(30))
        #expect(zipper.reason == .exited(0), "\(zipper.errorText)")
        let files = members.map { unpacked.appendingPathComponent($0.0).path }
        let fromFiles = try CLI.run(["check", "--no-discover", "--format", "json"] + files.flatMap { ["--registry", $0] }, in: directory)
        let fromZip = try CLI.run(["check", "--no-discover", "--format", "json", "--registry", zip.path], in: directory)
        #expect(fromZip.exitCode == fromFiles.exitCode, "\(fromZip.errors)")
        let expected = try Self.outcomes(fromFiles)
        #expect(!expected.isEmpty)
        #expect(try Self.outcomes(fromZip) == expected)
        #expect(expected["browser.trusted-site"] == "pass")
        #expect(expected["browser.ie-mode"] == "pass")
        #expect(expected["activex.certenroll"] == "pass")

        // A damaged zip is malformed input like any other.
        var bytes = try [UInt8](Data(contentsOf: zip))
        bytes.removeLast(bytes.count / 3)
        let damaged = directory.appendingPathComponent("damaged.zip")
        try Data(bytes).write(to: damaged)
        let run = try CLI.run(["check", "--no-discover", "--registry", damaged.path, "--lang", "en"], in: directory)
        #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
        #expect(run.errors.contains(damaged.path))
    }

    /// A site list saved as UTF-16 with its byte order mark (Notepad's "Unicode") is read, not refused.
    @Test func aUTF16SiteListIsRead() throws {
        let directory = try Self.workspace()
        let windows = CLI.fixtures.appendingPathComponent("windows/ie-mode/site-list")
        let text = try String(contentsOf: windows.appendingPathComponent("sites.xml"), encoding: .utf8)
            .replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"UTF-16\"")
        let sites = directory.appendingPathComponent("sites.xml")
        try Data(Self.utf16(text)).write(to: sites)
        let run = try CLI.run(
            ["check", "--no-discover", "--format", "json", "--registry", windows.appendingPathComponent("edge.reg").path, "--registry", sites.path],
            in: directory)
        #expect(try run.outcome(of: "browser.ie-mode") == "pass", "\(run.output) \(run.errors)")
    }

    /// Edge's Preferences that cannot be read (cut off, not UTF-8, nested 600 deep, or JSON whose members are not
    /// the objects Edge writes) stop the run as malformed input naming the file; none of them reads as "no IE-mode
    /// pages".
    @Test(arguments: ["truncated", "latin1", "deep", "top-level array", "list not an object"])
    func anUnreadablePreferencesFileIsMalformedInput(_ kind: String) throws {
        let directory = try Self.workspace()
        let bytes: [UInt8]
        switch kind {
        case "truncated": bytes = Array(#"{"dual_engine": {"user_list_data_1": {"https://biz.sscc.com/": {"#.utf8)
        case "latin1": bytes = Array(#"{"dual_engine": {"user_list_data_1": {""#.utf8) + [0xe9, 0xff] + Array(#"": {}}}}"#.utf8)
        case "deep": bytes = Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)
        case "top-level array": bytes = Array(#"[{"dual_engine": {}}]"#.utf8)
        default: bytes = Array(#"{"dual_engine": {"user_list_data_1": ["https://biz.sscc.com/"]}}"#.utf8)
        }
        let preferences = directory.appendingPathComponent("Preferences")
        try Data(bytes).write(to: preferences)
        let edge = CLI.fixtures.appendingPathComponent("windows/ie-mode/user-list/edge.reg")
        let run = try CLI.run(["check", "--no-discover", "--lang", "en", "--registry", edge.path, "--registry", preferences.path], in: directory)
        #expect(run.exitCode == 65, "\(kind): \(run.output) \(run.errors)")
        #expect(run.errors.contains(preferences.path), "\(run.errors)")
    }
}
