import Foundation
import Testing
@testable import PKI

/// Issued-certificate files as a CA or a portal hands them out: .pem, .cer (DER or PEM), .p7b (DER or PEM).
@Suite("Loading issued certificates")
struct CertificateLoadingTests {
    private func workspace() throws -> (OpenSSLWorkspace, leaf: X509Certificate, ca: X509Certificate) {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf()
        return (workspace, try workspace.loadCertificate("leaf.pem"), try workspace.loadCertificate("ca.pem"))
    }

    @Test("a PEM bundle gives every certificate in file order and skips other blocks")
    func pemBundle() throws {
        let (workspace, leaf, ca) = try workspace()
        let bundle = try workspace.text("leaf.pem") + "\n" + (try workspace.text("leaf.key")) + (try workspace.text("ca.pem"))
        #expect(try X509Certificate.load(Array(bundle.utf8)) == [leaf, ca])
        #expect(try X509Certificate(bytes: Array(bundle.utf8)) == leaf)
    }

    @Test(".cer as DER and as PEM")
    func cer() throws {
        let (workspace, leaf, _) = try workspace()
        try workspace.openssl(["x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.cer"])
        #expect(try X509Certificate.load(try workspace.bytes("leaf.cer")) == [leaf])
        #expect(try X509Certificate.load(try workspace.bytes("leaf.pem")) == [leaf])
    }

    @Test(".p7b certs-only as DER and as PEM")
    func p7b() throws {
        let (workspace, leaf, ca) = try workspace()
        for format in ["DER", "PEM"] {
            try workspace.openssl(["crl2pkcs7", "-nocrl", "-certfile", "leaf.pem", "-certfile", "ca.pem",
                                   "-outform", format, "-out", "chain.p7b"])
            #expect(try X509Certificate.load(try workspace.bytes("chain.p7b")) == [leaf, ca], "\(format)")
        }
    }

    @Test("garbage, a truncated DER file, a damaged PEM block and a key-only PEM are errors")
    func errors() throws {
        let (workspace, leaf, _) = try workspace()
        #expect(throws: CertificateError.self) { try X509Certificate.load(Array("hello".utf8)) }
        #expect(throws: CertificateError.self) { try X509Certificate.load(Array(leaf.der.dropLast(10))) }
        let damaged = leaf.pem().replacingOccurrences(of: "A", with: "*")
        #expect(throws: CertificateError.self) { try X509Certificate.load(Array(damaged.utf8)) }
        #expect(throws: CertificateError.noCertificate) { try X509Certificate.load(try workspace.bytes("leaf.key")) }
    }
}
