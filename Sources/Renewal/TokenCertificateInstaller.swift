import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// Puts a certificate issued for a key generated on the token in place of the old one, through the renewal's one
/// session. Nothing changes on the token before the certificate is verified; then the changes come in an order
/// that never leaves two certificates or two keys named `<gateway>`: the new certificate is written as
/// `<gateway>.pending` (its key pair already is), the old objects become `<gateway>.old-<serial>`, and only then the
/// new ones `<gateway>`. The old key and certificate are kept (a non-extractable key cannot be restored once
/// deleted) unless `removeOld`.
///
/// Each step is put on record before the token is touched (write-ahead), so a process killed between a change and
/// its record still leaves a record that takes the change back; taking a step back is harmless when the step was
/// never made.
public struct TokenCertificateInstaller: Sendable {
    /// A change made to the token, in the order they are made.
    public enum Step: String, Sendable, Codable, CaseIterable {
        case certificateWritten = "certificate-written"
        case oldSetAside = "old-set-aside"
        case newNamed = "new-named"
        case oldRemoved = "old-removed"
    }

    /// What was changed: enough to take it back (``revert(_:in:)``) and to report it.
    public struct Record: Sendable, Codable, Equatable {
        public var gateway: String
        public var oldID: [UInt8]
        public var newID: [UInt8]
        public var oldSerial: String
        public var newSerial: String
        /// The steps made, in order.
        public var steps: [Step] = []
        /// The step under way: on record before it starts, so it may be made wholly, in part (one object of three
        /// renamed) or not at all. ``revert(_:in:)`` takes it back as far as it got.
        public var begun: Step? = nil
        /// A later step failed and the run itself took every step back: nothing is left for `undo`.
        public var takenBack: Bool? = nil

        public var setAsideLabel: String { TokenLabels.setAside(gateway: gateway, serial: oldSerial) }
    }

    public var session: PKCS11Session
    public var gateway: String
    /// The CA certificates the issued certificate must chain to (`--ca-cert`, the old certificate's issuer).
    public var issuerCertificates: [X509Certificate]
    public var forbiddenSuffix: String
    /// Called with the record each time it changes: with a step as `begun` before the token is touched, and again
    /// once that step is made, so that what may have changed is always on record before it changes. An error it
    /// throws stops the installation right there, as a killed process would stop: the token is left as the steps so
    /// far made it, and the record it was given says how to take them back.
    public var onRecordChange: @Sendable (Step, Record) throws -> Void

    public init(
        session: PKCS11Session, gateway: String, issuerCertificates: [X509Certificate], forbiddenSuffix: String = "#0",
        onRecordChange: @escaping @Sendable (Step, Record) throws -> Void = { _, _ in }
    ) {
        self.session = session
        self.gateway = gateway
        self.issuerCertificates = issuerCertificates
        self.forbiddenSuffix = forbiddenSuffix
        self.onRecordChange = onRecordChange
    }

    /// The token key with `id` as a key OpenSSL signs with, each signature a `C_Sign` on `session`.
    public static func tokenKey(_ session: PKCS11Session, id: [UInt8]) throws -> TokenKey {
        guard let publicKey = try session.rsaPublicKey(id: id) else { throw PKCS11Error.noSuchKey(id: PKCS11Session.hexID(id)) }
        return try TokenKey(modulus: publicKey.modulus, publicExponent: publicKey.publicExponent) { digestInfo in
            try session.sign(digestInfo: digestInfo, keyID: id)
        }
    }

    /// Everything the issued certificate must be before the token is touched: from the expected CA, for the token
    /// key with `newKeyID`, named by the gateway number (not `…#0`, E5), ending after the old one, and a test
    /// signature made on the token verifies with it.
    public func verify(_ issued: X509Certificate, newKeyID: [UInt8], replacing old: X509Certificate) throws {
        func refuse(_ zh: String, _ en: String) -> RenewalError { .tokenCertificateRefused(reason: Localized(zh: zh, en: en)) }
        guard issuerCertificates.contains(where: { $0.subject == issued.issuer && issued.verifySignature(issuedBy: $0) }) else {
            throw refuse("它不是由 CA 证书（--ca-cert）签发的（签发者“\(issued.issuer)”）",
                         "it is not signed by the CA certificate (--ca-cert) (issuer '\(issued.issuer)')")
        }
        let key = try Self.tokenKey(session, id: newKeyID)
        guard issued.publicKeyDER == key.publicKeyDER else { throw RenewalError.issuedForAnotherKey }
        let name = issued.subjectCommonName ?? ""
        guard !name.hasSuffix(forbiddenSuffix) else {
            throw refuse("证书名称“\(name)”以“\(forbiddenSuffix)”结尾，硬证书不能这样命名（E5）",
                         "it is named '\(name)', ending with '\(forbiddenSuffix)', which a hardware certificate must not (E5)")
        }
        guard name == gateway else {
            throw refuse("CN 为“\(name)”，应为网关号 \(gateway)", "its CN is '\(name)', not the gateway number \(gateway)")
        }
        guard issued.notAfter > old.notAfter else {
            throw refuse("新证书的有效期（\(RenewedPFXInstaller.day(issued.notAfter))）不晚于旧证书（\(RenewedPFXInstaller.day(old.notAfter))）",
                         "it expires (\(RenewedPFXInstaller.day(issued.notAfter))) no later than the old one (\(RenewedPFXInstaller.day(old.notAfter)))")
        }
        guard key.signsFor(issued) else {
            let detail = key.lastSigningFailure ?? "the signature does not verify"
            throw refuse("用令牌上的新密钥所作的测试签名无法用该证书验证：\(detail)",
                         "a test signature made with the new key on the token does not verify with it: \(detail)")
        }
    }

    /// Verifies `issued`, then writes and renames as described above. A failing step takes back the steps before
    /// it where the token lets it, so the old certificate stays usable under its name.
    @discardableResult
    public func install(_ issued: X509Certificate, newKeyID: [UInt8], replacing old: X509Certificate, oldID: [UInt8],
                        removeOld: Bool = false) throws -> Record {
        try verify(issued, newKeyID: newKeyID, replacing: old)
        var record = Record(gateway: gateway, oldID: oldID, newID: newKeyID, oldSerial: old.serialNumberHex, newSerial: issued.serialNumberHex)
        let names = issued.pkcs11NamesDER()
        let steps: [(Step, () throws -> Void)] = [
            (.certificateWritten, {
                try session.createCertificate(der: issued.der, id: newKeyID, label: TokenLabels.pending(gateway: gateway),
                                              subject: names.subject, issuer: names.issuer, serialNumber: names.serialNumber)
            }),
            // The old keys first and the new certificate first: a certificate named `<gateway>` keeps its key at
            // every moment but one (between the old certificate set aside and the new one named), since each
            // object's name is a call of its own.
            (.oldSetAside, { try session.relabel(id: oldID, to: record.setAsideLabel, classes: [.privateKey, .publicKey, .certificate]) }),
            (.newNamed, { try session.relabel(id: newKeyID, to: gateway, classes: [.certificate, .privateKey, .publicKey]) }),
        ] + (removeOld ? [(.oldRemoved, { try session.destroyObjects(id: oldID) })] : [])
        for (step, change) in steps {
            record.begun = step
            try onRecordChange(step, record)
            do {
                try change()
            } catch {
                let reverted = (try? Self.revert(record, in: session)) != nil
                if reverted {
                    // On record too, so that `undo` does not take back again what this run already did, before older
                    // entries; a failure to say so leaves the entry as it was, which `undo` handles harmlessly.
                    record.takenBack = true
                    try? onRecordChange(step, record)
                }
                throw RenewalError.tokenChangeFailed(step: step.rawValue, reason: (error as? any LocalizedMessage)?.localizedMessage
                    ?? Localized(verbatim: "\(error)"), reverted: reverted)
            }
            record.begun = nil
            record.steps.append(step)
            try onRecordChange(step, record)
        }
        return record
    }

    /// Takes the steps of `record` back, the one begun first, then the made ones last first: the new objects become
    /// `<gateway>.pending` again (the key pair is kept for the next run to reuse), the old ones `<gateway>`, and the
    /// written certificate is removed. Each undoing is harmless when its step was made in part or not at all (a
    /// name given again, no certificate to remove), so a revert killed midway is finished by the next. Removed old
    /// objects cannot come back; once one is gone that is refused rather than half done.
    public static func revert(_ record: Record, in session: PKCS11Session) throws {
        let steps = record.steps + (record.begun.map { [$0] } ?? [])
        // A removal begun and not made may not have started (the run killed just before it): while the old
        // certificate and its private key are both there, the old pair can still have its name back.
        var oldPairRemains = false
        if record.begun == .oldRemoved && !record.steps.contains(.oldRemoved) {
            let old = Set(try session.objects().filter { $0.id == record.oldID }.map(\.objectClass))
            oldPairRemains = old.isSuperset(of: [.certificate, .privateKey])
        }
        guard !steps.contains(.oldRemoved) || oldPairRemains else {
            throw RenewalError.tokenChangeFailed(
                step: Step.oldRemoved.rawValue,
                reason: Localized(zh: "旧证书和私钥已删除，无法恢复", en: "the old certificate and key were removed and cannot come back"),
                reverted: false)
        }
        for step in steps.reversed() {
            switch step {
            case .newNamed: try session.relabel(id: record.newID, to: TokenLabels.pending(gateway: record.gateway))
            case .oldSetAside: try session.relabel(id: record.oldID, to: record.gateway)
            case .certificateWritten: try session.destroyObjects(id: record.newID, classes: [.certificate])
            case .oldRemoved: break
            }
        }
    }
}

/// The labels a hardware renewal gives: `token.certificate` passes these over (see `TokenCertificateCheck.isSetAside`).
public enum TokenLabels {
    public static func pending(gateway: String) -> String { gateway + ".pending" }
    public static func setAside(gateway: String, serial: String) -> String { gateway + ".old-" + serial }
}
