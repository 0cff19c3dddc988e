import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// The new key pair of a hardware renewal, on the token: one given by CKA_ID (made beforehand by the vendor's
/// tool), one left `<gateway>.pending` by an earlier run that did not finish, or a fresh one. A run never adds a
/// second pending pair: the one left behind is reused, and a pending pair that cannot serve is reported.
public struct TokenRenewalKey: Sendable, Equatable {
    public enum Origin: String, Sendable {
        case given
        case reused
        case generated
    }

    public let id: [UInt8]
    public let origin: Origin
    /// The CKA_IDs of pending public keys without their private key that were removed first: what a generation
    /// killed between its two objects leaves (SoftHSM writes the public key, then the private one). Left there,
    /// it would not be reused, and the next pair would make two pending ones.
    public var discardedHalves: [[UInt8]] = []

    public init(id: [UInt8], origin: Origin, discardedHalves: [[UInt8]] = []) {
        self.id = id
        self.origin = origin
        self.discardedHalves = discardedHalves
    }

    /// Chooses or makes the new key pair. `bits` is the RSA size asked for (`--key-type`); the token must offer
    /// it (C_GetMechanismInfo). `given` is `--token-new-key-id`.
    public static func prepare(in session: PKCS11Session, gateway: String, oldID: [UInt8], bits: Int = 2048,
                               given: [UInt8]? = nil) throws -> TokenRenewalKey {
        if let given {
            guard given != oldID else { throw RenewalError.newKeyIsOldKey }
            try requireRenewalKey(session, id: given)
            return TokenRenewalKey(id: given, origin: .given)
        }
        let pendingLabel = TokenLabels.pending(gateway: gateway)
        var objects = try session.objects()
        // The session is logged in, so a private key that is there is seen: a public half alone has lost its pair
        // and can sign nothing. Only public keys go, never a certificate or a private key.
        let privateIDs = Set(objects.filter { $0.objectClass == .privateKey && $0.label == pendingLabel }.map(\.id))
        let halves = Set(objects.filter { $0.objectClass == .publicKey && $0.label == pendingLabel }.map(\.id))
            .subtracting(privateIDs).sorted { $0.lexicographicallyPrecedes($1) }
        for id in halves { try session.destroyObjects(id: id, classes: [.publicKey]) }
        if !halves.isEmpty { objects = try session.objects() }
        if let id = try pendingID(among: objects, gateway: gateway) {
            try requireRenewalKey(session, id: id)
            return TokenRenewalKey(id: id, origin: .reused, discardedHalves: halves)
        }
        guard try session.supportsRSA(bits: bits) else {
            throw RenewalError.keyGenerationFailed(reason: "the token does not generate \(bits)-bit RSA key pairs (C_GetMechanismInfo)")
        }
        let used = Set(objects.map(\.id))
        let id = freshID(avoiding: used)
        do {
            try session.generateRSAKeyPair(bits: bits, id: id, label: pendingLabel)
        } catch {
            throw RenewalError.keyGenerationFailed(reason: error.localizedDescription)
        }
        return TokenRenewalKey(id: id, origin: .generated, discardedHalves: halves)
    }

    /// The CKA_ID of the one key pair named `<gateway>.pending` among `objects`, nil when there is none. Several
    /// such pairs are refused rather than chosen between, and so is one that already has a certificate: the
    /// earlier run got as far as writing it, and the pair must not be used again behind the certificate's back.
    static func pendingID(among objects: [PKCS11Object], gateway: String) throws -> [UInt8]? {
        let pendingLabel = TokenLabels.pending(gateway: gateway)
        let pendingIDs = Set(objects.filter { $0.objectClass == .privateKey && $0.label == pendingLabel }.map(\.id))
        if pendingIDs.count > 1 {
            throw RenewalError.tokenKeyUnusable(reason: Localized(
                zh: "令牌中有 \(pendingIDs.count) 对名为 \(pendingLabel) 的待用密钥；请用厂商工具删除多余的，再更新",
                en: "the token holds \(pendingIDs.count) key pairs named \(pendingLabel); remove the extra ones with the vendor's tool, then renew"))
        }
        guard let id = pendingIDs.first else { return nil }
        if objects.contains(where: { $0.objectClass == .certificate && $0.id == id }) {
            throw RenewalError.tokenKeyUnusable(reason: Localized(
                zh: "待用密钥 \(pendingLabel)（CKA_ID \(PKCS11Session.hexID(id))）已有证书：上次更新写入后中断；请先运行 certdoctor undo",
                en: "the pending key pair \(pendingLabel) (CKA_ID \(PKCS11Session.hexID(id))) already has a certificate: an earlier renewal stopped after writing it; run certdoctor undo first"))
        }
        return id
    }

    /// A CKA_ID no object on the token has: 20 random bytes, the size of a SHA-1 key identifier as other tools use.
    static func freshID(avoiding used: Set<[UInt8]>) -> [UInt8] {
        while true {
            let id = (0..<20).map { _ in UInt8.random(in: 0...255) }
            if !used.contains(id) { return id }
        }
    }

    /// The pair must be what certdoctor would have generated: on the token, private, sensitive, not extractable,
    /// an RSA key that signs, with its public half readable.
    private static func requireRenewalKey(_ session: PKCS11Session, id: [UInt8]) throws {
        let hex = PKCS11Session.hexID(id)
        guard let protection = try session.privateKeyProtection(id: id) else {
            throw RenewalError.tokenKeyUnusable(reason: Localized(
                zh: "令牌中没有 CKA_ID 为 \(hex) 的私钥", en: "the token holds no private key with CKA_ID \(hex)"))
        }
        guard protection.isRenewalKey, try session.rsaPublicKey(id: id) != nil else {
            throw RenewalError.tokenKeyUnusable(reason: Localized(
                zh: "CKA_ID 为 \(hex) 的私钥不符合要求（须为令牌对象、私有、敏感、不可导出、可签名的 RSA 密钥）",
                en: "the private key with CKA_ID \(hex) is not fit for the renewal (it must be a token object, private, sensitive, not extractable, an RSA key that signs)"))
        }
    }
}
