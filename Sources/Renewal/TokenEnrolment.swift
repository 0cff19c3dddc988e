import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// A first certificate whose key pair is made on the token: the pair as a renewal makes it (`<gateway>.pending`,
/// or the one an interrupted run left), the initialization request with the envelope's codes, and the issued
/// certificate written beside its key, after which the pair takes the gateway's name. A token that already holds
/// a certificate named `<gateway>` is refused before anything is generated or sent. Each change is journaled as
/// `renew --token`'s are.
public struct TokenEnrolment: Sendable {
    public var session: PKCS11Session
    public var gateway: String
    public var root: X509Certificate
    public var passwordMAC: CMPPasswordMAC
    /// Where each change on the token is put on record as it is made, so that `undo` takes the certificate off
    /// and leaves the pair `<gateway>.pending`; nil in tests that only look at the token.
    public var journal: Journal?
    public var modulePath: String
    public var tokenLabel: String
    private let exchange: CertificateEnrolment.TokenExchange

    public init(session: PKCS11Session, gateway: String, root: X509Certificate, passwordMAC: CMPPasswordMAC,
                journal: Journal? = nil, modulePath: String = "", tokenLabel: String = "",
                exchange: @escaping CertificateEnrolment.TokenExchange) {
        self.session = session
        self.gateway = gateway
        self.root = root
        self.passwordMAC = passwordMAC
        self.journal = journal
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.exchange = exchange
    }

    /// The certificate as written on the token, and the CKA_ID it shares with its key pair.
    public struct Enrolled: Sendable {
        public var certificate: X509Certificate
        public var key: TokenRenewalKey
        public var journalEntry: String?
    }

    public func enrol(secret: CMPSharedSecret, bits: Int = 2048, progress: RenewalProgress = { _ in }) throws -> Enrolled {
        let objects = try session.objects()
        guard !objects.contains(where: { $0.objectClass == .certificate && $0.label == gateway }) else {
            throw EnrolmentError.tokenHoldsCertificate(label: gateway)
        }
        // No old pair: the id below only guards a given key against being the old one.
        let key = try TokenRenewalKey.prepare(in: session, gateway: gateway, oldID: [], bits: bits)
        let tokenKey = try TokenCertificateInstaller.tokenKey(session, id: key.id)
        let answer: CMPInitialization
        do {
            answer = try exchange(root, secret, gateway, tokenKey, passwordMAC)
        } catch {
            throw CertificateEnrolment.failure(error)
        }
        let certificate: X509Certificate
        switch answer.result {
        case .issued(let issued, _): certificate = issued
        case .rejected(let reason, _): throw EnrolmentError.rejected(reason: reason)
        case .retryAfter(let seconds): throw EnrolmentError.rejected(reason: "the CA asks to try again in \(seconds) s")
        }
        // The CMP client already refused caPubs other than the root, another chain, name or key; the signature
        // made on the token is the last proof that the certificate and the key there belong together.
        guard certificate.publicKeyDER == tokenKey.publicKeyDER else { throw RenewalError.issuedForAnotherKey }
        guard tokenKey.signsFor(certificate) else {
            throw RenewalError.tokenCertificateRefused(reason: Localized(
                zh: "用令牌上的新密钥所作的测试签名无法用该证书验证", en: "a test signature made with the new key on the token does not verify with it"))
        }
        progress(Localized(
            zh: "已收到并确认新证书（序列号 \(certificate.serialNumberHex)），正在写入令牌",
            en: "certificate received and confirmed (serial \(certificate.serialNumberHex)), writing it to the token"))
        // The installer's record with no old pair: undoing it removes the certificate and renames the pair pending.
        var record = TokenCertificateInstaller.Record(
            gateway: gateway, oldID: [], newID: key.id, oldSerial: "", newSerial: certificate.serialNumberHex)
        let steps = journal.map { journal in
            TokenRelabelJournal(
                journal: journal, target: GatedToken(modulePath: modulePath, tokenLabel: tokenLabel, gateway: gateway),
                command: "enroll --token", change: { steps, target in
                    "\(target.gateway) on the token \(target.tokenLabel): serial \(steps.newSerial) written and named \(target.gateway)"
                })
        }
        // Each change is on record before it is made, as the installer's are: killed between a change and its
        // record, the run must not leave a certificate under the pending pair that no undo knows of.
        let names = certificate.pkcs11NamesDER()
        record.begun = .certificateWritten
        try steps?.record(record)
        try session.createCertificate(der: certificate.der, id: key.id, label: TokenLabels.pending(gateway: gateway),
                                      subject: names.subject, issuer: names.issuer, serialNumber: names.serialNumber)
        record.steps.append(.certificateWritten)
        record.begun = .newNamed
        try steps?.record(record)
        _ = try session.relabel(id: key.id, to: gateway)
        record.steps.append(.newNamed)
        record.begun = nil
        try steps?.record(record)
        return Enrolled(certificate: certificate, key: key, journalEntry: steps?.entryID)
    }
}
