import Foundation
import Testing
@testable import PKI

@Suite("X509Certificate")
struct X509CertificateTests {
    /// `key=value` lines of `openssl x509 -noout …` output.
    private func fields(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }

    private func isoDate(_ text: String?) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return text.flatMap { formatter.date(from: $0) }
    }

    @Test("fields agree with openssl x509 (Chinese subject, RSA key)")
    func fieldsMatchCLI() throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf(key: "rsa:2048")
        let certificate = try workspace.loadCertificate("leaf.pem")
        let cli = fields(try workspace.openssl(["x509", "-in", "leaf.pem", "-noout", "-subject", "-issuer", "-serial",
                                                "-dates", "-dateopt", "iso_8601", "-fingerprint", "-sha1",
                                                "-nameopt", "RFC2253,-esc_msb"]))

        #expect(certificate.subject == cli["subject"])
        #expect(certificate.subject == "CN=张三 F000504Y0007,OU=交易结算,O=测试公司,C=CN")
        #expect(certificate.subjectCommonName == "张三 F000504Y0007")
        #expect(certificate.issuer == cli["issuer"])
        #expect(certificate.issuerCommonName == "CertDoctor Test CA")
        #expect(certificate.serialNumberHex == cli["serial"])
        #expect(certificate.serialNumberHex == "A1B2C3D4E5F60718")
        #expect(certificate.sha1Thumbprint == cli["sha1 Fingerprint"]?.replacingOccurrences(of: ":", with: ""))
        #expect(certificate.notBefore == isoDate(cli["notBefore"]))
        #expect(certificate.notAfter == isoDate(cli["notAfter"]))
        #expect(certificate.notAfter.timeIntervalSince(certificate.notBefore) == 30 * 86_400)

        try workspace.openssl(["x509", "-in", "leaf.pem", "-noout", "-pubkey", "-out", "pub.pem"])
        try workspace.openssl(["pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der"])
        #expect(certificate.publicKeyDER == (try workspace.bytes("pub.der")))

        try workspace.openssl(["x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der"])
        #expect(certificate.der == (try workspace.bytes("leaf.der")))
        #expect(certificate.pem() == (try workspace.text("leaf.pem")))
        #expect(try X509Certificate(derEncoded: certificate.der) == certificate)
    }

    @Test("a certificate with a serial of 1 and an ASCII subject")
    func smallSerial() throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf(subject: "/CN=web.example", serial: "1")
        let certificate = try workspace.loadCertificate("leaf.pem")
        let cli = fields(try workspace.openssl(["x509", "-in", "leaf.pem", "-noout", "-serial"]))
        #expect(certificate.serialNumberHex == cli["serial"])
        #expect(certificate.subject == "CN=web.example")
        #expect(certificate.subjectCommonName == "web.example")
    }

    @Test("verifySignature: issued by its CA, not by another")
    func verifySignature() throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeCA("other", subject: "/CN=Other CA")
        try workspace.makeLeaf()
        let ca = try workspace.loadCertificate("ca.pem")
        let other = try workspace.loadCertificate("other.pem")
        let leaf = try workspace.loadCertificate("leaf.pem")
        #expect(leaf.verifySignature(issuedBy: ca))
        #expect(!leaf.verifySignature(issuedBy: other))
        #expect(ca.verifySignature(issuedBy: ca))
        #expect(!ca.verifySignature(issuedBy: leaf))
        #expect(ca.isCertificateAuthority)
        #expect(!leaf.isCertificateAuthority)
    }

    @Test("DER with trailing bytes, garbage and empty input are malformed")
    func malformed() throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        let der = try workspace.loadCertificate("ca.pem").der
        #expect(throws: CertificateError.self) { try X509Certificate(derEncoded: der + [0]) }
        #expect(throws: CertificateError.self) { try X509Certificate(derEncoded: Array(der.prefix(100))) }
        #expect(throws: CertificateError.self) { try X509Certificate(derEncoded: []) }
    }
}
