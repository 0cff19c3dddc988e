import CertDoctorCore
import Foundation
import Testing

/// Inside the renewal window a valid certificate still passes, but the verdict leads with "renew now", in
/// every format, and Prometheus carries the days left.
@Suite struct RenewalWindowTests {
    /// A gateway certificate valid for another 11 days and some hours, made with the openssl CLI.
    static func certificate(days: Int, in directory: URL) throws -> URL {
        let key = directory.appendingPathComponent("key.pem").path
        let cert = directory.appendingPathComponent("cert.pem").path
        let pfx = directory.appendingPathComponent("F000504Y0007#0.pfx")
        for arguments in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=F000504Y0007",
             "-days", String(days)],
            ["pkcs12", "-export", "-inkey", key, "-in", cert, "-out", pfx.path, "-passout", "pass:123456"],
        ] {
            let run = try ChildProcess.run(
                "/usr/bin/openssl", arguments: arguments, environment: ["PATH": "/usr/bin:/bin"], deadline: Date().addingTimeInterval(60))
            #expect(run.reason == .exited(0), "\(run.errorText)")
        }
        return pfx
    }

    static func workspace() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-window-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("123456\n".utf8).write(to: directory.appendingPathComponent("pw"))
        return directory
    }

    @Test func twelveDaysLeftPassesButTheVerdictSaysRenewNow() throws {
        let directory = try Self.workspace()
        let pfx = try Self.certificate(days: 12, in: directory)
        let base = ["check", "--pfx", pfx.lastPathComponent, "--password-file", "pw", "--only", "certificate", "--lang", "en"]
        let text = try CLI.run(base, in: directory)
        #expect(text.exitCode == 0, "\(text.output)")
        let lines = text.output.split(separator: "\n").map(String.init)
        // The first line after the heading, and again above the verdict.
        #expect(lines.dropFirst().first?.contains("expires in 11 days (") == true, "\(text.output)")
        #expect(lines.dropFirst().first?.hasSuffix("): renew now") == true)
        #expect(text.output.contains("✔ pass  cert.validity"))

        let json = try CLI.run(base + ["--format", "json"], in: directory).json()
        let expiry = try #require(json["expiry"] as? [String: Any])
        #expect(expiry["days_left"] as? Int == 11)
        #expect(expiry["window_days"] as? Int == 30)
        #expect((json["expiry_warning"] as? String)?.contains("renew now") == true)

        let prometheus = try CLI.run(base + ["--format", "prometheus"], in: directory)
        let sample = try #require(prometheus.output.split(separator: "\n").first { $0.hasPrefix("certdoctor_cert_expires_in_seconds{subject_CN=\"F000504Y0007\"} ") })
        let seconds = try #require(Double(sample.split(separator: " ").last ?? ""))
        // The sample is whole seconds, rounded: checked within half a second of the certificate's making, 11.99999
        // days left reads as exactly 12 days (a flake seen in a clean CI run); more than 12 days is never right.
        #expect(seconds > 11 * 86_400 && seconds <= 12 * 86_400, "\(sample)")

        let xml = try CLI.run(base + ["--format", "xml"], in: directory)
        #expect(xml.output.contains("daysLeft=\"11\""))
        #expect(xml.output.contains("insideWindow=\"true\""))

        // A narrower window given on the command line: no warning.
        let narrow = try CLI.run(base + ["--warn-days", "7"], in: directory)
        #expect(!narrow.output.contains("renew now"), "\(narrow.output)")
        let bad = try CLI.run(base + ["--warn-days", "-3"], in: directory)
        #expect(bad.exitCode == 64)
    }

    @Test func anExpiredCertificateKeepsItsE4Remedy() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/expired/F000504Y0007#0.pfx")
        let run = try CLI.run(["check", "--pfx", file.lastPathComponent, "--password-file", "pw", "--only", "certificate", "--lang", "en"], in: directory)
        #expect(run.exitCode == 1)
        #expect(run.output.contains("cannot be renewed online"))
        #expect(!run.output.contains("renew now"))
    }
}
