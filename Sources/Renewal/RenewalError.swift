import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation

/// Everything that stops a renewal after the gate passed. No case carries a password or key material: details
/// come from file names, certificate names and OpenSSL's reason texts only.
public enum RenewalError: Error, LocalizedError, LocalizedMessage, CommandEndingProviding, Sendable, Equatable {
    /// The working certificate could not be opened (a changed file since the gate ran, or a wrong password).
    case oldCertificateUnreadable(reason: String)
    case newKeyUnreadable(path: String, reason: String)
    /// `--new-key` is the key the old certificate already carries; a renewal needs a new key pair.
    case newKeyIsOldKey
    case keyGenerationFailed(reason: String)
    case requestFailed(reason: String)
    /// `renew --import` without an earlier offline `renew` for this gateway.
    case noPendingRequest(gateway: String)
    /// `renew --token --import` without an earlier offline `renew --token`: no `<gateway>.pending` pair on the token.
    case noPendingTokenPair(gateway: String)
    /// The pending request was made for a certificate that is no longer the working one.
    case pendingRequestStale(requestedFor: String, working: String)
    /// A request is already with the CA; a new one would make the certificate issued for it unusable.
    case requestAlreadyPending(gateway: String, since: String)
    /// The CA issued the certificate, but it could not be installed; the certificate and the key are kept.
    case issuedButNotInstalled(reason: Localized, issuedFile: String, status: CommandEnding)
    case pendingKeyUnreadable(reason: String)
    case issuedFileUnreadable(path: String, reason: String)
    /// The pending key is kept encrypted with the password the user's new key came with, and none was given.
    case newKeyPasswordNeeded
    /// The CA certificate given with `--ca-cert` cannot be read as one.
    case caCertificateUnreadable(path: String, reason: String)
    /// No certificate in the issued file (or the CA's answer) carries the new key.
    case issuedForAnotherKey
    case subjectChanged(expected: String, issued: String)
    /// The CA's answer was not signed by the trusted CA.
    case untrustedAnswer(detail: String)
    /// The CA's answer could not be used (a certificate refused by the client, a broken exchange).
    case unusableAnswer(detail: String)
    /// The new PFX failed its verification; nothing was replaced.
    case verificationFailed(reason: Localized)
    /// The working file is not where the name rule (R15) puts it.
    case nameRule(expected: String, actual: String)
    /// An archive name is taken by different bytes; archives are never overwritten.
    case archiveConflict(path: String)
    case cannotWrite(path: String, reason: String)
    /// The certificate issued for the token key failed its verification; nothing on the token was changed.
    case tokenCertificateRefused(reason: Localized)
    /// The key pair for the renewal on the token cannot be used (not protected as it must be, or ambiguous).
    case tokenKeyUnusable(reason: Localized)
    /// The token refused or lost a change (pulled out, read-only labels); `reverted` says whether the steps
    /// already made were taken back.
    case tokenChangeFailed(step: String, reason: Localized, reverted: Bool)
    /// The token could not be used before anything on it was renamed (removed, the module failed, the PIN refused
    /// or low on tries); `pin` says it was the login.
    case tokenUnusable(reason: Localized, pin: Bool)

    public var localizedMessage: Localized {
        switch self {
        case .oldCertificateUnreadable(let reason):
            Localized(zh: "无法打开当前证书：\(reason)", en: "cannot open the working certificate: \(reason)")
        case .newKeyUnreadable(let path, let reason):
            Localized(zh: "无法读取新密钥 \(path)：\(reason)", en: "cannot read the new key \(path): \(reason)")
        case .newKeyIsOldKey:
            Localized(
                zh: "给定的新密钥就是旧证书的密钥；更新需要新的密钥对",
                en: "the given new key is the old certificate's key; a renewal needs a new key pair")
        case .keyGenerationFailed(let reason):
            Localized(zh: "无法生成新密钥对：\(reason)", en: "cannot generate the new key pair: \(reason)")
        case .requestFailed(let reason):
            Localized(zh: "无法生成证书申请（PKCS#10）：\(reason)", en: "cannot make the certificate request (PKCS#10): \(reason)")
        case .noPendingRequest(let gateway):
            Localized(
                zh: "没有 \(gateway) 的待完成申请：请先运行 certdoctor renew（线下更新）生成申请书",
                en: "no pending request for \(gateway): run certdoctor renew (offline backend) first to write one")
        case .noPendingTokenPair(let gateway):
            Localized(
                zh: "令牌中没有 \(gateway) 的待用密钥对（\(gateway).pending）：请先运行 certdoctor renew --token（线下更新）生成申请书",
                en: "the token holds no pending key pair for \(gateway) (\(gateway).pending): run certdoctor renew --token (offline backend) first to write the request")
        case .pendingRequestStale(let requestedFor, let working):
            Localized(
                zh: "待完成申请是为序列号 \(requestedFor) 的证书生成的，而当前证书的序列号是 \(working)；请重新生成申请",
                en: "the pending request was made for the certificate with serial \(requestedFor), but the working one has serial \(working); make a new request")
        case .issuedButNotInstalled(let reason, let issuedFile, _):
            Localized(zh: "CA 已签发新证书，但未能安装：", en: "the CA issued the new certificate, but it could not be installed: ") + reason
                + Localized(
                    zh: "。证书已保存到 \(issuedFile)，新私钥加密保存在状态目录；问题解决后运行 certdoctor renew --import \(issuedFile) 完成更新",
                    en: ". The certificate is kept at \(issuedFile) and the new key, encrypted, in the state directory; once the problem is fixed, run certdoctor renew --import \(issuedFile) to finish")
        case .requestAlreadyPending(let gateway, let since):
            Localized(
                zh: "\(gateway) 已有一份 \(since) 生成的待完成申请；CA 签发后请用 --import 完成。确需重新申请请加 --replace-pending（原申请的私钥会另存，但其签发的证书将无法直接导入）",
                en: "a request for \(gateway) made \(since) is still pending; complete it with --import once the CA issues it. To make a new request anyway, add --replace-pending (the old request's key is kept aside, but a certificate issued for it can no longer be imported directly)")
        case .pendingKeyUnreadable(let reason):
            Localized(zh: "无法解密待完成申请的新密钥：\(reason)", en: "cannot decrypt the pending new key: \(reason)")
        case .issuedFileUnreadable(let path, let reason):
            Localized(zh: "无法读取签发的证书 \(path)：\(reason)", en: "cannot read the issued certificate \(path): \(reason)")
        case .newKeyPasswordNeeded:
            Localized(
                zh: "待完成申请的新密钥以其自带的密码加密保存：请用 --new-key-password-file 或环境变量 CERTDOCTOR_NEW_KEY_PASSWORD 再次提供该密码",
                en: "the pending new key is kept encrypted with the password it came with: give it again with --new-key-password-file or CERTDOCTOR_NEW_KEY_PASSWORD")
        case .caCertificateUnreadable(let path, let reason):
            Localized(zh: "无法读取 --ca-cert 指定的 CA 证书 \(path)：\(reason)", en: "cannot read the CA certificate given with --ca-cert, \(path): \(reason)")
        case .issuedForAnotherKey:
            Localized(
                zh: "签发的证书不是为本次生成的新密钥签发的，已拒绝；当前证书未作任何改动",
                en: "the issued certificate is not for the new key of this renewal; refused, the working certificate is unchanged")
        case .subjectChanged(let expected, let issued):
            Localized(
                zh: "签发的证书主题“\(issued)”与原证书“\(expected)”不一致，已拒绝",
                en: "the issued certificate's subject '\(issued)' differs from the old one '\(expected)'; refused")
        case .untrustedAnswer(let detail):
            Localized(
                zh: "CA 的应答不是由受信任的 CA（--ca-cert）签名的，已拒绝：\(detail)",
                en: "the CA's answer is not signed by the trusted CA (--ca-cert); refused: \(detail)")
        case .unusableAnswer(let detail):
            Localized(zh: "CA 的应答无法使用，已拒绝：\(detail)", en: "the CA's answer cannot be used; refused: \(detail)")
        case .verificationFailed(let reason):
            Localized(zh: "新的 PFX 未通过校验，未替换任何文件：", en: "the new PFX failed verification, nothing was replaced: ") + reason
        case .nameRule(let expected, let actual):
            Localized(
                zh: "当前证书文件应命名为 \(expected)（R15），实际为 \(actual)",
                en: "the working certificate should be named \(expected) (R15), not \(actual)")
        case .archiveConflict(let path):
            Localized(
                zh: "归档文件 \(path) 已存在且内容不同；归档从不覆盖",
                en: "the archive \(path) exists with different contents; archives are never overwritten")
        case .cannotWrite(let path, let reason):
            Localized(zh: "无法写入 \(path)：\(reason)", en: "cannot write \(path): \(reason)")
        case .tokenCertificateRefused(let reason):
            Localized(zh: "签发的证书未通过校验，令牌未作任何改动：", en: "the issued certificate failed verification, nothing on the token was changed: ") + reason
        case .tokenKeyUnusable(let reason):
            Localized(zh: "令牌中的新密钥无法用于更新：", en: "the new key on the token cannot be used: ") + reason
        case .tokenUnusable(let reason, _):
            Localized(
                zh: "无法使用令牌，旧证书未改动（若已生成新密钥对，它留作 .pending，下次运行会再用）：",
                en: "the token could not be used; the old certificate is unchanged (a new key pair already made stays as .pending for the next run): ")
                + reason
        case .tokenChangeFailed(let step, let reason, let reverted):
            (reverted
                ? Localized(
                    zh: "令牌上的步骤“\(step)”失败，已完成的步骤已撤销，旧证书仍以原名称可用：",
                    en: "the step '\(step)' on the token failed; the steps before it were taken back and the old certificate is usable under its name: ")
                : Localized(
                    zh: "令牌上的步骤“\(step)”失败，且无法撤销已完成的步骤；旧证书和私钥仍在令牌中（可能名为 .old-<序列号>），请插好令牌后运行 certdoctor undo 恢复旧名称，再运行 certdoctor check --token：",
                    en: "the step '\(step)' on the token failed and the steps before it could not be taken back; the old certificate and key are still on the token (possibly named .old-<serial>); with the token in place, run certdoctor undo to give them their name back, then certdoctor check --token: "))
                + reason
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }

    static func isReadableRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isReadableFile(atPath: path)
    }

    public var ending: CommandEnding {
        switch self {
        case .oldCertificateUnreadable, .pendingKeyUnreadable: .failure
        // A file that is there but cannot be understood is malformed input (65), not missing input (66).
        // A directory is no file to read (66), whatever its permissions say.
        case .newKeyUnreadable(let path, _), .issuedFileUnreadable(let path, _), .caCertificateUnreadable(let path, _):
            Self.isReadableRegularFile(path) ? .dataError : .noInput
        case .noPendingRequest, .noPendingTokenPair, .newKeyPasswordNeeded: .noInput
        case .keyGenerationFailed, .requestFailed: .software
        case .pendingRequestStale, .nameRule, .requestAlreadyPending: .failure
        case .issuedButNotInstalled(_, _, let status): status
        case .newKeyIsOldKey: .usage
        case .tokenKeyUnusable: .failure
        // A refused PIN stops the renewal as a wrong password does; a token gone or failing is a service away.
        case .tokenUnusable(_, let pin): pin ? .failure : .unavailable
        case .issuedForAnotherKey, .subjectChanged, .untrustedAnswer, .unusableAnswer, .verificationFailed,
             .tokenCertificateRefused: .dataError
        case .archiveConflict, .cannotWrite, .tokenChangeFailed: .cannotCreate
        }
    }
}
