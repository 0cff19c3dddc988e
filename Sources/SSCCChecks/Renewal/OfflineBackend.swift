import CertDoctorCore
import Foundation
import PKI

/// The manual's 线下更新: writes the PKCS#10 request for the person to submit to the CA and keeps the new key,
/// encrypted with the certificate's password, until `renew --import` brings the issued certificate.
public struct OfflineBackend: RenewalBackend {
    public let name = "offline"
    public var pending: PendingRenewalStore
    /// Where the request for the person goes (`--request-out`); nil puts it beside the certificate.
    public var requestFile: URL?
    public var workingFile: URL

    public init(pending: PendingRenewalStore, workingFile: URL, requestFile: URL? = nil) {
        self.pending = pending
        self.workingFile = workingFile
        self.requestFile = requestFile
    }

    public func submit(_ request: RenewalRequest, progress: RenewalProgress) throws -> RenewalOutcome {
        let output = requestFile
            ?? workingFile.deletingLastPathComponent().appendingPathComponent("\(request.gateway).csr.pem")
        try pending.save(request)
        do {
            try AtomicFile.write(Array(request.certificateRequest.pem().utf8), to: output, forcedMode: 0o644)
        } catch {
            throw RenewalError.cannotWrite(path: output.path, reason: error.renewalMessage.en)
        }
        progress(Localized(zh: "证书申请已写入 \(output.path)", en: "certificate request written to \(output.path)"))
        return .waiting(
            retryAfter: nil,
            instructions: Localized(
                zh: "请将 \(output.path) 提交给 CA；拿到签发的证书（.pem/.cer/.p7b）后运行 certdoctor renew --import 文件",
                en: "Submit \(output.path) to the CA; when it issues the certificate (.pem/.cer/.p7b), run certdoctor renew --import FILE"))
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

    func save(_ request: RenewalRequest) throws {
        let folder = folder(request.gateway)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RenewalError.cannotWrite(path: folder.path, reason: error.localizedDescription)
        }
        let keyText: String
        do {
            keyText = try request.newKey.pem(encryptedWith: request.password.reveal())
        } catch {
            throw RenewalError.keyGenerationFailed(reason: error.localizedDescription)
        }
        let pending = Pending(
            gateway: request.gateway, subject: request.oldCertificate.subject, oldSerial: request.oldCertificate.serialNumberHex,
            created: Date(), newKeyAlgorithm: request.newKey.algorithm, newKeyBits: request.newKey.bits)
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

    /// The pending request and its key, decrypted with the certificate's password.
    func load(gateway: String, password: Secret) throws -> (Pending, PrivateKey) {
        let folder = folder(gateway)
        guard let json = FileManager.default.contents(atPath: folder.appendingPathComponent("pending.json").path),
              let keyData = FileManager.default.contents(atPath: folder.appendingPathComponent("pending-key.pem").path)
        else { throw RenewalError.noPendingRequest(gateway: gateway) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let pending = try? decoder.decode(Pending.self, from: json) else {
            throw RenewalError.pendingKeyUnreadable(reason: "pending.json is damaged")
        }
        do {
            return (pending, try PrivateKey(pem: String(decoding: keyData, as: UTF8.self), password: password.reveal()))
        } catch {
            throw RenewalError.pendingKeyUnreadable(reason: error.localizedDescription)
        }
    }

    /// After the renewed certificate is in place its key lives in the PFX; the pending copy goes.
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
