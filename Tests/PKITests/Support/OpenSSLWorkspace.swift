import Foundation
@testable import PKI
import TestSupport

/// A temporary directory in which the `openssl` CLI makes the fixtures a test needs, so that every
/// expectation is checked against an independent implementation. Passwords reach the CLI through the
/// environment (`-passin env:` / `-passout env:`), never through argv.
final class OpenSSLWorkspace {
    static let passwordVariable = "CERTDOCTOR_TEST_PASSWORD"

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pki-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(name))) }

    func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func write(_ text: String, to name: String) throws { try write(Array(text.utf8), to: name) }

    /// Runs `openssl` in the workspace; `password` is exported as `$CERTDOCTOR_TEST_PASSWORD`.
    /// Returns stdout + stderr (`pkcs12 -info` writes part of its report to stderr).
    @discardableResult
    func openssl(_ arguments: [String], password: String? = nil) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment[Self.passwordVariable] = password
        let output = try FileCapturedRun.run(
            ["openssl"] + arguments, environment: environment, scratch: directory, workingDirectory: directory, mergingErrors: true)
        let text = String(decoding: output.stdout, as: UTF8.self)
        guard output.status == 0 else {
            throw CLIError(arguments: arguments, status: output.status, output: text)
        }
        return text
    }

    struct CLIError: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) exited \(status): \(output)" }
    }

    // MARK: Certificates

    /// A self-signed EC P-256 CA: `<name>.key`, `<name>.pem`.
    func makeCA(_ name: String = "ca", subject: String = "/C=CN/O=CertDoctor Test/CN=CertDoctor Test CA") throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "\(name).key", "-out", "\(name).pem", "-subj", subject, "-days", "30", "-utf8"])
    }

    /// A key (`<name>.key`, unencrypted PKCS#8) and a certificate (`<name>.pem`) issued by CA `issuer`.
    func makeLeaf(_ name: String = "leaf", issuer: String = "ca",
                  subject: String = "/C=CN/O=测试公司/OU=交易结算/CN=张三 F000504Y0007",
                  key: String = "ec", serial: String = "0x00A1B2C3D4E5F60718") throws {
        let keyOptions = key == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", key]
        try openssl(["req", "-new"] + keyOptions + ["-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
                     "-subj", subject, "-utf8"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key",
                     "-set_serial", serial, "-days", "30", "-out", "\(name).pem"])
    }

    /// A standalone EC key, `<name>.key`.
    func makeKey(_ name: String) throws {
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(name).key"])
    }

    func loadCertificate(_ name: String) throws -> X509Certificate { try X509Certificate(bytes: try bytes(name)) }

    func loadKey(_ name: String) throws -> PrivateKey { try PrivateKey(pem: try text(name)) }
}
