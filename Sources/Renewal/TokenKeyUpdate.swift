import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// The hardware certificate renewed by CMP key update, after the gate passed, through one logged-in session: the
/// certificate named by the gateway number and its key, a new pair on the token (``TokenRenewalKey``), the KUR
/// whose proof of possession the new key signs and whose protection the old key signs, then the installer.
/// Every signature is a `C_Sign` on the token; no key leaves it.
public struct TokenKeyUpdate: Sendable {
    /// One KUR exchange: HTTP to the CA by default, an in-process test CA in tests.
    public typealias Exchange = @Sendable (
        _ caCertificate: X509Certificate, _ old: X509Certificate, _ oldKey: TokenKey, _ newKey: TokenKey
    ) throws(CMPError) -> CMPResult

    /// How the renewal ended when nothing was thrown.
    public enum Ending: Sendable {
        case installed(TokenCertificateInstaller.Record, key: TokenRenewalKey)
        /// The CA's answer was not a certificate (rejected, unreachable, try later); the token holds the new
        /// pair as `<gateway>.pending`, which the next run reuses.
        case notIssued(RenewalOutcome, key: TokenRenewalKey)
    }

    public var session: PKCS11Session
    public var gateway: String
    public var caCertificate: X509Certificate
    public var keyBits: Int
    public var givenKeyID: [UInt8]?
    public var removeOld: Bool
    public var onRecordChange: @Sendable (TokenCertificateInstaller.Step, TokenCertificateInstaller.Record) throws -> Void

    public init(
        session: PKCS11Session, gateway: String, caCertificate: X509Certificate, keyBits: Int = 2048, givenKeyID: [UInt8]? = nil,
        removeOld: Bool = false,
        onRecordChange: @escaping @Sendable (TokenCertificateInstaller.Step, TokenCertificateInstaller.Record) throws -> Void = { _, _ in }
    ) {
        self.session = session
        self.gateway = gateway
        self.caCertificate = caCertificate
        self.keyBits = keyBits
        self.givenKeyID = givenKeyID
        self.removeOld = removeOld
        self.onRecordChange = onRecordChange
    }

    /// Over HTTP to `server`, each message round trip limited to `timeout`.
    public static func http(server: URL, timeout: TimeInterval) -> Exchange {
        { caCertificate, old, oldKey, newKey throws(CMPError) in
            try CMPClient.keyUpdate(server: server, caCertificate: caCertificate, oldCertificate: old, oldKey: oldKey, newKey: newKey,
                                    timeout: timeout)
        }
    }

    public func run(_ exchange: Exchange) throws -> Ending {
        let old = try Self.oldCertificate(in: session, gateway: gateway)
        let newKey = try TokenRenewalKey.prepare(in: session, gateway: gateway, oldID: old.id, bits: keyBits, given: givenKeyID)
        let result: CMPResult
        do {
            result = try exchange(caCertificate, old.certificate, try TokenCertificateInstaller.tokenKey(session, id: old.id),
                                  try TokenCertificateInstaller.tokenKey(session, id: newKey.id))
        } catch let error as CMPError {
            return .notIssued(try CMPBackend.outcome(of: error), key: newKey)
        }
        switch result {
        case .issued(let certificate, _):
            let installer = TokenCertificateInstaller(
                session: session, gateway: gateway, issuerCertificates: [caCertificate], onRecordChange: onRecordChange)
            let record = try installer.install(certificate, newKeyID: newKey.id, replacing: old.certificate, oldID: old.id,
                                               removeOld: removeOld)
            return .installed(record, key: newKey)
        case .rejected(let reason, _):
            return .notIssued(.rejected(reason: reason), key: newKey)
        case .retryAfter(let seconds):
            return .notIssued(.waiting(retryAfter: seconds, instructions: Localized(
                zh: "CA 要求 \(seconds) 秒后再试；新密钥对留在令牌中（\(TokenLabels.pending(gateway: gateway))），届时重新运行 certdoctor renew --token 会再用它",
                en: "the CA asks to try again in \(seconds) s; the new key pair stays on the token (\(TokenLabels.pending(gateway: gateway))) and certdoctor renew --token uses it again then")),
                key: newKey)
        }
    }

    /// The one certificate labelled with the gateway number, with its CKA_ID.
    static func oldCertificate(in session: PKCS11Session, gateway: String) throws -> (certificate: X509Certificate, id: [UInt8]) {
        let objects = try session.module.certificates(slot: session.slot).filter { $0.label == gateway }
        guard objects.count == 1, let object = objects.first else {
            throw RenewalError.oldCertificateUnreadable(reason: objects.isEmpty
                ? "the token holds no certificate labelled \(gateway)"
                : "the token holds \(objects.count) certificates labelled \(gateway); certdoctor will not choose between them")
        }
        do {
            return (try X509Certificate(derEncoded: object.der), object.id)
        } catch {
            throw RenewalError.oldCertificateUnreadable(reason: error.localizedDescription)
        }
    }
}
