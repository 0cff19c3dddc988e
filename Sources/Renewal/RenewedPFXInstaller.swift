import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

#if canImport(Glibc)
import Glibc
#endif

/// Puts a renewed certificate in place of the working one — the same code for every backend. The new PFX is
/// built and verified in memory, both files are archived (`archive/<gateway>#0.<serial>.pfx`, never
/// overwritten or deleted), the new bytes go to a temporary file beside the target, are verified again as read
/// back from disk, and only then renamed over the working file inside a journal entry, so `undo` restores the
/// old certificate while the new one stays archived.
public struct RenewedPFXInstaller: Sendable {
    /// The working certificate as it was before the renewal.
    public struct Working: Sendable {
        public var file: URL
        public var bytes: [UInt8]
        public var certificate: X509Certificate

        public init(file: URL, bytes: [UInt8], certificate: X509Certificate) {
            self.file = file
            self.bytes = bytes
            self.certificate = certificate
        }
    }

    /// What was installed, for the report and the journal.
    public struct Record: Sendable, Codable {
        public var backend: String
        public var sent: String
        public var time: Date
        public var outcome: String
        public var file: String
        public var oldSerial: String
        public var oldNotBefore: Date
        public var oldNotAfter: Date
        public var newSerial: String
        public var newNotBefore: Date
        public var newNotAfter: Date
        public var newIssuer: String
        public var profile: String
        public var archivedOld: String
        public var archivedNew: String
        public var journalEntry: String
    }

    public var journal: Journal
    public var profile: PKCS12Profile
    /// Certificates that may have issued the new one (`--ca-cert`); when one matches the issuer's name, its
    /// signature must verify.
    public var issuerCertificates: [X509Certificate]
    public var suffix: String
    public var fileExtension: String

    public init(
        journal: Journal, profile: PKCS12Profile = .windows7, issuerCertificates: [X509Certificate] = [],
        suffix: String = "#0", fileExtension: String = "pfx"
    ) {
        self.journal = journal
        self.profile = profile
        self.issuerCertificates = issuerCertificates
        self.suffix = suffix
        self.fileExtension = fileExtension
    }

    public func install(
        certificate: X509Certificate, chain: [X509Certificate], key: PrivateKey, replacing working: Working,
        password: Secret, backend: String, sent: String
    ) throws -> Record {
        let gateway = working.certificate.subjectCommonName ?? ""
        let directory = working.file.deletingLastPathComponent()
        let fileName = gateway + suffix + "." + fileExtension
        let target = directory.appendingPathComponent(fileName)
        // R15: the gate's name check already holds; this guards library callers that skipped it.
        guard !gateway.isEmpty, target.standardizedFileURL.path == working.file.standardizedFileURL.path else {
            throw RenewalError.nameRule(expected: fileName, actual: working.file.lastPathComponent)
        }
        let expectation = Expectation(
            certificate: certificate, key: key, commonName: gateway, oldNotAfter: working.certificate.notAfter,
            issuer: working.certificate.issuer, issuerCertificates: issuerCertificates + chain)

        let archive = directory.appendingPathComponent("archive")
        let stem = gateway + suffix
        let archivedOld = archive.appendingPathComponent("\(stem).\(working.certificate.serialNumberHex).\(fileExtension)")
        // A CA must not reuse a serial (RFC 5280), but OpenSSL's CMP mock does; the thumbprint keeps both files.
        let newLabel = certificate.serialNumberHex == working.certificate.serialNumberHex
            ? "\(certificate.serialNumberHex)-\(certificate.sha1Thumbprint.prefix(8))" : certificate.serialNumberHex
        let archivedNew = archive.appendingPathComponent("\(stem).\(newLabel).\(fileExtension)")

        let bytes: [UInt8]
        if let earlier = try? readBytes(archivedNew), (try? expectation.verify(earlier, password: password)) != nil {
            // An interrupted run already archived this very certificate with its key; archives are never
            // overwritten, so that file is the one to install.
            bytes = earlier
        } else {
            do {
                bytes = try PKCS12Archive.create(
                    certificate: certificate, privateKey: key, chain: chain, password: password.reveal(), friendlyName: gateway,
                    profile: profile)
            } catch {
                throw RenewalError.verificationFailed(reason: error.renewalMessage)
            }
            try expectation.verify(bytes, password: password)
        }
        let oldArchive = try ArchiveFile.store(working.bytes, at: archivedOld)
        // The new file is archived before it replaces the working one, so that `undo` (which restores the old
        // file as the working one) never loses the renewed certificate.
        let newArchive = try ArchiveFile.store(bytes, at: archivedNew)

        let record = { (entry: String) in
            Record(
                backend: backend, sent: sent, time: Date(), outcome: "installed", file: target.path,
                oldSerial: working.certificate.serialNumberHex, oldNotBefore: working.certificate.notBefore,
                oldNotAfter: working.certificate.notAfter, newSerial: certificate.serialNumberHex,
                newNotBefore: certificate.notBefore, newNotAfter: certificate.notAfter, newIssuer: certificate.issuer,
                profile: profile == .windows7 ? "windows7" : "modern", archivedOld: oldArchive.path,
                archivedNew: newArchive.path, journalEntry: entry)
        }
        let description = Localized(
            zh: "\(fileName)：序列号 \(working.certificate.serialNumberHex)（至 \(Self.day(working.certificate.notAfter))）→ \(certificate.serialNumberHex)（至 \(Self.day(certificate.notAfter))），经 \(backend) 更新",
            en: "\(fileName): serial \(working.certificate.serialNumberHex) (until \(Self.day(working.certificate.notAfter))) → \(certificate.serialNumberHex) (until \(Self.day(certificate.notAfter))), renewed through \(backend)")
        let oldBytes = working.bytes
        let stepError = StepError()
        let step = FixStep(
            description: description, touches: [target], seen: [SeenFile(target, bytes: oldBytes)], changesFilesItself: true,
            preflight: {
                // The gate read this file; a file changed since then is not the one the user meant to renew.
                guard (try? readBytes(target)) == oldBytes else {
                    throw RenewalError.oldCertificateUnreadable(reason: "\(target.path) changed during the renewal")
                }
            },
            apply: { _ in
                do {
                    // Through a link to the file it names, as the journal backed it up: the link stays a link.
                    try Self.replace(Journal.resolvingLinks(target), with: bytes, verifiedBy: expectation, password: password)
                } catch {
                    stepError.set(error)
                    throw error
                }
            })
        let plan = FixPlan(
            checkID: "renewal", summary: Localized(zh: "安装更新后的证书", en: "install the renewed certificate"), steps: [step])
        let application = try journal.apply([plan], command: "renew (\(backend))")
        if let failure = application.errors["renewal"] {
            throw stepError.value ?? RenewalError.cannotWrite(path: target.path, reason: failure)
        }
        let installed = record(application.entry.id)
        try saveRecord(installed, entry: application.entry.id)
        return installed
    }

    /// The record beside the journal entry, as JSON, so the journal says what the renewal was.
    private func saveRecord(_ record: Record, entry: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let file = journal.directory.appendingPathComponent(entry).appendingPathComponent("renewal.json")
        try AtomicFile.write(Array(try encoder.encode(record)), to: file, forcedMode: 0o600)
    }

    /// Temporary file beside the target, read back and verified, then renamed: a crash leaves the old file
    /// whole and at most a `.certdoctor-tmp-` leftover, which the next journal entry removes.
    static func replace(_ target: URL, with bytes: [UInt8], verifiedBy expectation: Expectation, password: Secret) throws {
        let temporary = try AtomicFile.Temporary(bytes, replacing: target)
        try expectation.verify(try temporary.readBack(), password: password)
        FaultInjection.trigger(.renewalBeforeRename)
        try temporary.rename()
    }

    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }
}

/// The journal reports a step's failure as text; this keeps the typed error so its exit code survives.
final class StepError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func set(_ error: any Error) { lock.withLock { self.error = error } }
    var value: (any Error)? { lock.withLock { error } }
}

/// What the new PFX must be: it opens with the password, holds the new key and certificate (key matching),
/// keeps the gateway's CN, ends later than the old one, and comes from the old certificate's issuer.
struct Expectation: Sendable {
    var certificate: X509Certificate
    var key: PrivateKey
    var commonName: String
    var oldNotAfter: Date
    var issuer: String
    var issuerCertificates: [X509Certificate]

    func verify(_ bytes: [UInt8], password: Secret) throws(RenewalError) {
        let contents: PKCS12Contents
        do {
            contents = try PKCS12Archive.open(bytes, password: password.reveal())
        } catch {
            throw .verificationFailed(reason: Localized(zh: "无法用密码打开：", en: "it does not open with the password: ") + error.renewalMessage)
        }
        guard let stored = contents.certificate, stored == certificate else {
            throw .verificationFailed(reason: Localized(zh: "其中的证书不是签发的证书", en: "it does not hold the issued certificate"))
        }
        guard contents.keyMatchesCertificate, let storedKey = contents.privateKey, storedKey.publicKeyDER == key.publicKeyDER else {
            throw .verificationFailed(reason: Localized(zh: "私钥与证书不匹配", en: "its key does not match the certificate"))
        }
        guard stored.subjectCommonName == commonName else {
            throw .verificationFailed(reason: Localized(
                zh: "CN 为“\(stored.subjectCommonName ?? "")”，应为 \(commonName)",
                en: "its CN is '\(stored.subjectCommonName ?? "")', not \(commonName)"))
        }
        guard stored.notAfter > oldNotAfter else {
            throw .verificationFailed(reason: Localized(
                zh: "新证书的有效期（\(RenewedPFXInstaller.day(stored.notAfter))）不晚于旧证书（\(RenewedPFXInstaller.day(oldNotAfter))）",
                en: "it expires (\(RenewedPFXInstaller.day(stored.notAfter))) no later than the old one (\(RenewedPFXInstaller.day(oldNotAfter)))"))
        }
        guard stored.issuer == issuer else {
            throw .verificationFailed(reason: Localized(
                zh: "签发者“\(stored.issuer)”不是原证书的签发者“\(issuer)”",
                en: "its issuer '\(stored.issuer)' is not the old certificate's issuer '\(issuer)'"))
        }
        let named = issuerCertificates.filter { $0.subject == issuer }
        if !named.isEmpty, !named.contains(where: { stored.verifySignature(issuedBy: $0) }) {
            throw .verificationFailed(reason: Localized(
                zh: "证书签名无法用签发者证书验证", en: "its signature does not verify with the issuer's certificate"))
        }
    }
}

/// `archive/` files: written whole under a temporary name, then linked to their final name, which fails when
/// that name exists, so an archive is never overwritten (and a full disk leaves no partial archive).
enum ArchiveFile {
    /// Stores `bytes` under `url`'s name, or — when that name already holds other bytes (the same certificate
    /// re-encoded since an earlier, undone renewal) — under `<name>-2`, `-3`, …; returns where they are.
    @discardableResult
    static func store(_ bytes: [UInt8], at url: URL) throws -> URL {
        let directory = url.deletingLastPathComponent()
        try AtomicFile.createDirectories(directory, mode: 0o700)
        AtomicFile.removeLeftovers(in: directory)
        let stem = url.deletingPathExtension().lastPathComponent
        let candidates = [url] + (2...99).map {
            directory.appendingPathComponent("\(stem)-\($0)").appendingPathExtension(url.pathExtension)
        }
        let temporary = try AtomicFile.Temporary(bytes, replacing: url, forcedMode: 0o600)
        for candidate in candidates {
            if let existing = try? readBytes(candidate) {
                if existing == bytes { return candidate }
                continue
            }
            if try temporary.link(as: candidate) { return candidate }
        }
        throw RenewalError.archiveConflict(path: url.path)
    }
}
