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

/// The CMP backend against the test CA of TestSupport, which is OpenSSL's CMP server API really signing the
/// requested key: in-process for most cases, over HTTP on 127.0.0.1 for the transport.
@Suite struct CMPRenewalTests {
    static func backend(_ server: TestCMPServer, trusting ca: X509Certificate) -> CMPBackend {
        CMPBackend(label: URL(string: "http://in-process.invalid/pkix/")!, caCertificate: ca, timeout: 10) { ca, old, oldKey, newKey, timeout throws(CMPError) in
            try CMPClient.keyUpdate(testServer: server, caCertificate: ca, oldCertificate: old, oldKey: oldKey, newKey: newKey, timeout: timeout)
        }
    }

    @Test func keyUpdateInstallsAVerifiedPFXForTheNewKey() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        let old = try scene.makeWorkingCertificate(issuedBy: authority)
        let oldBytes = try scene.bytes(scene.pfx)
        let server = try TestCMPServer(authority: authority)
        let lines = ProgressLines()

        let result = try scene.renewal(issuerCertificates: [authority.certificate])
            .renew(using: Self.backend(server, trusting: authority.certificate), progress: lines.add)
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        #expect(result.status == .success)
        #expect(server.certificateConfirmations == ["PKIStatus: accepted"])
        let issued = try #require(server.issuedCertificates.first)
        #expect(result.record?.newSerial == issued.serialNumberHex)
        #expect(lines.all.contains { $0.hasPrefix("connecting to the CA") })
        #expect(lines.all.contains { $0.hasPrefix("certificate received") })
        #expect(lines.all.contains { $0.hasPrefix("confirmation (certConf) sent") })

        // openssl pkcs12 opens the new file with the password; its key is the one the CA certified.
        let keyPEM = try scene.openssl(["pkcs12", "-in", scene.pfx.path, "-passin", "file:\(scene.passwordFile.path)", "-nocerts", "-nodes"])
        let keyPublic = try scene.openssl(["pkey", "-pubout"], input: Array(keyPEM.utf8))
        let certificatePublic = try scene.openssl(["x509", "-noout", "-pubkey"], input: Array(issued.pem().utf8))
        #expect(keyPublic == certificatePublic)
        let oldPublic = try scene.openssl(["x509", "-noout", "-pubkey"], input: Array(old.pem().utf8))
        #expect(keyPublic != oldPublic)
        let archivedOld = scene.archive.appendingPathComponent("\(RenewalWorkspace.gateway)#0.\(old.serialNumberHex).pfx")
        #expect(try scene.bytes(archivedOld) == oldBytes)
    }

    /// The CA confirms the certificate before we write anything; when the installation then fails, the issued
    /// certificate and the new key are kept, and `renew --import` finishes the renewal once the cause is fixed.
    @Test func issuedButNotInstalledKeepsWhatIsNeededToFinish() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let before = try scene.bytes(scene.pfx)
        let server = try TestCMPServer(authority: authority)
        // A file where the archive directory belongs: the installation fails after the CA confirmed the certificate.
        try Data("in the way".utf8).write(to: scene.archive)
        let result = try scene.renewal(issuerCertificates: [authority.certificate])
            .renew(using: Self.backend(server, trusting: authority.certificate))
        #expect(result.status == .cannotCreate, "\(result.outcome): \(result.message?.en ?? "")")
        #expect(result.message?.en.contains("certdoctor renew --import") == true)
        #expect(try scene.bytes(scene.pfx) == before)
        let kept = scene.pending.directory.appendingPathComponent(RenewalWorkspace.gateway).appendingPathComponent("issued.pem")
        #expect(FileManager.default.fileExists(atPath: kept.path))

        try FileManager.default.removeItem(at: scene.archive)
        let finished = try scene.renewal(issuerCertificates: [authority.certificate]).importIssued(kept)
        #expect(finished.outcome == .installed, "\(finished.message?.en ?? "")")
        let installed = try PKCS12Archive.open(try scene.bytes(scene.pfx), password: RenewalWorkspace.password)
        #expect(installed.certificate == server.issuedCertificates.first)
    }

    @Test(arguments: [CMPFailureInfo.certRevoked, .badCertId])
    func rejectionIsReportedAsE7AndChangesNothing(_ reason: CMPFailureInfo) throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let before = try scene.bytes(scene.pfx)
        let server = try TestCMPServer(authority: authority, behaviour: .reject(reason, text: "certificate frozen"))
        let result = try scene.renewal().renew(using: Self.backend(server, trusting: authority.certificate))
        #expect(result.outcome == .rejected)
        #expect(result.status == .failure)
        #expect(result.message?.en.contains("certificate frozen") == true)
        #expect(result.message?.en.contains("E7") == true)
        #expect(try scene.bytes(scene.pfx) == before)
        #expect(scene.archived().isEmpty)
    }

    @Test func certificateForAnotherKeyIsRefusedAndNothingIsReplaced() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let before = try scene.bytes(scene.pfx)
        let server = try TestCMPServer(authority: authority, behaviour: .issueForDifferentKey)
        let result = try scene.renewal().renew(using: Self.backend(server, trusting: authority.certificate))
        #expect(result.outcome == .failed)
        #expect(result.status == .dataError)
        #expect(try scene.bytes(scene.pfx) == before)
        #expect(scene.archived().isEmpty)
        // The CA was told (negative certConf) that its certificate was not accepted.
        #expect(server.certificateConfirmations.first?.hasPrefix("PKIStatus: rejection") == true)
    }

    @Test func answerSignedByAnUntrustedCAIsRefused() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let before = try scene.bytes(scene.pfx)
        let server = try TestCMPServer(authority: authority, behaviour: .signResponsesWithUntrustedCA)
        let result = try scene.renewal().renew(using: Self.backend(server, trusting: authority.certificate))
        #expect(result.status == .dataError)
        #expect(result.message?.en.contains("not signed by the trusted CA") == true)
        #expect(try scene.bytes(scene.pfx) == before)
    }

    @Test func unreachableCAExitsUnavailable() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let before = try scene.bytes(scene.pfx)
        // A port nobody listens on: bind one, note it, close it.
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        let closed = listener.url
        listener.stop()
        let backend = CMPBackend(server: closed, caCertificate: authority.certificate, timeout: 1)
        let result = try scene.renewal().renew(using: backend)
        #expect(result.outcome == .unreachable, "\(result.message?.en ?? "")")
        #expect(result.status == .unavailable)
        #expect(try scene.bytes(scene.pfx) == before)
    }

    @Test func waitingCAExitsTryAgain() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let server = try TestCMPServer(authority: authority, behaviour: .waiting(checkAfter: 120))
        let result = try scene.renewal().renew(using: Self.backend(server, trusting: authority.certificate))
        #expect(result.outcome == .waiting)
        #expect(result.status == .temporaryFailure)
    }

    @Test func keyUpdateOverHTTPWithAGivenKeyAndModernProfile() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        _ = try scene.makeWorkingCertificate(issuedBy: authority)
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        defer { listener.stop() }
        let given = try PrivateKey.generate(.ecP256)
        let result = try scene.renewal(profile: .modern)
            .renew(using: CMPBackend(server: listener.url, caCertificate: authority.certificate, timeout: 10), newKey: given)
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        let contents = try PKCS12Archive.open(try scene.bytes(scene.pfx), password: RenewalWorkspace.password)
        #expect(contents.privateKey?.publicKeyDER == given.publicKeyDER)
        #expect(contents.protection.macAlgorithm == "sha256")
    }
}

/// Progress lines as a terminal would show them.
final class ProgressLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    var add: RenewalProgress { { [self] line in lock.withLock { lines.append(line.en) } } }
}
