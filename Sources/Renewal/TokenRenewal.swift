import CertDoctorCore
import Foundation
import PKI
import SmartCard
import TokenTarget

/// What `renew --token --backend cmp` is told beyond the run's targets: the CA, and how the new pair is chosen.
public struct TokenRenewalRequest: Sendable {
    public var server: URL
    public var caCertificate: X509Certificate
    public var timeout: TimeInterval
    public var keyBits: Int
    /// `--token-new-key-id`: a pair the vendor's tool generated on the token, instead of a new one.
    public var givenKeyID: [UInt8]?
    public var removeOld: Bool

    public init(server: URL, caCertificate: X509Certificate, timeout: TimeInterval, keyBits: Int = 2048, givenKeyID: [UInt8]? = nil,
                removeOld: Bool = false) {
        self.server = server
        self.caCertificate = caCertificate
        self.timeout = timeout
        self.keyBits = keyBits
        self.givenKeyID = givenKeyID
        self.removeOld = removeOld
    }
}

/// The token the gate passed: the renewal changes what `token.certificate` found, not what it looks up again.
struct GatedToken: Equatable {
    var modulePath: String
    var tokenLabel: String
    var gateway: String

    static let checkID = "token.certificate"
    /// How `token.certificate` names the token a certificate was found on (its observation's file path).
    static let tokenPrefix = "pkcs11:token="

    init(modulePath: String, tokenLabel: String, gateway: String) {
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.gateway = gateway
    }

    init(_ gate: RenewalGate) throws {
        guard let result = gate.results.first(where: { $0.id == Self.checkID }), result.outcome == .pass,
              let module = result.evidence.first(where: { $0.name == "pkcs11Module" })?.value,
              let observation = result.certificates.first(where: { $0.filePath.hasPrefix(Self.tokenPrefix) }),
              !observation.subjectCommonName.isEmpty
        else {
            throw RenewalError.oldCertificateUnreadable(reason: "the gate's \(Self.checkID) check found no gateway certificate on a token")
        }
        self.init(modulePath: module, tokenLabel: String(observation.filePath.dropFirst(Self.tokenPrefix.count)),
                  gateway: observation.subjectCommonName)
    }
}

extension CertificateRenewal {
    /// `renew --token --backend cmp`: the gate (the token checks and `token.room` among the required ones), then one
    /// logged-in session on the token the gate found, and ``TokenKeyUpdate`` through it. A CA that does not issue
    /// leaves the old certificate in place and the new pair pending, as the file renewal leaves its file.
    public func renewToken(
        _ request: TokenRenewalRequest, fix: (([FixPlan]) -> Bool)? = nil, progress: @escaping RenewalProgress = { _ in }
    ) -> RenewalResult {
        onGatedToken(fix: fix, progress: progress) { session, target, log, gate, started in
            try update(on: session, target, request, log: log, gate: gate, started: started)
        }
    }

    /// Every way of renewing the token starts here: the gate, then `body` with one session logged in on the token the
    /// gate found. A token that is gone, a module that fails or a PIN refused ends the renewal the same way for all.
    func onGatedToken(
        fix: (([FixPlan]) -> Bool)?, progress: @escaping RenewalProgress,
        _ body: (PKCS11Session, GatedToken, StepLog, RenewalGate, Date) throws -> RenewalResult
    ) -> RenewalResult {
        afterGate(fix: fix, progress: progress) { log, gate, started in
            let target = try GatedToken(gate)
            guard let pin = environment.tokenOptions.pin else {
                throw RenewalError.oldCertificateUnreadable(reason: "no PIN for the token (--token-pin-file or CERTDOCTOR_TOKEN_PIN)")
            }
            do {
                let module = try PKCS11Module(path: target.modulePath)
                guard let slot = try module.slot(tokenLabel: target.tokenLabel) else {
                    throw RenewalError.oldCertificateUnreadable(reason: "the token '\(target.tokenLabel)' is no longer there")
                }
                let session = try PKCS11Session(module: module, slot: slot.id, pin: pin.reveal())
                defer { session.close() }
                return try body(session, target, log, gate, started)
            } catch let error as PKCS11Error {
                throw RenewalError.tokenUnusable(reason: error.localizedMessage, pin: error.isAboutThePIN)
            }
        }
    }

    /// The key update and its report, through the session logged in for it.
    private func update(
        on session: PKCS11Session, _ target: GatedToken, _ request: TokenRenewalRequest, log: StepLog, gate: RenewalGate, started: Date
    ) throws -> RenewalResult {
        log.progress(Localized(
            zh: "正在向 \(request.server.absoluteString) 发送密钥更新请求（新密钥在令牌中生成和签名）",
            en: "sending the key update request to \(request.server.absoluteString) (the new key is made and signs on the token)"))
        let steps = TokenRelabelJournal(journal: journal, target: target)
        let update = TokenKeyUpdate(
            session: session, gateway: target.gateway, caCertificate: request.caCertificate, keyBits: request.keyBits,
            givenKeyID: request.givenKeyID, removeOld: request.removeOld, onRecordChange: { _, record in try steps.record(record) })
        switch try update.run(TokenKeyUpdate.http(server: request.server, timeout: request.timeout)) {
        case .installed(let record, let key):
            log.add("key", key.origin.rawValue, Self.describe(key))
            return installed(record, on: target, journaled: steps, log: log, gate: gate, started: started)
        case .notIssued(let outcome, let key):
            log.add("key", key.origin.rawValue, Self.describe(key))
            let message = Self.describe(outcome, backend: "cmp", support: doctor.profile.support.phone)
            log.add("backend", outcome.name, message)
            return finish(log, gate: gate, started: started, status: outcome.ending, outcome: RenewalEnding(outcome), message: message)
        }
    }

    /// The end of every token renewal that installed a certificate: what became of the old pair, the journal entry
    /// that takes it back, and the checks run again on the token.
    func installed(
        _ record: TokenCertificateInstaller.Record, on target: GatedToken, journaled steps: TokenRelabelJournal, log: StepLog,
        gate: RenewalGate, started: Date
    ) -> RenewalResult {
        let old = record.steps.contains(.oldRemoved)
            ? Localized(
                zh: "旧证书及其密钥（\(record.setAsideLabel)）已按 --remove-old 删除",
                en: "the old certificate and its key (\(record.setAsideLabel)) were removed, as --remove-old asked")
            : Localized(zh: "旧证书及其密钥保留为 \(record.setAsideLabel)", en: "the old certificate and its key are kept as \(record.setAsideLabel)")
        log.add("install", "installed", Localized(
            zh: "令牌“\(target.tokenLabel)”中的 \(record.gateway) 已替换：序列号 \(record.oldSerial) → \(record.newSerial)；",
            en: "\(record.gateway) on the token '\(target.tokenLabel)' replaced: serial \(record.oldSerial) → \(record.newSerial); ") + old
            + Self.journalNote(entry: steps.entryID ?? "-", undoable: !record.steps.contains(.oldRemoved)))
        return finish(log, gate: gate, started: started, status: .success, outcome: .installed, message: nil, recheck: true)
    }

    static func journalNote(entry: String, undoable: Bool) -> Localized {
        undoable
            ? Localized(zh: "（修复日志 \(entry)，certdoctor undo 可恢复旧名称）", en: " (journal entry \(entry); certdoctor undo gives the old certificate its name back)")
            : Localized(zh: "（修复日志 \(entry)）", en: " (journal entry \(entry))")
    }

    static func describe(_ key: TokenRenewalKey) -> Localized {
        let id = PKCS11Session.hexID(key.id)
        let chosen = switch key.origin {
        case .generated: Localized(zh: "已在令牌中生成新密钥对（CKA_ID \(id)）", en: "new key pair generated on the token (CKA_ID \(id))")
        case .reused: Localized(zh: "再次使用上次留下的待完成密钥对（CKA_ID \(id)）", en: "reusing the pending key pair a previous run left (CKA_ID \(id))")
        case .given: Localized(zh: "使用令牌中已有的密钥对（CKA_ID \(id)）", en: "using the key pair already on the token (CKA_ID \(id))")
        }
        guard !key.discardedHalves.isEmpty else { return chosen }
        let halves = key.discardedHalves.map(PKCS11Session.hexID).joined(separator: ", ")
        return chosen + Localized(
            zh: "；已删除上次中断的密钥生成留下的、没有私钥的待用公钥（CKA_ID \(halves)）",
            en: "; removed the pending public key without its private key that an interrupted key generation left (CKA_ID \(halves))")
    }
}

extension PKCS11Error {
    /// The login was refused or not tried for the PIN's sake.
    var isAboutThePIN: Bool {
        switch self {
        case .pinRejected, .pinRetriesLow: true
        // CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE, CKR_PIN_LOCKED.
        case .call(_, let code): [0xA0, 0xA1, 0xA2, 0xA4].contains(code)
        default: false
        }
    }
}
