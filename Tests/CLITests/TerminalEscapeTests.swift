import CertDoctorCore
import Foundation
import Testing

/// What an input says reaches the terminal as text: an escape sequence in a plugin's message (or a registry
/// value name, or a site list) is shown, not obeyed.
struct TerminalEscapeTests {
    static let plugin = #"""
        #!/bin/sh
        case "$1" in
        describe) echo '{"id": "plugin.noisy", "title": "Noisy \u001b[2J plugin", "severity": "advisory", "facets": ["host"]}' ;;
        check) printf '%s\n' '{"outcome": "fail", "message": {"zh": "\u001b]0;pwned\u0007 x", "en": "\u001b]0;pwned\u0007 x\n✔ pass  forged"}}' ;;
        esac
        """#

    @Test func controlCharactersFromInputsArePrintedEscaped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-escape-" + UUID().uuidString)
        let plugins = directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let file = plugins.appendingPathComponent("noisy")
        try Data(Self.plugin.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        let run = try CLI.run(
            ["check", "--no-discover", "--plugins", plugins.path, "--only", "plugin.noisy", "--lang", "en"],
            in: directory, environment: ["HOME": directory.path])
        #expect(!run.rawOutput.contains(0x1b), "\(run.output)")
        #expect(!run.rawOutput.contains(0x07))
        #expect(run.output.contains(#"\u{1B}]0;pwned\u{7} x\u{A}✔ pass  forged"#), "\(run.output)")
        #expect(run.output.contains(#"Noisy \u{1B}[2J plugin"#))
    }
}
