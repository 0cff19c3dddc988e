import CertDoctorCore
import Foundation
import PKI
import SSCCProfile

/// `certdoctor enroll` as a library: the manual's "文件证书下载" from a password envelope. The inputs are checked
/// first (R14 codes and password, R15 name, room to write) and nothing is generated or sent when one fails;
/// then a key pair, a CMP initialization request protected with the envelope's codes, and the new
/// `<gateway>#0.pfx`, verified from disk before it takes its name, which never replaces an existing file.
public struct CertificateEnrolment: Sendable {
    /// One initialization exchange: HTTP by default, a test CA in-process in unit tests.
    public typealias Exchange = @Sendable (
        _ root: X509Certificate, _ secret: CMPSharedSecret, _ commonName: String, _ newKey: PrivateKey,
        _ passwordMAC: CMPPasswordMAC, _ timeout: TimeInterval
    ) throws(CMPError) -> CMPInitialization

    /// One initialization exchange for a key on a token (the timeout is the caller's).
    public typealias TokenExchange = @Sendable (
        _ root: X509Certificate, _ secret: CMPSharedSecret, _ commonName: String, _ newKey: TokenKey,
        _ passwordMAC: CMPPasswordMAC
    ) throws(CMPError) -> CMPInitialization

    /// The envelope: its two codes and, when given, the date printed on it.
    public struct Envelope: Sendable {
        public var reference: Secret
        public var authorization: Secret
        public var date: Date?

        public init(reference: Secret, authorization: Secret, date: Date? = nil) {
            self.reference = reference
            self.authorization = authorization
            self.date = date
        }
    }

    /// What the checks before the download found: refusals stop it, warnings are said and it goes on.
    public struct Preconditions: Sendable {
        public var refusals: [Localized] = []
        public var warnings: [Localized] = []
        public var passed: Bool { refusals.isEmpty }
    }

    /// What was written.
    public struct Enrolled: Sendable {
        public var file: URL
        public var certificate: X509Certificate
        public var journalEntry: String
    }

    /// 10 MiB, as the renewal's free-space check asks: a PFX and a journal entry are a few KiB.
    static let requiredFreeBytes: UInt64 = 10 * 1024 * 1024

    public var profile: SSCCProfile
    public var journal: Journal
    public var pfxProfile: PKCS12Profile
    public var root: X509Certificate
    public var server: URL
    public var timeout: TimeInterval
    private let exchange: Exchange?

    public init(profile: SSCCProfile, journal: Journal, pfxProfile: PKCS12Profile = .windows7, root: X509Certificate,
                server: URL, timeout: TimeInterval = 30, exchange: Exchange? = nil) {
        self.profile = profile
        self.journal = journal
        self.pfxProfile = pfxProfile
        self.root = root
        self.server = server
        self.timeout = timeout
        self.exchange = exchange
    }

    /// Where the certificate goes (R15): `<gateway>#0.pfx` in `directory`.
    public func target(gateway: String, in directory: URL) -> URL {
        directory.appendingPathComponent(gateway + profile.fileCertificate.requiredSuffix + "." + profile.fileCertificate.extension)
    }

    /// R14 and R15 before anything is generated or sent. The codes and the password are judged, never quoted.
    public func preconditions(gateway: String, directory: URL, envelope: Envelope, password: Secret,
                              now: Date = Date()) -> Preconditions {
        var found = envelopePreconditions(gateway: gateway, envelope: envelope, now: now)
        if !profile.fileCertificate.passwordIsValid(password.reveal()) {
            found.refusals.append(profile.fileCertificate.passwordRule)
        }
        let file = target(gateway: gateway, in: directory)
        if FileManager.default.fileExists(atPath: file.path) {
            found.refusals.append(Localized(
                zh: "\(file.path) 已存在；证书文件从不覆盖，请换用 --out 目录或先移走该文件（R15）",
                en: "\(file.path) exists; a certificate file is never overwritten: choose another --out directory or move that file first (R15)"))
        }
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: directory.path))?[.systemFreeSize] as? NSNumber {
            if free.uint64Value < Self.requiredFreeBytes {
                found.refusals.append(Localized(
                    zh: "\(directory.path) 可用空间不足 10 MiB", en: "less than 10 MiB free in \(directory.path)"))
            }
        } else {
            found.refusals.append(Localized(
                zh: "无法读取 \(directory.path) 的可用空间（目录是否存在？）",
                en: "cannot read the free space of \(directory.path) (does the directory exist?)"))
        }
        return found
    }

    /// What the download asks of the gateway number and the envelope (R14), whatever the key is kept in.
    public func envelopePreconditions(gateway: String, envelope: Envelope, now: Date = Date()) -> Preconditions {
        let rules = profile.enrolmentRules
        var found = Preconditions()
        if !profile.gatewayNumber.matches(gateway) {
            found.refusals.append(Localized(
                zh: "“\(gateway)”不是网关号（应如 \(profile.gatewayNumber.examples.first ?? "")）",
                en: "'\(gateway)' is not a gateway number (expected like \(profile.gatewayNumber.examples.first ?? ""))"))
        }
        if !rules.referenceIsValid(envelope.reference.reveal()) {
            found.refusals.append(Localized(
                zh: "参考码不符合规则：最多 22 个字母或数字（R14）", en: "the reference code breaks the rule: at most 22 letters or digits (R14)"))
        }
        if !rules.authorizationIsValid(envelope.authorization.reveal()) {
            found.refusals.append(Localized(
                zh: "授权码不符合规则：最多 16 个字母或数字（R14）", en: "the authorization code breaks the rule: at most 16 letters or digits (R14)"))
        }
        if let date = envelope.date, now.timeIntervalSince(date) > Double(rules.envelopeValidityDays) * 86_400 {
            found.warnings.append(Localized(
                zh: "密码信封日期已超过 \(rules.envelopeValidityDays) 天，授权码很可能已失效；如被拒绝请申请新的信封（R14）",
                en: "the password envelope is more than \(rules.envelopeValidityDays) days old; its authorization code has most likely expired: if refused, ask for a new envelope (R14)"))
        }
        return found
    }

    /// The download: `newKey` (or one generated as `keyType`), the initialization request, the new PFX.
    public func enrol(gateway: String, directory: URL, envelope: Envelope, password: Secret, newKey given: PrivateKey?,
                      keyType: RenewalKeyType, progress: RenewalProgress = { _ in }) throws -> Enrolled {
        let newKey: PrivateKey
        if let given {
            newKey = given
        } else {
            do {
                newKey = try PrivateKey.generate(keyType.kind)
            } catch {
                throw RenewalError.keyGenerationFailed(reason: error.localizedDescription)
            }
            progress(Localized(
                zh: "已生成新密钥对（\(newKey.algorithm) \(newKey.bits) 位）", en: "new key pair generated (\(newKey.algorithm) \(newKey.bits) bits)"))
        }
        progress(Localized(
            zh: "正在向 CA \(server.absoluteString) 发送证书下载请求（CMP IR，参考码/授权码保护）",
            en: "sending the download request to the CA at \(server.absoluteString) (CMP IR, protected by the reference/authorization code)"))
        let rules = profile.enrolmentRules
        let secret = CMPSharedSecret(
            reference: Array(envelope.reference.reveal().utf8), secret: Array(envelope.authorization.reveal().utf8))
        let passwordMAC = CMPPasswordMAC(oneWayFunction: rules.pbmOneWayFunction, mac: rules.pbmMAC)
        let answer: CMPInitialization
        do {
            if let exchange {
                answer = try exchange(root, secret, gateway, newKey, passwordMAC, timeout)
            } else {
                answer = try CMPClient.initialization(server: server, root: root, sharedSecret: secret, commonName: gateway,
                                                      newKey: newKey, passwordMAC: passwordMAC, timeout: timeout)
            }
        } catch {
            throw Self.failure(error)
        }
        let certificate: X509Certificate
        let chain: [X509Certificate]
        switch answer.result {
        case .issued(let issued, let sent):
            certificate = issued
            chain = sent
        case .rejected(let reason, _):
            throw EnrolmentError.rejected(reason: reason)
        case .retryAfter(let seconds):
            throw EnrolmentError.rejected(reason: "the CA asks to try again in \(seconds) s")
        }
        progress(Localized(
            zh: "已收到并确认新证书（序列号 \(certificate.serialNumberHex)）",
            en: "certificate received and confirmed (serial \(certificate.serialNumberHex))"))
        return try install(certificate, chain: chain.filter { $0 != root }, key: newKey, gateway: gateway, directory: directory,
                           password: password)
    }

    /// A refused code is a new envelope; the other CMP failures are the renewal's.
    static func failure(_ error: CMPError) -> any Error {
        switch error {
        case .authorizationRefused(let detail): EnrolmentError.authorizationRefused(detail: detail)
        case .unreachable(let detail): EnrolmentError.unreachable(detail: detail)
        case .untrustedResponse(let detail): RenewalError.untrustedAnswer(detail: detail)
        case .certificateNotAccepted(let detail), .protocolFailure(let detail): RenewalError.unusableAnswer(detail: detail)
        case .invalidRequest(let detail): RenewalError.requestFailed(reason: detail)
        }
    }

    /// Built and verified in memory, written beside the target, verified again as read back, then linked to its
    /// name, which fails rather than replace a file that appeared meanwhile; one journal entry, so `undo`
    /// removes it.
    private func install(_ certificate: X509Certificate, chain: [X509Certificate], key: PrivateKey, gateway: String,
                         directory: URL, password: Secret) throws -> Enrolled {
        let file = target(gateway: gateway, in: directory)
        let expectation = Expectation(
            certificate: certificate, key: key, commonName: gateway, oldNotAfter: .distantPast, issuer: certificate.issuer,
            issuerCertificates: [root] + chain)
        let bytes: [UInt8]
        do {
            bytes = try PKCS12Archive.create(
                certificate: certificate, privateKey: key, chain: chain + [root], password: password.reveal(),
                friendlyName: gateway, profile: pfxProfile)
        } catch {
            throw RenewalError.verificationFailed(reason: error.renewalMessage)
        }
        try expectation.verify(bytes, password: password)
        let stepError = StepError()
        let step = FixStep(
            description: Localized(
                zh: "\(file.lastPathComponent)：新下载的证书（序列号 \(certificate.serialNumberHex)）",
                en: "\(file.lastPathComponent): the downloaded certificate (serial \(certificate.serialNumberHex))"),
            touches: [file], seen: [SeenFile(file, bytes: nil)], changesFilesItself: true,
            apply: { _ in
                do {
                    let temporary = try AtomicFile.Temporary(bytes, replacing: file, forcedMode: 0o600)
                    try expectation.verify(try temporary.readBack(), password: password)
                    guard try temporary.link(as: file) else {
                        throw RenewalError.cannotWrite(path: file.path, reason: "the file appeared meanwhile; it is never overwritten")
                    }
                } catch {
                    stepError.set(error)
                    throw error
                }
            })
        let plan = FixPlan(
            checkID: "enrolment", summary: Localized(zh: "保存下载的证书", en: "save the downloaded certificate"), steps: [step])
        let application = try journal.apply([plan], command: "enroll")
        if let failure = application.errors["enrolment"] {
            throw stepError.value ?? RenewalError.cannotWrite(path: file.path, reason: failure)
        }
        return Enrolled(file: file, certificate: certificate, journalEntry: application.entry.id)
    }
}
