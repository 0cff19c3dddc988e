import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// `certdoctor renew` as a library: the gate (every required check), then a backend, then the one installer.
/// Nothing bypasses the gate; a refusal names the checks that failed with their remedies.
public struct CertificateRenewal: Sendable {
    public var doctor: any RenewalChecks
    public var environment: Environment
    public var journal: Journal
    public var pending: PendingRenewalStore
    public var profile: PKCS12Profile
    public var checkTimeout: TimeInterval
    /// Extra certificates the installer may check the new certificate's signature with (`--ca-cert`).
    public var issuerCertificates: [X509Certificate]

    public init(
        doctor: any RenewalChecks, environment: Environment, journal: Journal, pending: PendingRenewalStore,
        profile: PKCS12Profile = .windows7, checkTimeout: TimeInterval = 10, issuerCertificates: [X509Certificate] = []
    ) {
        self.doctor = doctor
        self.environment = environment
        self.journal = journal
        self.pending = pending
        self.profile = profile
        self.checkTimeout = checkTimeout
        self.issuerCertificates = issuerCertificates
    }

    // MARK: - Gate

    /// Runs the gate on this renewal's certificate (see `RenewalGate`).
    public func gate(fix: (([FixPlan]) -> Bool)? = nil) throws -> RenewalGate {
        try RenewalGate.run(doctor, environment: environment, journal: journal, timeout: checkTimeout, fix: fix)
    }

    // MARK: - Renewing

    /// Gate, new key (given or generated), PKCS#10 request under the old subject, backend, and — when a
    /// certificate is issued — the installer.
    /// `newKeyPassword`: the password a given `newKey` came with; the kept key is then encrypted with it.
    public func renew(
        using backend: any RenewalBackend, newKey given: PrivateKey? = nil, newKeyPassword: Secret? = nil,
        keyType: RenewalKeyType = .rsa2048,
        fix: (([FixPlan]) -> Bool)? = nil, progress: @escaping RenewalProgress = { _ in }
    ) -> RenewalResult {
        let log = StepLog(progress: progress)
        let started = Date()
        if let problem = backend.configurationProblem() {
            log.add("configuration", "needs-configuration", problem)
            return finish(log, gate: nil, started: started, status: .usage, outcome: .needsConfiguration, message: problem)
        }
        let gate: RenewalGate
        switch passGate(fix: fix, log: log, started: started) {
        case .passed(let passed): gate = passed
        case .stopped(let result): return result
        }
        do {
            let working = try openWorking()
            let newKey: PrivateKey
            if let given {
                newKey = given
                log.add("key", "given", Localized(
                    zh: "使用给定的新密钥（\(given.algorithm) \(given.bits) 位）", en: "using the given new key (\(given.algorithm) \(given.bits) bits)"))
            } else {
                do {
                    newKey = try PrivateKey.generate(keyType.kind)
                } catch {
                    throw RenewalError.keyGenerationFailed(reason: error.localizedDescription)
                }
                log.add("key", "generated", Localized(
                    zh: "已生成新密钥对（\(newKey.algorithm) \(newKey.bits) 位）", en: "new key pair generated (\(newKey.algorithm) \(newKey.bits) bits)"))
            }
            guard newKey.publicKeyDER != working.key.publicKeyDER else {
                throw RenewalError.newKeyIsOldKey
            }
            let csr: CertificateRequest
            do {
                csr = try CertificateRequest(subjectOf: working.certificate, key: newKey)
            } catch {
                throw RenewalError.requestFailed(reason: error.localizedDescription)
            }
            var request = RenewalRequest(
                gateway: working.gateway, oldCertificate: working.certificate, oldKey: working.key, oldChain: working.chain,
                newKey: newKey, certificateRequest: csr, password: working.password)
            if given != nil, let newKeyPassword {
                request.newKeyPassword = newKeyPassword
                log.add("key", "kept", Localized(
                    zh: "新密钥保持用其自带的密码加密保存；完成更新（--import）时请再次提供 --new-key-password-file",
                    en: "the new key stays encrypted with the password it came with; give --new-key-password-file again to complete (--import)"))
            }
            let sent = backend.describe(request)
            // An online CA counts the certificate as renewed once it is confirmed, before we have written anything.
            // The new key is kept (encrypted, like an offline request's) first, so that whatever stops the
            // installation afterwards, the issued certificate can still be completed with `renew --import`.
            let online = backend.answersInTheExchange
            if online {
                if pending.existing(gateway: request.gateway) != nil { try pending.setAside(gateway: request.gateway) }
                try pending.save(request)
            }
            let outcome: RenewalOutcome
            do {
                outcome = try backend.submit(request) { log.progress($0) }
            } catch {
                // Nothing was issued: the kept key is of no use.
                if online { pending.remove(gateway: request.gateway) }
                throw error
            }
            log.add("backend", outcome.name, Self.describe(outcome, backend: backend.name, support: doctor.profile.support.phone))
            guard case .issued(let certificate, let chain) = outcome else {
                var message: Localized?
                if case .waiting(_, let instructions) = outcome { message = instructions }
                if case .needsConfiguration(let problem) = outcome { message = problem }
                if case .rejected = outcome { message = Self.describe(outcome, backend: backend.name, support: doctor.profile.support.phone) }
                if case .unreachable = outcome { message = Self.describe(outcome, backend: backend.name, support: doctor.profile.support.phone) }
                if online { pending.remove(gateway: request.gateway) }
                return finish(log, gate: gate, started: started, status: outcome.ending, outcome: RenewalEnding(outcome), message: message)
            }
            let record: RenewedPFXInstaller.Record
            do {
                record = try install(certificate, chain: chain, key: newKey, working: working, backend: backend.name, sent: sent, log: log)
            } catch {
                guard online, let kept = try? pending.keepIssued(certificate, gateway: request.gateway) else { throw error }
                throw RenewalError.issuedButNotInstalled(
                    reason: error.renewalMessage, issuedFile: kept.path, status: (error as? RenewalError)?.ending ?? .cannotCreate)
            }
            if online { pending.remove(gateway: request.gateway) }
            return finish(log, gate: gate, started: started, status: .success, outcome: .installed, message: nil, record: record)
        } catch {
            return failure(error, log: log, gate: gate, started: started)
        }
    }

    /// Completes an offline renewal: the issued certificate must carry the pending key and the old subject.
    /// `newKeyPassword` is asked only when the pending key was kept with the password its `--new-key` came with.
    public func importIssued(
        _ file: URL, newKeyPassword: @escaping () throws -> Secret? = { nil }, fix: (([FixPlan]) -> Bool)? = nil,
        progress: @escaping RenewalProgress = { _ in }
    ) -> RenewalResult {
        afterGate(fix: fix, progress: progress) { log, gate, started in
            let working = try openWorking()
            let (pendingRequest, key) = try pending.load(gateway: working.gateway, password: working.password, newKeyPassword: newKeyPassword)
            guard pendingRequest.oldSerial == working.certificate.serialNumberHex else {
                throw RenewalError.pendingRequestStale(requestedFor: pendingRequest.oldSerial, working: working.certificate.serialNumberHex)
            }
            let (issued, certificates) = try Self.issuedCertificate(
                in: file, carrying: key.publicKeyDER, subject: working.certificate.subject)
            log.add("import", "issued", Localized(
                zh: "已读取签发的证书（序列号 \(issued.serialNumberHex)）\(file.lastPathComponent)",
                en: "read the issued certificate (serial \(issued.serialNumberHex)) from \(file.lastPathComponent)"))
            let chain = certificates.filter { $0 != issued }
            let sent = "PKCS#10 request for \(pendingRequest.subject) of \(Self.timestamp(pendingRequest.created)), imported from \(file.lastPathComponent)"
            let record = try install(issued, chain: chain, key: key, working: working, backend: "offline", sent: sent, log: log)
            pending.remove(gateway: working.gateway)
            return finish(log, gate: gate, started: started, status: .success, outcome: .installed, message: nil, record: record)
        }
    }

    /// The certificate the CA issued for the pending key, from its file (.pem, .cer or .p7b), with every
    /// certificate the file holds: the one that carries `publicKeyDER`, which must keep the old `subject`.
    static func issuedCertificate(
        in file: URL, carrying publicKeyDER: [UInt8], subject: String
    ) throws -> (issued: X509Certificate, all: [X509Certificate]) {
        let certificates: [X509Certificate]
        do {
            certificates = try X509Certificate.load(try readBytes(file))
        } catch {
            throw RenewalError.issuedFileUnreadable(path: file.path, reason: error.renewalMessage.en)
        }
        guard let issued = certificates.first(where: { $0.publicKeyDER == publicKeyDER }) else {
            throw RenewalError.issuedForAnotherKey
        }
        guard issued.subject == subject else { throw RenewalError.subjectChanged(expected: subject, issued: issued.subject) }
        return (issued, certificates)
    }

    /// The gate, then `body` with the renewal's log, the gate passed and the start time; a refusal or an error that
    /// `body` throws ends the renewal as every renewal ends (its report, its exit code).
    func afterGate(
        fix: (([FixPlan]) -> Bool)?, progress: @escaping RenewalProgress,
        _ body: (StepLog, RenewalGate, Date) throws -> RenewalResult
    ) -> RenewalResult {
        let log = StepLog(progress: progress)
        let started = Date()
        let gate: RenewalGate
        switch passGate(fix: fix, log: log, started: started) {
        case .passed(let passed): gate = passed
        case .stopped(let result): return result
        }
        do {
            return try body(log, gate, started)
        } catch {
            return failure(error, log: log, gate: gate, started: started)
        }
    }

    // MARK: - Parts

    struct Working {
        var file: URL
        var bytes: [UInt8]
        var certificate: X509Certificate
        var key: PrivateKey
        var chain: [X509Certificate]
        var password: Secret
        var gateway: String
    }

    /// The working certificate as the gate saw it, opened again for its key.
    func openWorking() throws -> Working {
        guard let file = environment.pfxFile, let password = environment.pfxPassword else {
            throw RenewalError.oldCertificateUnreadable(reason: "no --pfx and password given")
        }
        let bytes = try readBytes(file)
        let contents: PKCS12Contents
        do {
            contents = try PKCS12Archive.open(bytes, password: password.reveal())
        } catch {
            throw RenewalError.oldCertificateUnreadable(reason: error.renewalMessage.en)
        }
        guard let certificate = contents.certificate, let key = contents.privateKey, contents.keyMatchesCertificate,
              let gateway = certificate.subjectCommonName, !gateway.isEmpty
        else { throw RenewalError.oldCertificateUnreadable(reason: "the PFX lacks a matching certificate and key") }
        return Working(
            file: file, bytes: bytes, certificate: certificate, key: key, chain: contents.chain, password: password,
            gateway: gateway)
    }

    /// R10 for the renewed certificate: the same import `store.personal-cert`'s fix makes (the Win32 helper run
    /// under Wine, read back to verify), as its own journal entry. The new PFX is in place whatever happens here;
    /// a failure is reported with what to do, not as a failed renewal.
    /// The import on its own, for a certificate already renewed: the step it adds to the renewal's record.
    public func importIntoPersonalStore(_ file: URL) -> RunReport.ProcedureStep? {
        guard let prefix = environment.winePrefix else { return nil }
        let log = StepLog(progress: { _ in })
        importIntoPersonalStore(file, prefix: prefix, log: log)
        return log.steps.last
    }

    private func importIntoPersonalStore(_ file: URL, prefix: URL, log: StepLog) {
        var importing = environment
        importing.pfxFile = file
        importing.profile = doctor.profile
        let context = CheckContext(environment: importing)
        do {
            guard let plan = try doctor.personalStoreImport(in: context) else { return }
            let application = try journal.apply([plan], command: "renew: import into the Wine prefix")
            if let problem = application.errors.values.first { throw RenewalError.cannotWrite(path: prefix.path, reason: problem) }
            log.add("wine-import", "done", Localized(
                zh: "新证书已连同私钥导入 Wine 前缀 \(prefix.path) 的“个人”存储（修复日志 \(application.entry.id)）",
                en: "the new certificate and its key were imported into the Personal store of the Wine prefix \(prefix.path) (journal entry \(application.entry.id))"))
        } catch {
            log.add("wine-import", "error", Localized(
                zh: "未能导入 Wine 前缀 \(prefix.path) 的“个人”存储，请运行 certdoctor fix --wine-prefix 或手动导入新的 PFX（R10）：",
                en: "could not import into the Personal store of the Wine prefix \(prefix.path); run certdoctor fix --wine-prefix or import the new PFX by hand (R10): ")
                + error.renewalMessage)
        }
    }

    private func install(
        _ certificate: X509Certificate, chain: [X509Certificate], key: PrivateKey, working: Working, backend: String,
        sent: String, log: StepLog
    ) throws -> RenewedPFXInstaller.Record {
        let profileSuffix = doctor.profile.fileCertificate.requiredSuffix
        let installer = RenewedPFXInstaller(
            journal: journal, profile: profile, issuerCertificates: issuerCertificates + working.chain, suffix: profileSuffix,
            fileExtension: doctor.profile.fileCertificate.extension)
        let record = try installer.install(
            certificate: certificate, chain: chain, key: key,
            replacing: .init(file: working.file, bytes: working.bytes, certificate: working.certificate),
            password: working.password, backend: backend, sent: sent)
        log.add("verify", "pass", Localized(
            zh: "新 PFX 已校验：密码可打开、密钥与证书匹配、CN 相同、有效期更晚、签发者一致",
            en: "new PFX verified: opens with the password, key matches certificate, same CN, later notAfter, expected issuer"))
        log.add("archive", "done", Localized(
            zh: "旧证书已归档到 \(record.archivedOld)，新证书归档到 \(record.archivedNew)",
            en: "old certificate archived as \(record.archivedOld), new one as \(record.archivedNew)"))
        log.add("install", "installed", Localized(
            zh: "\(working.file.lastPathComponent) 已替换：序列号 \(record.oldSerial) → \(record.newSerial)，有效期至 \(Self.timestamp(record.newNotAfter))（修复日志 \(record.journalEntry)，certdoctor undo 可恢复旧证书）",
            en: "\(working.file.lastPathComponent) replaced: serial \(record.oldSerial) → \(record.newSerial), valid until \(Self.timestamp(record.newNotAfter)) (journal entry \(record.journalEntry); certdoctor undo restores the old certificate)"))
        if let prefix = environment.winePrefix {
            importIntoPersonalStore(working.file, prefix: prefix, log: log)
        }
        return record
    }

    enum GateVerdict {
        case passed(RenewalGate)
        case stopped(RenewalResult)
    }

    /// Both ways of renewing start here: the gate runs, and nothing goes further unless it passes.
    func passGate(fix: (([FixPlan]) -> Bool)?, log: StepLog, started: Date) -> GateVerdict {
        let gate: RenewalGate
        do {
            gate = try self.gate(fix: fix)
        } catch {
            return .stopped(failure(error, log: log, gate: nil, started: started))
        }
        guard gate.passed else { return .stopped(refusal(gate, log: log, started: started)) }
        log.add("gate", "pass", Localized(zh: "所有必需检查均通过", en: "every required check passes"))
        return .passed(gate)
    }

    private func refusal(_ gate: RenewalGate, log: StepLog, started: Date) -> RenewalResult {
        let names = gate.blocking.map(\.id).joined(separator: ", ")
        let message = Localized(
            zh: "必需检查未通过，拒绝更新：\(names)", en: "renewal refused: required checks did not pass: \(names)")
        log.add("gate", "refused", message)
        var result = finish(log, gate: gate, started: started, status: .failure, outcome: .refused, message: message)
        result.blocking = gate.blocking
        return result
    }

    func failure(_ error: any Error, log: StepLog, gate: RenewalGate?, started: Date) -> RenewalResult {
        let message = error.renewalMessage
        log.add("failed", "error", message)
        let status = (error as? any CommandEndingProviding)?.ending ?? .software
        return finish(log, gate: gate, started: started, status: status, outcome: .failed, message: message)
    }

    /// `recheck`: something was installed that the record of a PFX does not describe (a token's new certificate),
    /// so the checks run again as after a PFX installation.
    func finish(
        _ log: StepLog, gate: RenewalGate?, started: Date, status: CommandEnding, outcome: RenewalEnding, message: Localized?,
        record: RenewedPFXInstaller.Record? = nil, recheck: Bool = false
    ) -> RenewalResult {
        var fixes = gate?.fixes ?? []
        if let record {
            // The renewal is a journal entry like a fix; as one it reaches every report format with its
            // before and after.
            fixes.append(RunReport.FixRecord(
                checkID: "cert.renewal",
                summary: Localized(zh: "经 \(record.backend) 更新证书", en: "certificate renewed through \(record.backend)"),
                changes: [RunReport.Change(
                    Localized(zh: "\(URL(fileURLWithPath: record.file).lastPathComponent)：已发送 \(record.sent)", en: "\(URL(fileURLWithPath: record.file).lastPathComponent): sent \(record.sent)"),
                    before: "serial \(record.oldSerial), valid \(Self.timestamp(record.oldNotBefore)) – \(Self.timestamp(record.oldNotAfter))",
                    after: "serial \(record.newSerial), valid \(Self.timestamp(record.newNotBefore)) – \(Self.timestamp(record.newNotAfter))")],
                applied: true, journalEntry: record.journalEntry))
        }
        var results = gate?.results ?? []
        if record != nil || recheck {
            // After an installation the checks run again on the new file, so the report shows the certificate
            // now in place (and its serial is known to the report's redaction like the old one's). The new file
            // is in place either way; a re-check that cannot run is said, and the report keeps the gate's results.
            do {
                results = try Runner(timeout: checkTimeout).run(doctor.registry, in: CheckContext(environment: doctor.prepare(environment)))
            } catch {
                log.add("recheck", "error", Localized(
                    zh: "新证书已就位，但无法重新运行检查（报告中为更新前的结果）：", en: "the new certificate is in place, but the checks could not run again (the report shows the results from before the renewal): ")
                    + error.renewalMessage)
            }
        }
        if let record, let index = results.firstIndex(where: { $0.id == Self.pfxReadableCheckID }) {
            // The replaced certificate's serial is evidence too, so that redaction treats it like the new one's.
            results[index].evidence.append(Evidence("replacedSerial", record.oldSerial, kind: .serialNumber))
            results[index].evidence.append(Evidence("replacedNotAfter", Self.timestamp(record.oldNotAfter)))
        }
        var report = doctor.report(results, environment: environment, started: started, fixes: fixes)
        report.procedure = log.steps
        return RenewalResult(report: report, status: status, outcome: outcome, message: message, blocking: [], record: record)
    }

    static func describe(_ outcome: RenewalOutcome, backend: String, support phone: String) -> Localized {
        switch outcome {
        case .issued(let certificate, _):
            Localized(zh: "CA 已签发证书（序列号 \(certificate.serialNumberHex)）", en: "the CA issued a certificate (serial \(certificate.serialNumberHex))")
        case .rejected(let reason):
            Localized(
                zh: "CA 拒绝更新：\(reason)。证书可能已被冻结、吊销或已更新过（E7），请联系 CA（\(phone)）",
                en: "the CA rejected the renewal: \(reason). The certificate may be frozen, revoked or already renewed (E7); contact the CA (\(phone))")
        case .unreachable(let detail):
            Localized(
                zh: "无法连接 CA：\(detail)（网络原因，E7）；当前证书未改动，可稍后重试",
                en: "the CA cannot be reached: \(detail) (network, E7); the working certificate is unchanged, try again later")
        case .waiting(_, let instructions):
            instructions
        case .needsConfiguration(let problem):
            problem
        }
    }

    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// The check whose evidence carries the file certificate's serial (`cert.pfx-readable`), so the replaced
    /// serial joins it for redaction.
    static let pfxReadableCheckID = "cert.pfx-readable"
}

/// The renewal's steps as the report records them; each is also shown as progress.
/// `@unchecked Sendable`: backends report progress through it from their own closure; every access is locked.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private let show: RenewalProgress
    private var recorded: [RunReport.ProcedureStep] = []

    init(progress: @escaping RenewalProgress) {
        show = progress
    }

    var steps: [RunReport.ProcedureStep] { lock.withLock { recorded } }

    func add(_ name: String, _ outcome: String, _ detail: Localized) {
        lock.withLock { recorded.append(RunReport.ProcedureStep(name: name, outcome: outcome, detail: detail)) }
        show(detail)
    }

    /// Backend progress (network steps) is recorded as well, so the report shows how far the exchange got.
    func progress(_ detail: Localized) {
        add("progress", "info", detail)
    }
}
