import CertDoctorCore
import Foundation

/// Everything that stops a first download (`enroll`) besides the renewal's own failures. No case carries a
/// code or a password: they are named, never shown.
public enum EnrolmentError: Error, LocalizedMessage, CommandEndingProviding, Sendable, Equatable {
    /// The CA refused the envelope's codes: wrong, expired, already used, or a reference it does not know.
    case authorizationRefused(detail: String)
    /// The CA refused the request for another reason.
    case rejected(reason: String)
    case unreachable(detail: String)
    /// The token already holds a certificate named as the gateway: like the PFX, it is never overwritten.
    case tokenHoldsCertificate(label: String)
    /// The PKCS#11 module shows no token with the label asked for (not inserted, another label).
    case tokenNotFound(label: String)

    public var localizedMessage: Localized {
        switch self {
        case .authorizationRefused(let detail):
            Localized(
                zh: "CA 拒绝了参考码/授权码：授权码错误、已过期（信封日期起 30 天）或已使用过。请向 CA 申请新的密码信封后重试（\(detail)）",
                en: "the CA refused the reference/authorization code: the authorization code is wrong, expired (30 days from the envelope's date) or already used. Ask the CA for a new password envelope and try again (\(detail))")
        case .rejected(let reason):
            Localized(zh: "CA 拒绝了证书下载请求：\(reason)", en: "the CA rejected the download request: \(reason)")
        case .unreachable(let detail):
            Localized(zh: "无法连接 CA：\(detail)", en: "the CA cannot be reached: \(detail)")
        case .tokenNotFound(let label):
            Localized(zh: "PKCS#11 模块中没有标签为“\(label)”的令牌（未插入或标签不同）",
                      en: "the PKCS#11 module shows no token labelled '\(label)' (not inserted, or another label)")
        case .tokenHoldsCertificate(let label):
            Localized(
                zh: "令牌中已有名为 \(label) 的证书；令牌上的证书从不覆盖，请先用厂商工具移走它（R15）",
                en: "the token already holds a certificate named \(label); a certificate on the token is never overwritten: move it away with the vendor's tool first (R15)")
        }
    }

    public var ending: CommandEnding {
        switch self {
        case .authorizationRefused, .rejected, .tokenHoldsCertificate: .failure
        case .unreachable, .tokenNotFound: .unavailable
        }
    }
}
