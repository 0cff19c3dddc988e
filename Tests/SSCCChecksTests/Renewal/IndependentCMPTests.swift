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

/// Independent checks on both sides of the CMP exchange: `openssl cmp -cmd kur` as a second client against the
/// test CA our renewal uses, and the `openssl cmp` mock server (with a prepared response) as a second server
/// for our client.
@Suite struct IndependentCMPTests {
    @Test func opensslClientRenewsAgainstTheSameTestCA() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        let authority = try TestCertificateAuthority()
        let old = try scene.makeWorkingCertificate(issuedBy: authority)
        let contents = try PKCS12Archive.open(try scene.bytes(scene.pfx), password: RenewalWorkspace.password)
        let oldKey = try #require(contents.privateKey)
        try Data(old.pem().utf8).write(to: URL(fileURLWithPath: scene.path("old.pem")))
        try Data(try oldKey.pem(encryptedWith: RenewalWorkspace.password).utf8).write(to: URL(fileURLWithPath: scene.path("old.key")))
        try scene.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", scene.path("new.key")])
        let listener = try TestCMPHTTPListener(server: TestCMPServer(authority: authority))
        defer { listener.stop() }

        try RenewalWorkspace.run("/usr/bin/openssl", [
            "cmp", "-config", "", "-server", "127.0.0.1:\(listener.port)", "-path", "pkix/", "-cmd", "kur",
            "-cert", scene.path("old.pem"), "-key", scene.path("old.key"), "-keypass", "env:RENEWAL_TEST_KEY_PASSWORD",
            "-oldcert", scene.path("old.pem"), "-newkey", scene.path("new.key"), "-trusted", scene.path("ca.pem"),
            "-certout", scene.path("renewed.pem"),
        ], environment: ["RENEWAL_TEST_KEY_PASSWORD": RenewalWorkspace.password])
        try scene.openssl(["verify", "-CAfile", scene.path("ca.pem"), scene.path("renewed.pem")])
        let certificateKey = try scene.openssl(["x509", "-in", scene.path("renewed.pem"), "-noout", "-pubkey"])
        let newKey = try scene.openssl(["pkey", "-in", scene.path("new.key"), "-pubout"])
        #expect(certificateKey == newKey)
    }

    /// The mock hands out one fixed certificate and checks that the request names its issuer and serial, so the
    /// response is made beforehand for a key given with `--new-key` and the old certificate's serial.
    @Test func ourClientRenewsAgainstTheOpenSSLMockServer() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        let serial = try scene.openssl(["x509", "-in", scene.path("old.pem"), "-noout", "-serial"])
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        try scene.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", scene.path("new.key")])
        try scene.openssl(["req", "-new", "-key", scene.path("new.key"), "-out", scene.path("new.csr"),
                           "-subj", "/C=CN/O=Certdoctor Test Securities/CN=\(RenewalWorkspace.gateway)"])
        try scene.openssl(["x509", "-req", "-in", scene.path("new.csr"), "-CA", scene.path("ca.pem"), "-CAkey", scene.path("ca.key"),
                           "-set_serial", "0x" + serial, "-days", "365", "-out", scene.path("response.pem")])

        let port = Int.random(in: 20_000...60_000)
        let mock = Process()
        mock.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        mock.arguments = ["cmp", "-config", "", "-port", String(port), "-max_msgs", "2",
                          "-srv_cert", scene.path("ca.pem"), "-srv_key", scene.path("ca.key"), "-srv_trusted", scene.path("ca.pem"),
                          "-rsp_cert", scene.path("response.pem"), "-rsp_capubs", scene.path("ca.pem")]
        mock.standardOutput = FileHandle.nullDevice
        mock.standardError = FileHandle.nullDevice
        try mock.run()
        defer { if mock.isRunning { mock.terminate() }; mock.waitUntilExit() }

        let ca = try #require(try X509Certificate.load(try scene.bytes(URL(fileURLWithPath: scene.path("ca.pem")))).first)
        let newKey = try PrivateKey(pem: String(contentsOfFile: scene.path("new.key"), encoding: .utf8))
        // The client retries a refused connection until its timeout, which covers the mock's start-up.
        let backend = CMPBackend(server: URL(string: "http://127.0.0.1:\(port)/pkix/")!, caCertificate: ca, timeout: 30)
        let result = try scene.renewal(issuerCertificates: [ca]).renew(using: backend, newKey: newKey)
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        let installed = try PKCS12Archive.open(try scene.bytes(scene.pfx), password: RenewalWorkspace.password)
        #expect(installed.keyMatchesCertificate)
        #expect(installed.privateKey.map { $0.publicKeyDER == newKey.publicKeyDER } == true, "the installed key is the given one")
        #expect(try scene.bytes(scene.archive.appendingPathComponent("\(RenewalWorkspace.gateway)#0.\(serial).pfx")) == oldBytes)
    }
}
