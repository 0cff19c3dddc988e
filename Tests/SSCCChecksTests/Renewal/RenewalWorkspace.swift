import CertDoctorCore
import Foundation
import PKI
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing
import TestSupport

/// A throw-away renewal scene in a temp directory: a CA (made by the `openssl` CLI, or TestSupport's test
/// CA for CMP), a working certificate `F000504Y0007#0.pfx` that expires soon, its password in a file, and a
/// private state directory for the journal and pending requests.
struct RenewalWorkspace {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let gateway = "F000504Y0007"
    static let password = "123456"

    let root: URL
    let certificateDirectory: URL
    let state: URL
    let passwordFile: URL
    var pfx: URL { certificateDirectory.appendingPathComponent("\(Self.gateway)#0.pfx") }
    var archive: URL { certificateDirectory.appendingPathComponent("archive") }
    var journal: Journal { Journal(directory: state.appendingPathComponent("certdoctor/journal")) }
    var pending: PendingRenewalStore { PendingRenewalStore(directory: state.appendingPathComponent("certdoctor/renewal")) }

    init(root existing: URL? = nil, certificateDirectory: URL? = nil) throws {
        root = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-renewal-" + UUID().uuidString)
        self.certificateDirectory = certificateDirectory ?? root.appendingPathComponent("cert")
        state = root.appendingPathComponent("state")
        passwordFile = root.appendingPathComponent("pw")
        for directory in [root, self.certificateDirectory, state] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        if existing == nil { try Data(Self.password.utf8).write(to: passwordFile) }
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    // MARK: - A CA made with the openssl CLI (offline renewals)

    /// `ca.key`/`ca.pem` and an old certificate valid `days` more days, exported as the working PFX with the
    /// Windows 7 protection the portal hands out.
    func makeOpenSSLCA(oldDays: Int = 20, fileName: String? = nil) throws {
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
                     "-days", "3650", "-subj", "/C=CN/O=Certdoctor Test/CN=Certdoctor Test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("old.key"), "-out", path("old.csr"),
                     "-subj", "/C=CN/O=Certdoctor Test Securities/CN=\(Self.gateway)"])
        try signWithOpenSSL(request: path("old.csr"), output: path("old.pem"), days: oldDays)
        let target = fileName.map { certificateDirectory.appendingPathComponent($0).path } ?? pfx.path
        try openssl(["pkcs12", "-export", "-inkey", path("old.key"), "-in", path("old.pem"), "-certfile", path("ca.pem"),
                     "-name", Self.gateway, "-passout", "file:\(passwordFile.path)", "-out", target,
                     "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"])
    }

    /// The CA signs a request the way a person's CA would: `openssl x509 -req`.
    func signWithOpenSSL(request: String, output: String, days: Int = 365) throws {
        try openssl(["x509", "-req", "-in", request, "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                     "-set_serial", "0x" + String(UInt64.random(in: 1 << 40...1 << 60), radix: 16), "-days", String(days),
                     "-out", output])
    }

    // MARK: - TestSupport's test CA (CMP renewals)

    /// An old certificate issued by `authority` (so the CMP server accepts requests signed with it), exported
    /// as the working PFX.
    func makeWorkingCertificate(issuedBy authority: TestCertificateAuthority, days: Int = 20) throws -> X509Certificate {
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let certificate = try authority.issue(
            subject: [("C", "CN"), ("O", "Certdoctor Test Securities"), ("CN", Self.gateway)], for: key, validityDays: days)
        let bytes = try PKCS12Archive.create(
            certificate: certificate, privateKey: key, chain: [authority.certificate], password: Self.password,
            friendlyName: Self.gateway, profile: .windows7)
        try Data(bytes).write(to: pfx)
        try Data(authority.certificate.pem().utf8).write(to: root.appendingPathComponent("ca.pem"))
        return certificate
    }

    // MARK: - Running

    func renewal(
        profile: PKCS12Profile = .windows7, issuerCertificates: [X509Certificate] = [], password: String = Self.password,
        configure: (inout Environment) -> Void = { _ in }
    ) throws -> CertificateRenewal {
        let doctor = try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: Self.repository), pluginDirectories: [])
        var environment = Environment.targets(pfxFile: pfx, pfxPassword: Secret(password), language: .en)
        // The machine's own browsers are not what these tests are about: an empty root has none installed, so
        // browser.downloads does not apply whether or not the test machine has Chromium.
        environment.browserPolicyRoot = root.appendingPathComponent("empty-root")
        configure(&environment)
        return CertificateRenewal(
            doctor: doctor, environment: environment, journal: journal, pending: pending, profile: profile,
            issuerCertificates: issuerCertificates)
    }

    func offlineBackend() -> OfflineBackend {
        OfflineBackend(pending: pending, workingFile: pfx, requestFile: root.appendingPathComponent("request.csr.pem"))
    }

    var requestFile: String { root.appendingPathComponent("request.csr.pem").path }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    func archived() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: archive.path)) ?? []).sorted()
    }

    /// Files beside the working certificate other than it and the archive (a half-written file would show here).
    func strays() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: certificateDirectory.path)) ?? [])
            .filter { $0 != pfx.lastPathComponent && $0 != "archive" }
    }

    /// `openssl pkcs12 -info` prints what matters on standard error.
    func pkcs12Info(_ file: URL) throws -> String {
        let result = try CertDoctorCore.ChildProcess.run(
            "/usr/bin/openssl", arguments: ["pkcs12", "-in", file.path, "-passin", "file:\(passwordFile.path)", "-info", "-noout"],
            environment: ProcessInfo.processInfo.environment, deadline: Date().addingTimeInterval(60))
        guard result.reason == .exited(0) else { throw ToolFailure(command: "openssl pkcs12 -info", output: result.errorText) }
        return result.outputText + result.errorText
    }

    @discardableResult
    func openssl(_ arguments: [String], input: [UInt8] = []) throws -> String {
        try Self.run("/usr/bin/openssl", arguments, input: input)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: [UInt8] = [], environment extra: [String: String] = [:]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        let result = try CertDoctorCore.ChildProcess.run(
            executable, arguments: arguments, environment: environment, input: input, deadline: Date().addingTimeInterval(60))
        guard result.reason == .exited(0) else {
            throw ToolFailure(command: ([executable] + arguments).joined(separator: " "), output: result.errorText + result.outputText)
        }
        return result.outputText
    }

    struct ToolFailure: Error, CustomStringConvertible {
        var command: String
        var output: String
        var description: String { "\(command) failed: \(output)" }
    }
}
