import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// What `renew --token` with the offline backend is told: how the new pair is chosen and where the request goes.
/// The token is the pending store: the new pair stays there as `<gateway>.pending` until `--import`.
public struct TokenOfflineRequest: Sendable {
    public var keyBits: Int
    /// `--token-new-key-id`: a pair the vendor's tool generated on the token, instead of a new one.
    public var givenKeyID: [UInt8]?
    /// `--request-out`; nil writes `<gateway>.csr.pem` in the current directory.
    public var requestFile: URL?
    /// The complete `certdoctor renew --token --import FILE …` command for a certificate saved at the given place,
    /// so that the instructions print one that works when pasted.
    public var importCommand: @Sendable (URL) -> String

    public init(
        keyBits: Int = 2048, givenKeyID: [UInt8]? = nil, requestFile: URL? = nil,
        importCommand: @escaping @Sendable (URL) -> String = { "certdoctor renew --token --import '\($0.path)'" }
    ) {
        self.keyBits = keyBits
        self.givenKeyID = givenKeyID
        self.requestFile = requestFile
        self.importCommand = importCommand
    }
}

/// What `renew --token --import FILE` is told: the certificate the CA issued for the pending pair, and the CA it
/// must chain to.
public struct TokenImportRequest: Sendable {
    public var issuedFile: URL
    public var caCertificate: X509Certificate
    public var removeOld: Bool

    public init(issuedFile: URL, caCertificate: X509Certificate, removeOld: Bool = false) {
        self.issuedFile = issuedFile
        self.caCertificate = caCertificate
        self.removeOld = removeOld
    }
}

extension CertificateRenewal {
    /// The manual's 线下更新 for the hardware certificate: the gate, the new pair on the token (``TokenRenewalKey``:
    /// made, the pending one reused, or the given one), and a PKCS#10 request under the old certificate's subject
    /// signed on the token with the new key, written for the person to take to the CA.
    public func requestTokenCertificate(
        _ request: TokenOfflineRequest, fix: (([FixPlan]) -> Bool)? = nil, progress: @escaping RenewalProgress = { _ in }
    ) -> RenewalResult {
        onGatedToken(fix: fix, progress: progress) { session, target, log, gate, started in
            let old = try TokenKeyUpdate.oldCertificate(in: session, gateway: target.gateway)
            let key = try TokenRenewalKey.prepare(
                in: session, gateway: target.gateway, oldID: old.id, bits: request.keyBits, given: request.givenKeyID)
            log.add("key", key.origin.rawValue, Self.describe(key))
            if key.origin == .given { try Self.markPending(key.id, in: session, gateway: target.gateway, log: log) }
            let signer = try TokenCertificateInstaller.tokenKey(session, id: key.id)
            let csr: CertificateRequest
            do {
                csr = try CertificateRequest(subjectOf: old.certificate, key: signer)
            } catch {
                throw RenewalError.requestFailed(reason: signer.lastSigningFailure ?? error.localizedDescription)
            }
            let output = request.requestFile
                ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("\(target.gateway).csr.pem")
            try Self.writeRequest(csr, to: output)
            log.add("request", "written", Localized(
                zh: "证书申请（由令牌中的新密钥签名）已写入 \(output.path)",
                en: "certificate request (signed on the token with the new key) written to \(output.path)"))
            let issued = output.deletingLastPathComponent().appendingPathComponent("\(target.gateway).cer")
            let command = request.importCommand(issued)
            let pending = TokenLabels.pending(gateway: target.gateway)
            let instructions = Localized(
                zh: "请将 \(output.path) 提交给 CA；新密钥对留在令牌中（\(pending)），请勿删除。拿到签发的证书（.pem/.cer/.p7b）后保存为 \(issued.path)，再运行（--ca-cert 为 CA 证书）：\(command)",
                en: "Submit \(output.path) to the CA; the new key pair stays on the token (\(pending)): do not delete it. When the CA issues the certificate (.pem/.cer/.p7b), save it as \(issued.path) and run (--ca-cert: the CA's certificate): \(command)")
            let outcome = RenewalOutcome.waiting(retryAfter: nil, instructions: instructions)
            log.add("backend", outcome.name, instructions)
            return finish(log, gate: gate, started: started, status: outcome.ending, outcome: RenewalEnding(outcome), message: instructions)
        }
    }

    /// Completes the token's offline renewal: the issued certificate must carry the pending pair's key and the old
    /// subject; then the installer verifies it against the CA and puts it in place, each step journaled as the
    /// key update's are, so `undo` and `--remove-old` work the same.
    public func importTokenCertificate(
        _ request: TokenImportRequest, fix: (([FixPlan]) -> Bool)? = nil, progress: @escaping RenewalProgress = { _ in }
    ) -> RenewalResult {
        onGatedToken(fix: fix, progress: progress) { session, target, log, gate, started in
            let old = try TokenKeyUpdate.oldCertificate(in: session, gateway: target.gateway)
            let pendingID = try Self.pendingPair(in: session, gateway: target.gateway)
            let key = try TokenCertificateInstaller.tokenKey(session, id: pendingID)
            let issued = try Self.issuedCertificate(
                in: request.issuedFile, carrying: key.publicKeyDER, subject: old.certificate.subject).issued
            log.add("import", "issued", Localized(
                zh: "已读取签发的证书（序列号 \(issued.serialNumberHex)）\(request.issuedFile.lastPathComponent)，对应令牌中的待用密钥对（CKA_ID \(PKCS11Session.hexID(pendingID))）",
                en: "read the issued certificate (serial \(issued.serialNumberHex)) from \(request.issuedFile.lastPathComponent), for the pending key pair on the token (CKA_ID \(PKCS11Session.hexID(pendingID)))"))
            let steps = TokenRelabelJournal(journal: journal, target: target)
            let installer = TokenCertificateInstaller(
                session: session, gateway: target.gateway, issuerCertificates: [request.caCertificate],
                onRecordChange: { _, record in try steps.record(record) })
            let record = try installer.install(
                issued, newKeyID: pendingID, replacing: old.certificate, oldID: old.id, removeOld: request.removeOld)
            return installed(record, on: target, journaled: steps, log: log, gate: gate, started: started)
        }
    }

    /// The CKA_ID of the one pair the offline request left as `<gateway>.pending`, still without a certificate.
    static func pendingPair(in session: PKCS11Session, gateway: String) throws -> [UInt8] {
        guard let id = try TokenRenewalKey.pendingID(among: try session.objects(), gateway: gateway) else {
            throw RenewalError.noPendingTokenPair(gateway: gateway)
        }
        return id
    }

    /// A pair given with `--token-new-key-id` takes the pending name, so that `--import` finds it as it finds a pair
    /// the request made; a pending pair of an earlier request is not pushed aside for it.
    static func markPending(_ id: [UInt8], in session: PKCS11Session, gateway: String, log: StepLog) throws {
        let label = TokenLabels.pending(gateway: gateway)
        let objects = try session.objects()
        if let other = objects.first(where: { $0.objectClass == .privateKey && $0.label == label && $0.id != id }) {
            throw RenewalError.tokenKeyUnusable(reason: Localized(
                zh: "令牌中已有上次申请留下的待用密钥 \(label)（CKA_ID \(PKCS11Session.hexID(other.id))）：请先导入其证书，或用厂商工具删除它，再使用 --token-new-key-id",
                en: "the token already holds the pending pair \(label) of an earlier request (CKA_ID \(PKCS11Session.hexID(other.id))): import its certificate, or delete it with the vendor's tool, before using --token-new-key-id"))
        }
        guard objects.contains(where: { $0.id == id && $0.label != label }) else { return }
        _ = try session.relabel(id: id, to: label)
        log.add("key", "named", Localized(
            zh: "该密钥对改名为 \(label)，等待导入签发的证书", en: "the pair is named \(label) until the issued certificate is imported"))
    }

    /// Writes the request as the file renewal does (atomically, readable by the person who takes it to the CA), but
    /// never in place of a different file: the same request again (the pending pair reused) is no change, another
    /// one may be the request the CA is working on.
    static func writeRequest(_ csr: CertificateRequest, to output: URL) throws {
        let bytes = Array(csr.pem().utf8)
        if FileManager.default.fileExists(atPath: output.path) {
            let existing = try? readBytes(output)
            guard existing == bytes else {
                throw RenewalError.cannotWrite(
                    path: output.path,
                    reason: "a different file is already there (perhaps an earlier request); move it away or choose another --request-out")
            }
        }
        do {
            try AtomicFile.write(bytes, to: output, forcedMode: 0o644)
        } catch {
            throw RenewalError.cannotWrite(path: output.path, reason: error.renewalMessage.en)
        }
    }
}
