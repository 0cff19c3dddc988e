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

/// The gate: a failing required check stops the renewal before any key is made or anything is sent.
@Suite struct RenewalGateTests {
    /// A backend that records whether it was asked; the gate must make sure it never is.
    final class CountingBackend: RenewalBackend, @unchecked Sendable {
        let name = "counting"
        let answersInTheExchange = true
        private let lock = NSLock()
        private var submitted = 0
        var calls: Int { lock.withLock { submitted } }

        func submit(_ request: RenewalRequest, progress: RenewalProgress) throws -> RenewalOutcome {
            lock.withLock { submitted += 1 }
            return .waiting(retryAfter: 60, instructions: Localized(verbatim: "later"))
        }
    }

    @Test func failingRequiredCheckRefusesAndListsIt() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        // The name rule (R15, E5): a file without "#0" is what the portal rejects.
        try scene.makeOpenSSLCA(fileName: "\(RenewalWorkspace.gateway).pfx")
        let file = scene.certificateDirectory.appendingPathComponent("\(RenewalWorkspace.gateway).pfx")
        let before = try scene.bytes(file)
        let doctor = try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: RenewalWorkspace.repository), pluginDirectories: [])
        let renewal = CertificateRenewal(
            doctor: doctor, environment: Environment.targets(pfxFile: file, pfxPassword: Secret(RenewalWorkspace.password)),
            journal: scene.journal, pending: scene.pending)
        let backend = CountingBackend()
        let result = renewal.renew(using: backend)
        #expect(result.outcome == .refused)
        #expect(result.status == .failure)
        #expect(result.blocking.map(\.id) == ["cert.pfx-name"])
        #expect(result.blocking.first?.remedy != nil)
        #expect(result.report.summary.blocking == ["cert.pfx-name"])
        #expect(result.report.procedure.contains { $0.name == "gate" && $0.outcome == "refused" })
        #expect(backend.calls == 0)
        #expect(try scene.bytes(file) == before)
        #expect(!FileManager.default.fileExists(atPath: scene.pending.directory.path))
    }

    @Test func wrongPasswordIsRefusedByTheGate() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let before = try scene.bytes(scene.pfx)
        let backend = CountingBackend()
        let result = try scene.renewal(password: "654321").renew(using: backend)
        #expect(result.status == .failure)
        #expect(result.blocking.map(\.id).contains("cert.pfx-readable"))
        #expect(backend.calls == 0)
        #expect(try scene.bytes(scene.pfx) == before)
        // The password never reaches the report.
        let json = String(decoding: try JSONEncoder().encode(result.report), as: UTF8.self)
        #expect(!json.contains("654321"))
        #expect(!json.contains(RenewalWorkspace.password))
    }

    @Test func expiredCertificateIsRefused() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let doctor = try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: RenewalWorkspace.repository), pluginDirectories: [])
        // The same certificate seen a year later: the validity check fails.
        let environment = Environment.targets(
            pfxFile: scene.pfx, pfxPassword: Secret(RenewalWorkspace.password), now: Date().addingTimeInterval(365 * 86_400))
        let renewal = CertificateRenewal(doctor: doctor, environment: environment, journal: scene.journal, pending: scene.pending)
        let result = renewal.renew(using: CountingBackend())
        #expect(result.blocking.map(\.id) == ["cert.validity"])
    }

    @Test func missingConfigurationStopsBeforeTheGate() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let result = try scene.renewal().renew(using: CMPBackend(server: nil, caCertificate: nil))
        #expect(result.outcome == .needsConfiguration)
        #expect(result.status == .usage)
        #expect(result.message?.en.contains("--ca-url") == true)
        #expect(result.message?.en.contains("--ca-cert") == true)
    }

    @Test func waitingBackendExitsTryAgainAndChangesNothing() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let before = try scene.bytes(scene.pfx)
        let backend = CountingBackend()
        let result = try scene.renewal().renew(using: backend)
        #expect(backend.calls == 1)
        #expect(result.status == .temporaryFailure)
        #expect(try scene.bytes(scene.pfx) == before)
    }

    @Test func undoRestoresTheOldCertificateAndKeepsTheNewOneArchived() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        let record = try #require(result.record)
        let newBytes = try scene.bytes(scene.pfx)
        #expect(newBytes != oldBytes)

        try scene.journal.undoLast()
        #expect(try scene.bytes(scene.pfx) == oldBytes)
        #expect(try scene.bytes(URL(fileURLWithPath: record.archivedNew)) == newBytes)
        #expect(try scene.bytes(URL(fileURLWithPath: record.archivedOld)) == oldBytes)
    }
}

/// `renew --fix`: fixes run through the journal before the renewal, and only when the person agrees.
@Suite struct RenewalFixTests {
    @Test(arguments: [true, false])
    func fixesRunFirstOnlyWhenAccepted(_ accepted: Bool) throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        // Re-export with OpenSSL 3's AES/PBKDF2 default, which the advisory Windows 7 check fails and can fix.
        let pem = try scene.openssl(["pkcs12", "-in", scene.pfx.path, "-passin", "file:\(scene.passwordFile.path)", "-nodes"])
        try Data(pem.utf8).write(to: URL(fileURLWithPath: scene.path("old-all.pem")))
        try scene.openssl(["pkcs12", "-export", "-in", scene.path("old-all.pem"), "-name", RenewalWorkspace.gateway,
                           "-passout", "file:\(scene.passwordFile.path)", "-out", scene.pfx.path])
        let aesBytes = try scene.bytes(scene.pfx)
        var asked: [String] = []
        let result = try scene.renewal().renew(using: scene.offlineBackend(), fix: { plans in
            asked = plans.map(\.checkID)
            return accepted
        })
        #expect(asked == ["cert.pfx-compatibility"])
        #expect(result.outcome == .waiting)
        if accepted {
            #expect(result.report.fixes.map(\.checkID) == ["cert.pfx-compatibility"])
            #expect(result.report.results.first { $0.id == "cert.pfx-compatibility" }?.outcome == .fixed)
            #expect(try scene.bytes(scene.pfx) != aesBytes)
            #expect(scene.journal.entries().map(\.command) == ["renew --fix"])
        } else {
            #expect(result.report.fixes.isEmpty)
            #expect(try scene.bytes(scene.pfx) == aesBytes)
        }
    }
}
