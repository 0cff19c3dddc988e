import CertDoctorCore
import Foundation
import Testing

/// Files named on the command line are read as the shell gives them, and a failure says the system's reason
/// with the documented exit code.
struct InputFileTests {
    /// `--password-file <(…)` is a pipe: it is read, not refused as "permission denied".
    @Test func aPasswordFromProcessSubstitutionIsRead() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let command = "cd '\(directory.path)' && exec \"$0\" check --pfx '\(file.lastPathComponent)' --password-file <(printf '123456\\n')"
            + " --only cert.pfx-readable --format json"
        let run = try ChildProcess.run(
            "/bin/bash", arguments: ["-c", command, CLI.executable],
            environment: ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1", "HOME": directory.path]) { $1 },
            deadline: Date().addingTimeInterval(60))
        let json = try JSONSerialization.jsonObject(with: Data(run.outputText.utf8)) as? [String: Any] ?? [:]
        let results = json["results"] as? [[String: Any]] ?? []
        #expect(results.first { $0["id"] as? String == "cert.pfx-readable" }?["outcome"] as? String == "pass", "\(run.outputText) \(run.errorText)")
    }

    /// A directory given as the password file is named as one (exit 66), not "permission denied".
    @Test func aDirectoryAsThePasswordFileSaysSo() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let run = try CLI.run(
            ["check", "--pfx", file.lastPathComponent, "--password-file", directory.path, "--lang", "en"], in: directory,
            environment: ["HOME": directory.path])
        #expect(run.exitCode == 66, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("Is a directory"), "\(run.errors)")
        #expect(!run.errors.contains("NSCocoaErrorDomain"))
    }

    /// A --ca-cert that is no certificate is named as the CA certificate, not as "the issued certificate".
    @Test func aBadCACertificateIsNamedAsSuch() throws {
        let (directory, file) = try CLI.workspace(fixture: "pfx/good-3des/F000504Y0007#0.pfx")
        let bogus = directory.appendingPathComponent("ca.pem")
        try Data("not a certificate\n".utf8).write(to: bogus)
        let run = try CLI.run(
            ["renew", "--pfx", file.lastPathComponent, "--password-file", "pw", "--backend", "cmp",
             "--ca-url", "http://127.0.0.1:9/pkix/", "--ca-cert", bogus.path, "--lang", "en"],
            in: directory, environment: ["HOME": directory.path])
        #expect(run.exitCode == 65, "\(run.output) \(run.errors)")
        #expect(run.errors.contains("CA certificate given with --ca-cert"), "\(run.errors)")
        #expect(!run.errors.contains("issued certificate"))
    }
}

/// A secret that cannot be read is named as what it is: a PIN file that is missing is not "the password file".
@Suite struct SecretNameTests {
    @Test func aMissingPINFileIsNamedAsThePINs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-pin-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("pin").path
        for (language, expected) in [("en", "\(missing), the file with the token's user PIN, does not exist"),
                                     ("zh", "找不到存放USB Key 的用户 PIN的文件 \(missing)")] {
            let run = try CLI.run(["check", "--token", "--token-pin-file", missing, "--lang", language], in: directory,
                                  environment: ["HOME": directory.path])
            #expect(run.exitCode == 66, "\(run.output) \(run.errors)")
            #expect(run.errors.contains(expected), "\(run.errors)")
            #expect(!run.errors.contains("password"), "\(run.errors)")
        }
    }

    @Test func anEmptyPINVariableIsNamedAsThePIN() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-pin-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CLI.run(["check", "--token", "--lang", "en"], in: directory,
                              environment: ["HOME": directory.path, "CERTDOCTOR_TOKEN_PIN": ""])
        #expect(run.errors.contains("the token's user PIN from CERTDOCTOR_TOKEN_PIN is empty"), "\(run.errors)")
    }
}
