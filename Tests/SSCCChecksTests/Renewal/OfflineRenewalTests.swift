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

/// The offline backend end to end, with the `openssl` CLI as the CA that signs the written request.
@Suite struct OfflineRenewalTests {
    /// The working PFX is a symbolic link into a store directory: the renewed certificate replaces the file the
    /// link names, the link stays a link, and undo puts the old certificate back in that file.
    @Test func aSymlinkedWorkingCertificateIsRenewedAtItsTarget() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let store = scene.root.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let target = store.appendingPathComponent("gateway.pfx")
        try FileManager.default.moveItem(at: scene.pfx, to: target)
        try FileManager.default.createSymbolicLink(atPath: scene.pfx.path, withDestinationPath: target.path)
        let oldBytes = try scene.bytes(target)

        #expect(try scene.renewal().renew(using: scene.offlineBackend()).outcome == .waiting)
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let imported = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(imported.outcome == .installed, "\(imported.message?.en ?? "")")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scene.pfx.path) == target.path, "the link is still a link")
        #expect(try scene.bytes(target) != oldBytes, "the file the link names holds the renewed certificate")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path) == ["gateway.pfx"])

        try scene.journal.undoLast()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scene.pfx.path) == target.path)
        #expect(try scene.bytes(target) == oldBytes)
    }

    @Test func requestSignedByOpenSSLIsImportedVerifiedAndArchived() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        let oldCertificate = try #require(try PKCS12Archive.open(oldBytes, password: RenewalWorkspace.password).certificate)

        let requested = try scene.renewal().renew(using: scene.offlineBackend())
        #expect(requested.outcome == .waiting)
        #expect(requested.status == .success)
        #expect(try scene.bytes(scene.pfx) == oldBytes, "a written request changes nothing")
        // The pending key is kept encrypted with the certificate password, readable by its owner only.
        let keyFile = scene.pending.directory.appendingPathComponent("\(RenewalWorkspace.gateway)/pending-key.pem")
        let keyText = try String(contentsOf: keyFile, encoding: .utf8)
        #expect(keyText.contains("BEGIN ENCRYPTED PRIVATE KEY"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let subject = try scene.openssl(["req", "-in", scene.requestFile, "-noout", "-verify", "-subject", "-nameopt", "RFC2253"])
        #expect(subject.contains("CN=\(RenewalWorkspace.gateway)"))

        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let imported = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(imported.outcome == .installed, "\(imported.message?.en ?? "")")
        #expect(imported.status == .success)
        let record = try #require(imported.record)
        #expect(record.oldSerial == oldCertificate.serialNumberHex)
        #expect(record.newNotAfter > record.oldNotAfter)

        // The new PFX opens with the password in the openssl CLI and carries the requested key…
        let newKeyPublic = try scene.openssl(["pkcs12", "-in", scene.pfx.path, "-passin", "file:\(scene.passwordFile.path)", "-nocerts", "-nodes"])
        let fromPFX = try scene.openssl(["pkey", "-pubout"], input: Array(newKeyPublic.utf8))
        let fromRequest = try scene.openssl(["req", "-in", scene.requestFile, "-noout", "-pubkey"])
        #expect(fromPFX == fromRequest)
        // …in the Windows 7 profile by default.
        let info = try scene.pkcs12Info(scene.pfx)
        #expect(info.contains("MAC: sha1"))
        #expect(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"))
        #expect(!info.contains("AES"))
        // The old file is archived byte for byte under its serial, the new one beside it.
        let archivedOld = scene.archive.appendingPathComponent("\(RenewalWorkspace.gateway)#0.\(oldCertificate.serialNumberHex).pfx")
        #expect(try scene.bytes(archivedOld) == oldBytes)
        #expect(scene.archived().count == 2)
        #expect(scene.strays().isEmpty)
        // The renewal is in the journal, with its record.
        let entry = try #require(scene.journal.entries().last)
        #expect(entry.command == "renew (offline)")
        #expect(entry.state == .applied)
        let recorded = scene.journal.directory.appendingPathComponent(entry.id).appendingPathComponent("renewal.json")
        #expect(try String(contentsOf: recorded, encoding: .utf8).contains(record.newSerial))
        // The pending key is gone once its certificate is installed.
        #expect(!FileManager.default.fileExists(atPath: keyFile.path))
        #expect(imported.report.procedure.contains { $0.name == "install" })
        // The report shows the checks run again on the new file, and the renewal as a journalled change.
        let readable = try #require(imported.report.results.first { $0.id == "cert.pfx-readable" })
        #expect(readable.evidence.contains { $0.value == record.newSerial && $0.kind == .serialNumber })
        #expect(readable.evidence.contains { $0.name == "replacedSerial" && $0.value == record.oldSerial })
        let change = try #require(imported.report.fixes.first { $0.checkID == "cert.renewal" }?.changes.first)
        #expect(change.before?.contains(record.oldSerial) == true)
        #expect(change.after?.contains(record.newSerial) == true)

        // Neither the password nor key material reaches the report, the journal or the renewal record.
        let encoder = JSONEncoder()
        let texts = [
            String(decoding: try encoder.encode(requested.report), as: UTF8.self),
            String(decoding: try encoder.encode(imported.report), as: UTF8.self),
            try String(contentsOf: recorded, encoding: .utf8),
            try String(contentsOf: recorded.deletingLastPathComponent().appendingPathComponent("entry.json"), encoding: .utf8),
        ]
        for text in texts {
            #expect(!text.contains(RenewalWorkspace.password))
            #expect(!text.contains("PRIVATE KEY"))
        }
    }

    @Test func pendingRequestForAnEarlierCertificateIsRefused() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        // Meanwhile the working certificate was replaced by another one for the same gateway.
        try scene.signWithOpenSSL(request: scene.path("old.csr"), output: scene.path("other-old.pem"), days: 25)
        try scene.openssl(["pkcs12", "-export", "-inkey", scene.path("old.key"), "-in", scene.path("other-old.pem"),
                           "-name", RenewalWorkspace.gateway, "-passout", "file:\(scene.passwordFile.path)", "-out", scene.pfx.path,
                           "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"])
        let before = try scene.bytes(scene.pfx)
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(result.status == .failure)
        #expect(result.message?.en.contains("pending request was made for") == true)
        #expect(try scene.bytes(scene.pfx) == before)
    }

    @Test func certificateForAnotherKeyIsRefusedAndNothingChanges() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        // Same subject, another key: what a CA mix-up (or a wrong file) looks like.
        try scene.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", scene.path("other.key"), "-out", scene.path("other.csr"),
                           "-subj", "/C=CN/O=Certdoctor Test Securities/CN=\(RenewalWorkspace.gateway)"])
        try scene.signWithOpenSSL(request: scene.path("other.csr"), output: scene.path("other.pem"))
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("other.pem")))
        #expect(result.outcome == .failed)
        #expect(result.status == .dataError)
        #expect(result.message == RenewalError.issuedForAnotherKey.localizedMessage)
        #expect(try scene.bytes(scene.pfx) == oldBytes)
        #expect(scene.archived().isEmpty)
        #expect(scene.strays().isEmpty)
    }

    @Test func certificateWithAnotherSubjectIsRefused() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        // A CA that ignores the requested subject: the certificate carries our key but another gateway's name.
        try scene.openssl(["x509", "-req", "-in", scene.requestFile, "-CA", scene.path("ca.pem"), "-CAkey", scene.path("ca.key"),
                           "-subj", "/C=CN/O=Certdoctor Test Securities/CN=F000111A0001", "-days", "365", "-out", scene.path("renamed.pem")])
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("renamed.pem")))
        #expect(result.status == .dataError)
        #expect(result.message?.en.contains("F000111A0001") == true)
        #expect(try scene.bytes(scene.pfx) == oldBytes)
    }

    @Test func importAcceptsDERAndPKCS7AndModernProfile() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        try scene.openssl(["crl2pkcs7", "-nocrl", "-certfile", scene.path("issued.pem"), "-certfile", scene.path("ca.pem"),
                           "-outform", "DER", "-out", scene.path("issued.p7b")])
        let result = try scene.renewal(profile: .modern).importIssued(URL(fileURLWithPath: scene.path("issued.p7b")))
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        let info = try scene.pkcs12Info(scene.pfx)
        #expect(info.contains("AES-256-CBC"))
        #expect(info.contains("MAC: sha256"))
    }

    @Test func importWithoutPendingRequestSaysSo() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("old.pem")))
        #expect(result.status == .noInput)
        #expect(result.message == RenewalError.noPendingRequest(gateway: RenewalWorkspace.gateway).localizedMessage)
    }

    @Test func givenEncryptedKeyIsUsedForTheRequest() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        try Data("key-secret\n".utf8).write(to: URL(fileURLWithPath: scene.path("keypw")))
        try scene.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                           "-pass", "file:\(scene.path("keypw"))", "-out", scene.path("made-elsewhere.key")])
        let key = try PrivateKey(pem: String(contentsOfFile: scene.path("made-elsewhere.key"), encoding: .utf8), password: "key-secret")
        _ = try scene.renewal().renew(using: scene.offlineBackend(), newKey: key)
        let fromRequest = try scene.openssl(["req", "-in", scene.requestFile, "-noout", "-pubkey"])
        let fromKey = try scene.openssl(["pkey", "-in", scene.path("made-elsewhere.key"), "-passin", "file:\(scene.path("keypw"))", "-pubout"])
        #expect(fromRequest == fromKey)
    }

    /// A new key that came with a strong password is kept with that password, not re-encrypted with the
    /// 6-digit certificate password; completing the renewal asks for it again.
    @Test func aGivenKeyKeepsItsOwnPassword() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let strong = "correct horse battery staple 2026"
        try Data((strong + "\n").utf8).write(to: URL(fileURLWithPath: scene.path("keypw")))
        try scene.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                           "-pass", "file:\(scene.path("keypw"))", "-out", scene.path("strong.key")])
        let key = try PrivateKey(pem: String(contentsOfFile: scene.path("strong.key"), encoding: .utf8), password: strong)
        let requested = try scene.renewal().renew(using: scene.offlineBackend(), newKey: key, newKeyPassword: Secret(strong))
        #expect(requested.outcome == .waiting, "\(requested.message?.en ?? "")")
        let kept = scene.pending.directory.appendingPathComponent("\(RenewalWorkspace.gateway)/pending-key.pem").path
        // The certificate password does not open the kept key; its own password does.
        #expect(throws: (any Error).self) {
            try scene.openssl(["pkey", "-in", kept, "-passin", "file:\(scene.passwordFile.path)", "-noout"])
        }
        _ = try scene.openssl(["pkey", "-in", kept, "-passin", "file:\(scene.path("keypw"))", "-noout"])

        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let withoutPassword = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(withoutPassword.outcome != .installed)
        #expect(withoutPassword.message?.en.contains("--new-key-password-file") == true, "\(withoutPassword.message?.en ?? "")")
        let imported = try scene.renewal().importIssued(
            URL(fileURLWithPath: scene.path("issued.pem")), newKeyPassword: { Secret(strong) })
        #expect(imported.outcome == .installed, "\(imported.message?.en ?? "")")
    }
}

/// Archives are never overwritten, and a renewal needs a key that is really new.
@Suite struct RenewalArchiveTests {
    @Test func anArchiveNameTakenByOtherBytesIsNeverOverwritten() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldBytes = try scene.bytes(scene.pfx)
        let serial = try #require(try PKCS12Archive.open(oldBytes, password: RenewalWorkspace.password).certificate).serialNumberHex
        // An earlier archive of the same certificate in another encoding (say, before a compatibility fix).
        try FileManager.default.createDirectory(at: scene.archive, withIntermediateDirectories: true)
        let taken = scene.archive.appendingPathComponent("\(RenewalWorkspace.gateway)#0.\(serial).pfx")
        let earlier: [UInt8] = Array("an earlier archive".utf8)
        try Data(earlier).write(to: taken)

        _ = try scene.renewal().renew(using: scene.offlineBackend())
        try scene.signWithOpenSSL(request: scene.requestFile, output: scene.path("issued.pem"))
        let result = try scene.renewal().importIssued(URL(fileURLWithPath: scene.path("issued.pem")))
        #expect(result.outcome == .installed, "\(result.message?.en ?? "")")
        #expect(try scene.bytes(taken) == earlier)
        let archivedOld = try #require(result.record?.archivedOld)
        #expect(archivedOld.hasSuffix("#0.\(serial)-2.pfx"))
        #expect(try scene.bytes(URL(fileURLWithPath: archivedOld)) == oldBytes)
    }

    @Test func theOldKeyIsNotANewKey() throws {
        let scene = try RenewalWorkspace()
        defer { scene.remove() }
        try scene.makeOpenSSLCA()
        let oldKey = try PrivateKey(pem: String(contentsOfFile: scene.path("old.key"), encoding: .utf8))
        let result = try scene.renewal().renew(using: scene.offlineBackend(), newKey: oldKey)
        #expect(result.status == .usage)
        #expect(result.message == RenewalError.newKeyIsOldKey.localizedMessage)
        #expect(!FileManager.default.fileExists(atPath: scene.requestFile))
    }
}
