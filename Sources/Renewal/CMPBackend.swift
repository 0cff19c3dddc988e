import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// RFC 4210 key update (KUR) through OpenSSL's CMP client: signed with the old certificate and key, the
/// CA's answers verified against `caCertificate`, the new certificate confirmed, each exchange time-limited.
public struct CMPBackend: RenewalBackend {
    /// One KUR exchange; HTTP by default, a test server in-process in unit tests.
    public typealias Exchange = @Sendable (
        _ caCertificate: X509Certificate, _ old: X509Certificate, _ oldKey: PrivateKey, _ newKey: PrivateKey,
        _ timeout: TimeInterval
    ) throws(CMPError) -> CMPResult

    public let name = "cmp"
    public let answersInTheExchange = true
    public var server: URL?
    public var caCertificate: X509Certificate?
    public var timeout: TimeInterval
    private let exchange: Exchange?

    /// `server` and `caCertificate` nil mean "not configured": the outcome says which option is missing.
    public init(server: URL?, caCertificate: X509Certificate?, timeout: TimeInterval = 30) {
        self.server = server
        self.caCertificate = caCertificate
        self.timeout = timeout
        exchange = nil
    }

    /// A backend whose exchange is given (an in-process test CA); `label` stands for the server in messages.
    public init(label: URL, caCertificate: X509Certificate, timeout: TimeInterval = 30, exchange: @escaping Exchange) {
        server = label
        self.caCertificate = caCertificate
        self.timeout = timeout
        self.exchange = exchange
    }

    public func configurationProblem() -> Localized? {
        var missing: [String] = []
        if server == nil { missing.append("--ca-url") }
        if caCertificate == nil { missing.append("--ca-cert") }
        guard !missing.isEmpty else { return nil }
        let list = missing.joined(separator: ", ")
        return Localized(
            zh: "CMP 更新需要 \(list)（CA 的地址和用于验证其应答的 CA 证书）",
            en: "the CMP backend needs \(list) (the CA's address and the CA certificate its answers are verified with)")
    }

    public func submit(_ request: RenewalRequest, progress: RenewalProgress) throws -> RenewalOutcome {
        if let problem = configurationProblem() { return .needsConfiguration(problem) }
        guard let server, let caCertificate else { return .needsConfiguration(Localized(verbatim: "CMP")) }
        let address = server.absoluteString
        progress(Localized(zh: "正在连接 CA \(address)", en: "connecting to the CA at \(address)"))
        progress(Localized(
            zh: "发送密钥更新请求（KUR，旧证书序列号 \(request.oldCertificate.serialNumberHex)）",
            en: "sending the key update request (KUR, old serial \(request.oldCertificate.serialNumberHex))"))
        let result: CMPResult
        do {
            if let exchange {
                result = try exchange(caCertificate, request.oldCertificate, request.oldKey, request.newKey, timeout)
            } else {
                result = try CMPClient.keyUpdate(
                    server: server, caCertificate: caCertificate, oldCertificate: request.oldCertificate,
                    oldKey: request.oldKey, newKey: request.newKey, timeout: timeout)
            }
        } catch {
            return try Self.outcome(of: error)
        }
        switch result {
        case .issued(let certificate, let chain):
            progress(Localized(
                zh: "已收到新证书（序列号 \(certificate.serialNumberHex)）", en: "certificate received (serial \(certificate.serialNumberHex))"))
            progress(Localized(zh: "已向 CA 发送确认（certConf）", en: "confirmation (certConf) sent and acknowledged"))
            return .issued(certificate: certificate, chain: chain)
        case .rejected(let reason, _):
            progress(Localized(zh: "CA 拒绝了请求", en: "the CA rejected the request"))
            return .rejected(reason: reason)
        case .retryAfter(let seconds):
            return .waiting(
                retryAfter: seconds,
                instructions: Localized(
                    zh: "CA 要求 \(seconds) 秒后再试；新密钥未保存，请届时重新运行 certdoctor renew",
                    en: "the CA asks to try again in \(seconds) s; the new key was not kept, run certdoctor renew again then"))
        }
    }

    /// A failed exchange as a renewal sees it: no answer is an outcome (try again later); an answer that must
    /// not be used is thrown.
    static func outcome(of error: CMPError) throws -> RenewalOutcome {
        switch error {
        case .unreachable(let detail):
            return .unreachable(detail: detail)
        case .untrustedResponse(let detail), .authorizationRefused(let detail):
            // A signed key update has no shared secret; an answer about one is not from our CA.
            throw RenewalError.untrustedAnswer(detail: detail)
        case .certificateNotAccepted(let detail):
            // The client sent a negative certConf; the CA's certificate for some other key is never used.
            if detail.contains("does not match") || detail.contains("new key") { throw RenewalError.issuedForAnotherKey }
            throw RenewalError.unusableAnswer(detail: detail)
        case .protocolFailure(let detail):
            throw RenewalError.unusableAnswer(detail: detail)
        case .invalidRequest(let detail):
            throw RenewalError.requestFailed(reason: detail)
        }
    }

    public func describe(_ request: RenewalRequest) -> String {
        "CMP key update request to \(server?.absoluteString ?? "-") for \(request.oldCertificate.subject), signed with the certificate serial \(request.oldCertificate.serialNumberHex), new key \(request.newKey.algorithm) \(request.newKey.bits) bits"
    }
}
