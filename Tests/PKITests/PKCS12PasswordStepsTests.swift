import Foundation
import Testing
@testable import PKI

/// Opening with the password-based steps taken at the same time must read exactly what the pass alone reads,
/// and fail exactly as it fails; the files are `openssl pkcs12 -export`'s in each protection it offers.
@Suite("PKCS12 password steps taken ahead")
struct PKCS12PasswordStepsTests {
    static let password = "Renew-2026!"

    /// (name, export options, how many steps go ahead: the MAC, an encrypted certificate safe, a shrouded key)
    static let files: [(name: String, options: [String], ahead: Int)] = [
        ("modern", [], 3),
        ("legacy-rc2", ["-legacy"], 3),
        ("win7-3des", ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"], 3),
        ("no-mac", ["-nomac"], 1),  // openssl leaves the certificates in clear without a MAC
        ("clear-certificates", ["-certpbe", "NONE"], 2),
        ("clear-key", ["-keypbe", "NONE"], 2),
        ("clear-both-no-mac", ["-keypbe", "NONE", "-certpbe", "NONE", "-nomac"], 0),
        ("certificates-only", ["-nokeys"], 2),
    ]

    static func export(_ workspace: OpenSSLWorkspace, _ name: String, _ options: [String], password: String = password) throws -> [UInt8] {
        try workspace.openssl(["pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "ca.pem",
                               "-name", "证书", "-passout", "env:\(OpenSSLWorkspace.passwordVariable)", "-out", name] + options,
                              password: password)
        return try workspace.bytes(name)
    }

    static func workspace(key: String = "ec") throws -> OpenSSLWorkspace {
        let workspace = try OpenSSLWorkspace()
        try workspace.makeCA()
        try workspace.makeLeaf(key: key)
        return workspace
    }

    /// Both ways, as comparable text: what was read, or the error.
    static func bothWays(_ bytes: [UInt8], password: String) -> (ahead: String, pass: String, taken: Int) {
        func read(_ stepsAhead: Bool) -> (String, Int) {
            do {
                let (contents, taken) = try PKCS12Reader.read(bytes, password: password, stepsAhead: stepsAhead)
                return (describe(contents), taken)
            } catch {
                return ("error \(error)", 0)
            }
        }
        let (ahead, taken) = read(true)
        let (pass, takenByPass) = read(false)
        #expect(takenByPass == 0)
        return (ahead, pass, taken)
    }

    static func describe(_ contents: PKCS12Contents) -> String {
        [
            contents.certificate.map { $0.subject + " " + $0.sha1Thumbprint } ?? "no certificate",
            contents.chain.map(\.sha1Thumbprint).joined(separator: ","),
            contents.privateKey.map { Data($0.pkcs8DER).base64EncodedString() } ?? "no key",
            "\(contents.keyMatchesCertificate)", contents.friendlyName ?? "no name", "\(contents.protection)",
        ].joined(separator: "\n")
    }

    @Test("every protection openssl writes reads the same, and the steps ahead are what the pass took", arguments: files)
    func sameContents(_ file: (name: String, options: [String], ahead: Int)) throws {
        let workspace = try Self.workspace()
        let bytes = try Self.export(workspace, file.name + ".p12", file.options)
        let (ahead, pass, taken) = Self.bothWays(bytes, password: Self.password)
        #expect(!ahead.hasPrefix("error"), "\(ahead)")
        #expect(ahead == pass)
        #expect(taken == file.ahead)
    }

    @Test("an RSA key reads the same (its decoding is a step ahead)")
    func rsaKey() throws {
        let workspace = try Self.workspace(key: "rsa:2048")
        let bytes = try Self.export(workspace, "rsa.p12", [])
        let (ahead, pass, taken) = Self.bothWays(bytes, password: Self.password)
        #expect(!ahead.hasPrefix("error"), "\(ahead)")
        #expect(ahead == pass)
        #expect(taken == 3)
    }

    @Test("a wrong password fails the same way, with a MAC and without", arguments: ["modern", "no-mac", "legacy-rc2"])
    func wrongPassword(_ name: String) throws {
        let workspace = try Self.workspace()
        let options = try #require(Self.files.first { $0.name == name }).options
        let bytes = try Self.export(workspace, name + ".p12", options)
        for wrong in ["Renew-2025!", "", "x"] {
            let (ahead, pass, taken) = Self.bothWays(bytes, password: wrong)
            #expect(ahead == "error wrongPassword")
            #expect(ahead == pass)
            #expect(taken == 0)
        }
    }

    @Test("an empty password is left to the pass, which tells NULL from \"\"")
    func emptyPassword() throws {
        let workspace = try Self.workspace()
        let bytes = try Self.export(workspace, "empty.p12", [], password: "")
        let (ahead, pass, taken) = Self.bothWays(bytes, password: "")
        #expect(!ahead.hasPrefix("error"), "\(ahead)")
        #expect(ahead == pass)
        #expect(taken == 0)
    }

    @Test("a damaged file fails the same way")
    func damaged() throws {
        let workspace = try Self.workspace()
        let good = try Self.export(workspace, "good.p12", ["-nomac"])
        // Flip bytes near the end (inside the key bag's ciphertext) and in the middle (the certificate safe).
        for offset in [good.count - 40, good.count / 2] {
            var bytes = good
            bytes[offset] ^= 0xFF
            let (ahead, pass, _) = Self.bothWays(bytes, password: Self.password)
            #expect(ahead == pass)
        }
    }
}
