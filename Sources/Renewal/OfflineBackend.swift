import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// The manual's 线下更新: writes the PKCS#10 request for the person to submit to the CA and keeps the new key,
/// encrypted with the certificate's password, until `renew --import` brings the issued certificate.
public struct OfflineBackend: RenewalBackend {
    public let name = "offline"
    /// A person takes the request to the CA; nothing is issued in the exchange.
    public let answersInTheExchange = false
    public var pending: PendingRenewalStore
    /// Where the request for the person goes (`--request-out`); nil puts it beside the certificate.
    public var requestFile: URL?
    public var workingFile: URL
    /// Whether a new request may take the place of one still pending (`--replace-pending`).
    public var replacePending: Bool
    /// The complete `certdoctor renew --import FILE …` command, with the user's own options, for a certificate
    /// saved at the given place; the instructions print it so that it works when pasted.
    public var importCommand: @Sendable (URL) -> String

    public init(
        pending: PendingRenewalStore, workingFile: URL, requestFile: URL? = nil, replacePending: Bool = false,
        importCommand: @escaping @Sendable (URL) -> String = { "certdoctor renew --import '\($0.path)'" }
    ) {
        self.pending = pending
        self.workingFile = workingFile
        self.requestFile = requestFile
        self.replacePending = replacePending
        self.importCommand = importCommand
    }

    public func submit(_ request: RenewalRequest, progress: RenewalProgress) throws -> RenewalOutcome {
        let output = requestFile
            ?? workingFile.deletingLastPathComponent().appendingPathComponent("\(request.gateway).csr.pem")
        if let existing = pending.existing(gateway: request.gateway), existing.oldSerial == request.oldCertificate.serialNumberHex {
            guard replacePending else {
                throw RenewalError.requestAlreadyPending(gateway: request.gateway, since: existing.created.formatted(.iso8601))
            }
            try pending.setAside(gateway: request.gateway)
        }
        try pending.save(request)
        do {
            try AtomicFile.write(Array(request.certificateRequest.pem().utf8), to: output, forcedMode: 0o644)
        } catch {
            throw RenewalError.cannotWrite(path: output.path, reason: error.renewalMessage.en)
        }
        progress(Localized(zh: "证书申请已写入 \(output.path)", en: "certificate request written to \(output.path)"))
        // A name for the issued certificate, so that the next step is a command that works as printed.
        let issued = output.deletingLastPathComponent().appendingPathComponent("\(request.gateway).cer")
        let command = importCommand(issued)
        return .waiting(
            retryAfter: nil,
            instructions: Localized(
                zh: "请将 \(output.path) 提交给 CA；拿到签发的证书（.pem/.cer/.p7b）后保存为 \(issued.path)，再运行：\(command)",
                en: "Submit \(output.path) to the CA; when it issues the certificate (.pem/.cer/.p7b), save it as \(issued.path) and run: \(command)"))
    }

    public func describe(_ request: RenewalRequest) -> String {
        "PKCS#10 request for \(request.certificateRequest.subject) written for manual submission, new key \(request.newKey.algorithm) \(request.newKey.bits) bits"
    }
}

/// The new key and request of an offline renewal, kept in the state directory
/// (`$XDG_STATE_HOME/certdoctor/renewal/<gateway>/`, mode 0700; files 0600) until the issued certificate arrives.
public struct PendingRenewalStore: Sendable {
    public struct Pending: Sendable, Codable {
        public var gateway: String
        public var subject: String
        public var oldSerial: String
        public var created: Date
        public var newKeyAlgorithm: String
        public var newKeyBits: Int
        /// True when the kept key is encrypted with the password the user's `--new-key` came with (absent in
        /// requests written before this was recorded: those use the certificate password).
        public var keyHasOwnPassword: Bool?
    }

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Beside the fix journal: `$XDG_STATE_HOME/certdoctor/renewal`.
    public static func defaultDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        Journal.defaultDirectory(environment).deletingLastPathComponent().appendingPathComponent("renewal")
    }

    func folder(_ gateway: String) -> URL { directory.appendingPathComponent(gateway) }

    /// The request still pending for `gateway`, if any.
    func existing(gateway: String) -> Pending? {
        guard let json = FileManager.default.contents(atPath: folder(gateway).appendingPathComponent("pending.json").path) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Pending.self, from: json)
    }

    /// Moves a pending request and its key to `replaced/<time>/` instead of overwriting them: the key is the
    /// only way to use a certificate the CA may still issue for that request.
    func setAside(gateway: String) throws {
        let folder = folder(gateway)
        let aside = folder.appendingPathComponent("replaced").appendingPathComponent(Date().formatted(.iso8601).replacingOccurrences(of: ":", with: ""))
        do {
            try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for name in ["pending-key.pem", "request.pem", "pending.json"]
            where FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                try FileManager.default.moveItem(at: folder.appendingPathComponent(name), to: aside.appendingPathComponent(name))
            }
        } catch {
            throw RenewalError.cannotWrite(path: aside.path, reason: error.localizedDescription)
        }
    }

    func save(_ request: RenewalRequest) throws {
        let folder = folder(request.gateway)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RenewalError.cannotWrite(path: folder.path, reason: error.localizedDescription)
        }
        let keyText: String
        do {
            keyText = try request.newKey.pem(encryptedWith: (request.newKeyPassword ?? request.password).reveal())
        } catch {
            throw RenewalError.keyGenerationFailed(reason: error.localizedDescription)
        }
        let pending = Pending(
            gateway: request.gateway, subject: request.oldCertificate.subject, oldSerial: request.oldCertificate.serialNumberHex,
            created: Date(), newKeyAlgorithm: request.newKey.algorithm, newKeyBits: request.newKey.bits,
            keyHasOwnPassword: request.newKeyPassword != nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            try AtomicFile.write(Array(keyText.utf8), to: folder.appendingPathComponent("pending-key.pem"), forcedMode: 0o600)
            try AtomicFile.write(
                Array(request.certificateRequest.pem().utf8), to: folder.appendingPathComponent("request.pem"), forcedMode: 0o600)
            try AtomicFile.write(Array(try encoder.encode(pending)), to: folder.appendingPathComponent("pending.json"), forcedMode: 0o600)
        } catch let error as CoreError {
            throw RenewalError.cannotWrite(path: folder.path, reason: error.text(.en))
        }
    }

    /// The pending request and its key, decrypted with the certificate's password, or with the new key's own
    /// password (asked for through `newKeyPassword`) when the key came with one.
    func load(gateway: String, password: Secret, newKeyPassword: () throws -> Secret? = { nil }) throws -> (Pending, PrivateKey) {
        let folder = folder(gateway)
        guard let json = FileManager.default.contents(atPath: folder.appendingPathComponent("pending.json").path),
              let keyData = FileManager.default.contents(atPath: folder.appendingPathComponent("pending-key.pem").path)
        else { throw RenewalError.noPendingRequest(gateway: gateway) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let pending = try? decoder.decode(Pending.self, from: json) else {
            throw RenewalError.pendingKeyUnreadable(reason: "pending.json is damaged")
        }
        var keyPassword = password
        if pending.keyHasOwnPassword == true {
            guard let own = try newKeyPassword() else { throw RenewalError.newKeyPasswordNeeded }
            keyPassword = own
        }
        do {
            return (pending, try PrivateKey(pem: String(decoding: keyData, as: UTF8.self), password: keyPassword.reveal()))
        } catch {
            throw RenewalError.pendingKeyUnreadable(reason: error.localizedDescription)
        }
    }

    /// After the renewed certificate is in place its key lives in the PFX; the pending copy goes.
    /// Keeps a certificate the CA issued but that could not be installed, beside its pending key, so that
    /// `renew --import` can complete the renewal once the problem is fixed.
    func keepIssued(_ certificate: X509Certificate, gateway: String) throws -> URL {
        let file = folder(gateway).appendingPathComponent("issued.pem")
        try AtomicFile.write(Array(certificate.pem().utf8), to: file, forcedMode: 0o600)
        return file
    }

    func remove(gateway: String) {
        for name in ["pending-key.pem", "request.pem", "pending.json"] {
            try? FileManager.default.removeItem(at: folder(gateway).appendingPathComponent(name))
        }
    }
}

extension Error {
    /// The zh/en message of any error certdoctor's modules throw.
    var renewalMessage: Localized {
        if let localized = self as? any LocalizedMessage { return localized.localizedMessage }
        if let core = self as? CoreError { return Localized(zh: core.chineseDescription, en: core.text(.en)) }
        return Localized(verbatim: (self as? LocalizedError)?.errorDescription ?? "\(self)")
    }
}
