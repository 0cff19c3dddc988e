import Foundation
import Testing
@testable import PKI

@Suite("PrivateKey")
struct PrivateKeyTests {
    static let password = "new-key-pw-2026"

    /// The SubjectPublicKeyInfo openssl derives from a PEM key file (encrypted or not).
    private func cliPublicKey(_ workspace: OpenSSLWorkspace, _ name: String, password: String? = nil) throws -> [UInt8] {
        var arguments = ["pkey", "-in", name, "-pubout", "-outform", "DER", "-out", "\(name).spki"]
        if password != nil { arguments += ["-passin", "env:\(OpenSSLWorkspace.passwordVariable)"] }
        try workspace.openssl(arguments, password: password)
        return try workspace.bytes("\(name).spki")
    }

    @Test("generate, export encrypted (PKCS#8, AES-256) and read back", arguments: [
        (PrivateKey.Kind.rsa(bits: 2048), "RSA", 2048),
        (PrivateKey.Kind.ecP256, "EC", 256),
    ])
    func generateAndExport(kind: PrivateKey.Kind, algorithm: String, bits: Int) throws {
        let key = try PrivateKey.generate(kind)
        #expect(key.algorithm == algorithm)
        #expect(key.bits == bits)
        let pem = try key.pem(encryptedWith: Self.password)
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))

        let workspace = try OpenSSLWorkspace()
        try workspace.write(pem, to: "new.key")
        #expect(try cliPublicKey(workspace, "new.key", password: Self.password) == key.publicKeyDER)
        let structure = try workspace.openssl(["asn1parse", "-in", "new.key"])
        #expect(structure.contains("PBES2"))
        #expect(structure.contains("PBKDF2"))
        #expect(structure.contains("aes-256-cbc"))

        #expect(try PrivateKey(pem: pem, password: Self.password).publicKeyDER == key.publicKeyDER)
        #expect(throws: PrivateKeyError.wrongPassword) { try PrivateKey(pem: pem, password: "nope") }
        #expect(throws: PrivateKeyError.passwordRequired) { try PrivateKey(pem: pem) }
        #expect(throws: PrivateKeyError.passwordRequired) { try key.pem(encryptedWith: "") }
    }

    @Test("two generated keys differ")
    func freshKeys() throws {
        #expect(try PrivateKey.generate(.ecP256).publicKeyDER != (try PrivateKey.generate(.ecP256).publicKeyDER))
    }

    /// Key files as openssl writes them: PKCS#8 plain and encrypted, and the traditional RSA/EC forms
    /// with Proc-Type/DEK-Info encryption.
    @Test("reads the PEM key forms openssl writes", arguments: [
        ("PKCS#8", ["pkey", "-in", "rsa.key"], false),
        ("PKCS#8 encrypted", ["pkey", "-in", "rsa.key", "-aes256"], true),
        ("traditional RSA", ["rsa", "-in", "rsa.key", "-traditional"], false),
        ("traditional RSA encrypted", ["rsa", "-in", "rsa.key", "-traditional", "-aes256"], true),
        ("traditional EC encrypted", ["ec", "-in", "ec.key", "-aes256"], true),
    ])
    func readsOpenSSLForms(form: String, command: [String], encrypted: Bool) throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key"])
        try workspace.makeKey("ec")
        let passArguments = encrypted ? ["-passout", "env:\(OpenSSLWorkspace.passwordVariable)"] : []
        try workspace.openssl(command + passArguments + ["-out", "form.key"], password: Self.password)
        let pem = try workspace.text("form.key")
        if form.hasPrefix("traditional") { #expect(!pem.contains("BEGIN PRIVATE KEY"), "\(form)") }

        let key = try PrivateKey(pem: pem, password: encrypted ? Self.password : nil)
        #expect(key.publicKeyDER == (try cliPublicKey(workspace, "form.key", password: encrypted ? Self.password : nil)))
        #expect(key.algorithm == (form.contains("EC") ? "EC" : "RSA"))
        if encrypted {
            #expect(throws: PrivateKeyError.wrongPassword) { try PrivateKey(pem: pem, password: "Wrong-password-1") }
            #expect(throws: PrivateKeyError.passwordRequired) { try PrivateKey(pem: pem) }
        } else {
            #expect(try PrivateKey(pem: pem, password: "ignored").publicKeyDER == key.publicKeyDER)
        }
    }

    @Test("not a key: malformed")
    func malformed() throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        #expect(throws: PrivateKeyError.self) { try PrivateKey(pem: "hello") }
        #expect(throws: PrivateKeyError.self) { try PrivateKey(pem: try workspace.text("ca.pem")) }
    }

    @Test("printing or mirroring a key shows no key material")
    func noLeaks() throws {
        let key = try PrivateKey.generate(.ecP256)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), dumped, "\(key)"] {
            #expect(text.contains("EC 256"))
            #expect(!text.contains("pkcs8"))
            #expect(!text.contains(String(describing: key.pkcs8DER.prefix(8))))
        }
    }
}

@Suite("CertificateRequest")
struct CertificateRequestTests {
    @Test("repeats the certificate's exact subject, carries the new key, verifies with openssl", arguments: [
        PrivateKey.Kind.rsa(bits: 2048), .ecP256,
    ])
    func renewalRequest(kind: PrivateKey.Kind) throws {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf(key: "rsa:2048")
        let old = try workspace.loadCertificate("leaf.pem")
        let newKey = try PrivateKey.generate(kind)
        let request = try CertificateRequest(subjectOf: old, key: newKey)

        #expect(request.subject == old.subject)
        #expect(request.publicKeyDER == newKey.publicKeyDER)
        // The Name is copied as DER: string types and UTF-8 bytes are identical.
        #expect(request.der.indices.contains { request.der[$0...].starts(with: old.subjectNameDER) })

        try workspace.write(request.pem(), to: "new.csr")
        let verify = try workspace.openssl(["req", "-in", "new.csr", "-noout", "-verify"])
        #expect(verify.contains("verify OK"))
        let subject = try workspace.openssl(["req", "-in", "new.csr", "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb"])
        #expect(subject == "subject=\(old.subject)\n")
        try workspace.openssl(["req", "-in", "new.csr", "-noout", "-pubkey", "-out", "csr-pub.pem"])
        try workspace.openssl(["pkey", "-pubin", "-in", "csr-pub.pem", "-outform", "DER", "-out", "csr-pub.der"])
        #expect(try workspace.bytes("csr-pub.der") == newKey.publicKeyDER)
        let text = try workspace.openssl(["req", "-in", "new.csr", "-noout", "-text"])
        #expect(text.contains(kind == .ecP256 ? "ecdsa-with-SHA256" : "sha256WithRSAEncryption"))

        try workspace.openssl(["req", "-in", "new.csr", "-outform", "DER", "-out", "new.csr.der"])
        #expect(try workspace.bytes("new.csr.der") == request.der)
    }
}
