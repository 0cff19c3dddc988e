import Foundation
import Testing
@testable import PKI

/// Fixtures: a CA and an RSA-2048 leaf with a Chinese subject, exported by the `openssl` CLI.
private struct PFXFixture {
    static let password = "Renew-2026!"
    static let friendlyName = "张三的证书"

    let workspace: OpenSSLWorkspace
    let leaf: X509Certificate
    let ca: X509Certificate

    init(key: String = "rsa:2048") throws {
        workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf(key: key)
        leaf = try workspace.loadCertificate("leaf.pem")
        ca = try workspace.loadCertificate("ca.pem")
    }

    /// `openssl pkcs12 -export` of leaf + key + CA with `options`; returns the file's bytes.
    func export(_ name: String, _ options: [String] = [], password: String = Self.password) throws -> [UInt8] {
        try workspace.openssl(["pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "ca.pem",
                               "-name", Self.friendlyName, "-passout", "env:\(OpenSSLWorkspace.passwordVariable)",
                               "-out", name] + options, password: password)
        return try workspace.bytes(name)
    }

    /// `openssl pkcs12 -info` of a file, for asserting on what an independent reader sees.
    func info(_ name: String, password: String = Self.password) throws -> String {
        try workspace.openssl(["pkcs12", "-info", "-noout", "-in", name,
                               "-passin", "env:\(OpenSSLWorkspace.passwordVariable)"], password: password)
    }
}

@Suite("PKCS12Archive.open")
struct PKCS12OpenTests {
    @Test("OpenSSL 3 default file: PBES2/AES-256, SHA-256 MAC, not for Windows 7")
    func modernFile() throws {
        let fixture = try PFXFixture()
        let contents = try PKCS12Archive.open(try fixture.export("modern.p12"), password: PFXFixture.password)
        #expect(contents.certificate == fixture.leaf)
        #expect(contents.chain == [fixture.ca])
        #expect(contents.privateKey?.algorithm == "RSA")
        #expect(contents.privateKey?.bits == 2048)
        #expect(contents.privateKey?.publicKeyDER == fixture.leaf.publicKeyDER)
        #expect(contents.keyMatchesCertificate)
        #expect(contents.friendlyName == PFXFixture.friendlyName)
        #expect(contents.protection == PKCS12Protection(
            certificateBagAlgorithm: "PBES2/PBKDF2/AES-256-CBC", keyBagAlgorithm: "PBES2/PBKDF2/AES-256-CBC",
            macAlgorithm: "sha256", macIterations: 2048, usesLegacyProvider: false))
        #expect(!contents.protection.windows7Compatible)
    }

    @Test("3DES bags with a SHA-1 MAC: Windows 7 compatible, no legacy provider needed")
    func tripleDESFile() throws {
        let fixture = try PFXFixture()
        let bytes = try fixture.export("win7.p12", ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"])
        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(contents.keyMatchesCertificate)
        #expect(contents.protection == PKCS12Protection(
            certificateBagAlgorithm: "pbeWithSHA1And3-KeyTripleDES-CBC", keyBagAlgorithm: "pbeWithSHA1And3-KeyTripleDES-CBC",
            macAlgorithm: "sha1", macIterations: 2048, usesLegacyProvider: false))
        #expect(contents.protection.windows7Compatible)
    }

    @Test("RC2-40 certificate bag (-legacy) opens through the legacy provider", arguments: [
        ["-legacy"],
        ["-certpbe", "PBE-SHA1-RC2-40", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-provider", "legacy", "-provider", "default"],
    ])
    func rc2File(options: [String]) throws {
        let fixture = try PFXFixture()
        let contents = try PKCS12Archive.open(try fixture.export("rc2.p12", options), password: PFXFixture.password)
        #expect(contents.certificate == fixture.leaf)
        #expect(contents.keyMatchesCertificate)
        #expect(contents.protection.certificateBagAlgorithm == "pbeWithSHA1And40BitRC2-CBC")
        #expect(contents.protection.keyBagAlgorithm == "pbeWithSHA1And3-KeyTripleDES-CBC")
        #expect(contents.protection.macAlgorithm == "sha1")
        #expect(contents.protection.usesLegacyProvider)
        #expect(contents.protection.windows7Compatible)
    }

    @Test("wrong password is told apart from damage, and no detail carries the password")
    func wrongPassword() throws {
        let fixture = try PFXFixture(key: "ec")
        let bytes = try fixture.export("modern.p12")
        #expect(throws: PKCS12Error.wrongPassword) { try PKCS12Archive.open(bytes, password: "Renew-2025!") }
        #expect(throws: PKCS12Error.wrongPassword) { try PKCS12Archive.open(bytes, password: "") }
    }

    @Test("a file without a MAC: a wrong password shows when decrypting")
    func noMAC() throws {
        let fixture = try PFXFixture(key: "ec")
        let bytes = try fixture.export("nomac.p12", ["-nomac"])
        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(contents.protection.macAlgorithm == nil)
        #expect(contents.protection.macIterations == nil)
        #expect(!contents.protection.windows7Compatible)
        #expect(contents.keyMatchesCertificate)
        #expect(throws: PKCS12Error.wrongPassword) { try PKCS12Archive.open(bytes, password: "not it") }
    }

    @Test("an empty password, as OpenSSL and Windows write it")
    func emptyPassword() throws {
        let fixture = try PFXFixture(key: "ec")
        let bytes = try fixture.export("empty.p12", password: "")
        let contents = try PKCS12Archive.open(bytes, password: "")
        #expect(contents.keyMatchesCertificate)
        #expect(throws: PKCS12Error.wrongPassword) { try PKCS12Archive.open(bytes, password: "x") }
    }

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case empty, truncated, randomBytes, pemRenamedToPFX, trailingGarbage
        var testDescription: String { rawValue }
    }

    @Test("damaged or wrong files are corrupt", arguments: Damage.allCases)
    func corrupt(_ damage: Damage) throws {
        let fixture = try PFXFixture(key: "ec")
        let good = try fixture.export("good.p12")
        let bytes: [UInt8] = switch damage {
        case .empty: []
        case .truncated: Array(good.prefix(good.count / 2))
        case .randomBytes: (0..<2048).map { _ in UInt8.random(in: 0...255) }
        case .pemRenamedToPFX: try fixture.workspace.bytes("leaf.pem")
        case .trailingGarbage: good + Array("\r\n-- appended by a mail gateway --\r\n".utf8)
        }
        do {
            _ = try PKCS12Archive.open(bytes, password: PFXFixture.password)
            Issue.record("\(damage) opened")
        } catch {
            guard case .corrupt(let detail) = error else {
                Issue.record("\(damage): expected corrupt, got \(error)")
                return
            }
            #expect(!detail.contains(PFXFixture.password))
            #expect(!(error.errorDescription ?? "").contains(PFXFixture.password))
            switch damage {
            case .pemRenamedToPFX: #expect(detail.contains("PEM"))
            case .trailingGarbage: #expect(detail.contains("trailing"))
            default: break
            }
        }
    }

    @Test("a PBE algorithm no provider has is unsupported, not corrupt or a wrong password")
    func unsupportedAlgorithm() throws {
        let fixture = try PFXFixture(key: "ec")
        // Without a MAC nothing covers the algorithm identifiers, so one can be changed in place:
        // pbeWithSHA1And3-KeyTripleDES-CBC (1.2.840.113549.1.12.1.3) becomes the unassigned …1.12.1.7.
        var bytes = try fixture.export("nomac.p12", ["-nomac", "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES"])
        let oid: [UInt8] = [0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01, 0x03]
        let start = try #require(bytes.indices.first { bytes[$0...].starts(with: oid) })
        bytes[start + oid.count - 1] = 0x07
        #expect {
            try PKCS12Archive.open(bytes, password: PFXFixture.password)
        } throws: { error in
            guard case PKCS12Error.unsupportedAlgorithm(let detail) = error else { return false }
            return detail.contains("1.2.840.113549.1.12.1.7") && !detail.contains(PFXFixture.password)
        }
    }

    @Test("a key that does not belong to the certificate")
    func mismatchedKey() throws {
        let fixture = try PFXFixture(key: "ec")
        try fixture.workspace.makeKey("stranger")
        let stranger = try fixture.workspace.loadKey("stranger.key")
        #expect(!stranger.matches(fixture.leaf))
        #expect(throws: PKCS12Error.keyDoesNotMatchCertificate) {
            try PKCS12Archive.create(certificate: fixture.leaf, privateKey: stranger, password: PFXFixture.password)
        }
        let bytes = try PKCS12Archive.assemble(certificate: fixture.leaf, privateKey: stranger, chain: [fixture.ca],
                                               password: PFXFixture.password, friendlyName: "mismatch", profile: .modern)
        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(!contents.keyMatchesCertificate)
        #expect(contents.certificate == fixture.leaf)  // by localKeyID
        #expect(contents.chain == [fixture.ca])
        #expect(contents.privateKey?.publicKeyDER == stranger.publicKeyDER)
    }

    @Test("a certificate-only file has no key and no match")
    func certificatesOnly() throws {
        let fixture = try PFXFixture(key: "ec")
        let bytes = try fixture.export("nokeys.p12", ["-nokeys"])
        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(contents.privateKey == nil)
        #expect(contents.certificate == fixture.leaf)
        #expect(contents.chain == [fixture.ca])
        #expect(!contents.keyMatchesCertificate)
        #expect(contents.protection.keyBagAlgorithm == nil)
    }

    @Test("many opens in parallel load the providers once and agree")
    func parallelOpens() async throws {
        let fixture = try PFXFixture(key: "ec")
        let bytes = try fixture.export("rc2.p12", ["-legacy"])
        let expected = fixture.leaf
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for _ in 0..<16 {
                group.addTask {
                    (try? PKCS12Archive.open(bytes, password: PFXFixture.password))?.certificate == expected
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 16))
    }
}

@Suite("PKCS12Archive.create")
struct PKCS12CreateTests {
    @Test("windows7 profile: openssl sees a SHA-1 MAC and 3DES bags, and reads the same cert and key")
    func windows7() throws {
        let fixture = try PFXFixture()
        let key = try fixture.workspace.loadKey("leaf.key")
        let bytes = try PKCS12Archive.create(certificate: fixture.leaf, privateKey: key, chain: [fixture.ca],
                                             password: PFXFixture.password, friendlyName: PFXFixture.friendlyName,
                                             profile: .windows7)
        try fixture.workspace.write(bytes, to: "out.pfx")
        let info = try fixture.info("out.pfx")
        #expect(info.contains("MAC: sha1, Iteration 2048"))
        #expect(info.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"))
        #expect(info.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"))
        #expect(!info.contains("AES"))

        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(contents.protection.windows7Compatible)
        #expect(contents.friendlyName == PFXFixture.friendlyName)
        #expect(contents.certificate == fixture.leaf)
        #expect(contents.chain == [fixture.ca])
        #expect(contents.keyMatchesCertificate)

        // The name is stored as a BMPString (UTF-16BE), which is what Windows shows; the key bag's copy sits in
        // the unencrypted safe. (`openssl pkcs12` itself prints non-ASCII BMPStrings garbled.)
        let utf16BE = PFXFixture.friendlyName.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(bytes.indices.contains { bytes[$0...].starts(with: [0x1E, UInt8(utf16BE.count)] + utf16BE) })

        // An independent reader gets the same certificate and key back.
        let extracted = try fixture.workspace.openssl(
            ["pkcs12", "-in", "out.pfx", "-passin", "env:\(OpenSSLWorkspace.passwordVariable)", "-nodes", "-clcerts"],
            password: PFXFixture.password)
        #expect(try X509Certificate.load(Array(extracted.utf8)) == [fixture.leaf])
        #expect(try PrivateKey(pem: extracted).publicKeyDER == key.publicKeyDER)
    }

    @Test("modern profile: AES-256-CBC bags and a SHA-256 MAC")
    func modern() throws {
        let fixture = try PFXFixture(key: "ec")
        let key = try fixture.workspace.loadKey("leaf.key")
        let bytes = try PKCS12Archive.create(certificate: fixture.leaf, privateKey: key, password: PFXFixture.password)
        try fixture.workspace.write(bytes, to: "out.p12")
        let info = try fixture.info("out.p12")
        #expect(info.contains("MAC: sha256, Iteration 2048"))
        #expect(info.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"))
        #expect(info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"))
        let contents = try PKCS12Archive.open(bytes, password: PFXFixture.password)
        #expect(!contents.protection.windows7Compatible)
        #expect(contents.friendlyName == nil)
        #expect(contents.chain.isEmpty)
        #expect(contents.keyMatchesCertificate)
    }

    @Test("a non-ASCII password means the same to openssl and to us")
    func nonASCIIPassword() throws {
        let fixture = try PFXFixture(key: "ec")
        let password = "证书密码-Pässwort"
        let fromCLI = try fixture.export("cli.p12", password: password)
        #expect(try PKCS12Archive.open(fromCLI, password: password).keyMatchesCertificate)
        let key = try fixture.workspace.loadKey("leaf.key")
        try fixture.workspace.write(try PKCS12Archive.create(certificate: fixture.leaf, privateKey: key,
                                                             password: password, profile: .windows7), to: "ours.p12")
        #expect(try fixture.info("ours.p12", password: password).contains("MAC: sha1"))
    }
}
