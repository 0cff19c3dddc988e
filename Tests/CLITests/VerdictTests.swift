import CertDoctorCore
import Foundation
import Testing

/// The run-level verdict is true: a typo selects nothing silently, a run that examined no certificate is never
/// ready, discovery says what it found, and "fixable" is promised only where a fix can be planned.
@Suite struct VerdictTests {
    /// Keeps a machine's own pcscd, Wine prefix and home out of a run.
    static func isolated(_ home: URL) -> [String: String] {
        ["HOME": home.path, "PCSCLITE_CSOCK_NAME": home.appendingPathComponent("no-pcscd.comm").path, "LANG": "en_US.UTF-8"]
    }

    /// A Wine prefix as Wine leaves it before anything is installed: two empty hives.
    static func emptyPrefix(at directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win32\n".utf8)
            .write(to: directory.appendingPathComponent("system.reg"))
        try Data("WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000\n\n#arch=win32\n".utf8)
            .write(to: directory.appendingPathComponent("user.reg"))
    }

    @Test func aMistypedCheckIDIsAUsageErrorNotAGreenRun() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/expired/F000504Y0007#0.pfx")
        let run = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--only", "cert.valdity", "--format", "prometheus"],
            in: directory, environment: Self.isolated(directory))
        #expect(run.exitCode == 64)
        #expect(run.errors.contains("did you mean cert.validity?"), "\(run.errors)")
        #expect(!run.output.contains("certdoctor_ready_to_renew 1"))
        let skip = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--skip", "tokne", "--lang", "zh"],
            in: directory, environment: Self.isolated(directory))
        #expect(skip.exitCode == 64)
        #expect(skip.errors.contains("--skip：未知的检查项或类别“tokne”——是否要输入 token？"), "\(skip.errors)")
    }

    @Test func nearMissesOfCommandsAndExplanationsAreSuggested() throws {
        let command = try CLI.run(["chekc", "--pfx", "x.pfx"])
        #expect(command.exitCode == 64)
        #expect(command.errors.contains("did you mean certdoctor check?"), "\(command.errors)")
        let explain = try CLI.run(["explain", "cert.valdity", "--lang", "en"])
        #expect(explain.exitCode == 1)
        #expect(explain.errors.contains("did you mean cert.validity?"), "\(explain.errors)")
        let code = try CLI.run(["explain", "E55", "--lang", "en"])
        #expect(code.errors.contains("did you mean E5"), "\(code.errors)")
    }

    @Test func aRunThatExaminedNoCertificateIsNeverReadyAndSaysWhatToGive() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-empty-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // The one check here passes: before scope, this run said "ready" and exited 0.
        let run = try CLI.run(["check", "--only", "host.free-space", "--format", "json"], in: home, environment: Self.isolated(home))
        #expect(run.exitCode == 1, "\(run.output)")
        let json = try run.json()
        #expect(json["ready_to_renew"] as? Bool == false)
        let notExamined = (json["not_examined"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(notExamined == ["pfx", "windows", "token"])
        let examined = (json["examined"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(examined == ["host"])
        let text = try CLI.run(["check", "--only", "host.free-space"], in: home, environment: Self.isolated(home))
        #expect(text.exitCode == 1)
        #expect(text.output.contains("Not ready to renew — examined: host; not examined: file certificate (add --pfx FILE)"), "\(text.output)")
        #expect(text.output.contains("name the file certificate with --pfx FILE"))
        let prometheus = try CLI.run(["check", "--only", "host.free-space", "--format", "prometheus"], in: home, environment: Self.isolated(home))
        #expect(prometheus.output.contains("certdoctor_ready_to_renew 0"))
        #expect(prometheus.output.contains("certdoctor_area_examined{area=\"pfx\"} 0"))
        let xml = try CLI.run(["check", "--only", "host.free-space", "--format", "xml"], in: home, environment: Self.isolated(home))
        #expect(xml.output.contains("readyToRenew=\"false\""))
        #expect(xml.output.contains("<scope subjectExamined=\"false\">"))
    }

    @Test func theVerdictNamesTheCertificateAndWhatWasExamined() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let run = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--only", "certificate"],
            in: directory, environment: Self.isolated(directory))
        #expect(run.exitCode == 0, "\(run.output)")
        #expect(run.output.contains("Ready to renew the file certificate F000504Y0007 — examined: file certificate ("), "\(run.output)")
        #expect(run.output.contains("not examined: Windows side (add --wine-prefix DIR or --registry FILE), token (add --token)"))
    }

    @Test func discoveryFindsTheCertificateAndThePrefixAndReadsNoPasswordItWasNotGiven() throws {
        let (directory, _) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        try Self.emptyPrefix(at: directory.appendingPathComponent(".wine"))
        let withoutPassword = try CLI.run(["check", "--format", "json"], in: directory, environment: Self.isolated(directory))
        #expect(withoutPassword.errors.contains("found the file certificate \(directory.path)/F000504Y0007#0.pfx"), "\(withoutPassword.errors)")
        #expect(withoutPassword.errors.contains("found the Wine prefix \(directory.path)/.wine"))
        #expect(try withoutPassword.outcome(of: "cert.pfx-readable") == "notchecked")
        #expect(try withoutPassword.outcome(of: "browser.trusted-site") == "fail")
        let json = try withoutPassword.json()
        #expect(json["ready_to_renew"] as? Bool == false)
        let hint = (json["not_examined"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "pfx" }?["hint"] as? String
        #expect(hint?.contains("--password-file") == true, "\(hint ?? "")")

        var environment = Self.isolated(directory)
        environment["CERTDOCTOR_PFX_PASSWORD"] = "123456"
        let withPassword = try CLI.run(["check", "--format", "json"], in: directory, environment: environment)
        #expect(try withPassword.outcome(of: "cert.pfx-readable") == "pass")
        let examined = (try withPassword.json()["examined"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(examined == ["pfx", "windows", "host"])

        let off = try CLI.run(["check", "--no-discover", "--format", "json"], in: directory, environment: environment)
        #expect(try off.outcome(of: "cert.pfx-readable") == "notapplicable")
    }

    @Test func fixableIsPromisedOnlyWhereAFixCanBePlannedAndNamesTheUsersOptions() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let prefix = directory.appendingPathComponent("prefix")
        try Self.emptyPrefix(at: prefix)
        let arguments = ["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--wine-prefix", prefix.path]
        let json = try CLI.run(arguments + ["--format", "json"], in: directory, environment: Self.isolated(directory))
        let results = try json.json()["results"] as? [[String: Any]] ?? []
        func result(_ id: String) -> [String: Any]? { results.first { $0["id"] as? String == id } }
        // A control that is not installed at all comes from the portal: no fix can be planned for it.
        #expect(result("activex.certenroll")?["outcome"] as? String == "fail")
        #expect(result("activex.certenroll")?["fixable"] as? Bool == false)
        #expect(result("browser.trusted-site")?["fixable"] as? Bool == true)
        let text = try CLI.run(arguments, in: directory, environment: Self.isolated(directory))
        // The closing digest names the command once, with the user's own options.
        #expect(text.output.contains(
            "fixable with: certdoctor fix --pfx 'F000504Y0007#0.pfx' --password-file pw --wine-prefix \(prefix.path)"), "\(text.output)")
    }
}

/// Malformed input data ends with 65 (sysexits' EX_DATAERR), as the README's table says, never with 70.
@Suite struct MalformedManifestTests {
    @Test func aManifestThatBreaksItsSchemaIsExit65NamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-manifest-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let manifest = directory.appendingPathComponent("broken.xml")
        try Data("<checks xmlns=\"urn:certdoctor:check-manifest:1\"><nonsense/></checks>".utf8).write(to: manifest)
        let run = try CLI.run(["check", "--no-discover", "--plugins", directory.path], in: directory)
        #expect(run.exitCode == 65, "\(run.errors)")
        #expect(run.errors.contains("broken.xml"), "\(run.errors)")
    }
}
