import ArgumentParser
import CertDoctorCore
import Foundation
import PKI
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

#if canImport(Glibc)
import Glibc
#endif

struct RenewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: Help.text(
            zh: "更新文件证书——仅在所有必需检查通过时进行。", en: "Renew the file certificate — only when every required check passes."),
        discussion: Help.text(zh: chinese, en: english) + ExitStatusHelp.text)

    static let english = """
            THE GATE
            renew first runs every check, as 'check' does. If any required check fails or cannot be evaluated, nothing is generated or sent: renew exits 1 and lists the failing checks with their remedies. --fix applies the available fixes first (asking, or --yes) and checks again. Nothing bypasses the gate.

            BACKENDS
            offline (default; the manual's 线下更新): makes a new key pair (--key-type, default rsa2048; or --new-key FILE) and a PKCS#10 request with the old certificate's subject, writes the request (--request-out, default <gateway>.csr.pem beside the certificate) for you to submit to the CA, and keeps the new key encrypted with the certificate password in $XDG_STATE_HOME/certdoctor/renewal/ (mode 0600). When the CA has issued the certificate, 'renew --import FILE' (.pem, .cer or .p7b) completes the renewal; the certificate must carry the pending key and the old subject.

            cmp: an RFC 4210 key update request to --ca-url, signed with the old certificate and key; the CA's answers must verify against --ca-cert; the new certificate is confirmed (certConf). --cmp-timeout limits every exchange.

            WRITING THE NEW CERTIFICATE (both backends)
            The new PFX is protected with the certificate password, in the Windows 7-compatible profile (PBE-SHA1-3DES, SHA-1 MAC) unless --pfx-profile modern. It is verified (opens with the password, key matches the certificate, same CN, later expiry, same issuer) before it replaces <gateway>#0.pfx by rename. The old file is archived first as archive/<gateway>#0.<old serial>.pfx and the new one as archive/<gateway>#0.<new serial>.pfx; archives are never overwritten or deleted. 'certdoctor undo' makes the old certificate the working one again; the new one stays archived.

            EXIT STATUS OF RENEW
              0   renewed and installed, or (offline) the request was written
              1   refused by the gate, or rejected by the CA (frozen, revoked: E7)
              64  usage error, or the backend lacks --ca-url/--ca-cert
              65  the CA's answer was refused (other key, untrusted, unverified)
              66  an input file is missing or unreadable
              69  the CA is unreachable (network, E7)
              73  the new file or its archive cannot be written (old one kept)
              75  the CA asks to try again later

            """

    static let chinese = """
            更新前的检查（门槛）
            renew 先像 check 一样运行全部检查。只要有必需检查失败或无法判定，就不会生成或发送任何内容：renew 以 1 退出，并列出未通过的检查及处理办法。--fix 先执行可用的修复（会询问，或用 --yes）再重新检查。任何选项都不能绕过这一门槛。

            两种更新方式
            offline（默认，即手册中的“线下更新”）：生成新密钥对（--key-type，默认 rsa2048；或用 --new-key 文件）和以旧证书主题为主题的 PKCS#10 申请书，把申请书写到证书旁的 <网关号>.csr.pem（或 --request-out 指定的文件）供您提交给 CA，新私钥以证书密码加密保存在 $XDG_STATE_HOME/certdoctor/renewal/（权限 0600）。CA 签发证书后，用 'renew --import 文件'（.pem、.cer 或 .p7b）完成更新；该证书必须对应待完成的新密钥且主题与旧证书一致。

            cmp：向 --ca-url 发送 RFC 4210 密钥更新请求（KUR），用旧证书和旧私钥签名；CA 的应答必须能用 --ca-cert 验证；收到新证书后发送确认（certConf）。--cmp-timeout 限制每次交互的时间。

            写入新证书（两种方式相同）
            新 PFX 使用原证书密码，默认采用 Windows 7 兼容的保护方式（PBE-SHA1-3DES，SHA-1 MAC），--pfx-profile modern 则用 AES/PBKDF2。替换 <网关号>#0.pfx 之前先校验（密码能打开、私钥与证书匹配、CN 相同、有效期更晚、签发者一致），再以改名方式原子替换。旧文件先归档为 archive/<网关号>#0.<旧序列号>.pfx，新文件归档为 archive/<网关号>#0.<新序列号>.pfx；归档文件从不覆盖、从不删除。'certdoctor undo' 可让旧证书重新成为当前证书，新证书仍保留在归档中。

            renew 的退出码
              0   已更新并安装；或（线下）申请书已写出
              1   被门槛拦截，或 CA 拒绝更新（证书被冻结、吊销：E7）
              64  用法错误，或缺少 --ca-url/--ca-cert
              65  拒绝了 CA 的应答（密钥不符、签名不可信、校验失败）
              66  输入文件不存在或不可读
              69  无法连接 CA（网络原因，E7）
              73  无法写入新证书或归档（旧证书保持不变）
              75  CA 要求稍后重试

            """

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case offline
        case cmp
    }

    enum PFXProfile: String, ExpressibleByArgument, CaseIterable {
        case windows7
        case modern

        var pkcs12: PKCS12Profile { self == .windows7 ? .windows7 : .modern }
    }

    @OptionGroup var targets: TargetOptions
    @OptionGroup var output: OutputOptions

    @Option(help: Help.argument(zh: "如何联系 CA：offline（生成申请书手动提交）或 cmp（RFC 4210 密钥更新）。", en: "How to reach the CA: offline (a request to submit by hand) or cmp (RFC 4210 key update)."))
    var backend: Backend = .offline

    @Option(name: .customLong("import"), help: Help.argument(zh: "用 CA 签发的证书（.pem、.cer 或 .p7b）完成线下更新。", en: "Complete an offline renewal with the issued certificate (.pem, .cer or .p7b)."), completion: .file(extensions: ["pem", "cer", "crt", "p7b"]))
    var importFile: String?

    @Option(help: Help.argument(zh: "CMP 服务器地址，如 http://ca.example:8080/pkix/（cmp 方式）。", en: "The CMP server, e.g. http://ca.example:8080/pkix/ (cmp backend)."))
    var caURL: String?

    @Option(help: Help.argument(zh: "用于验证 CMP 应答签名的 CA 证书（PEM 或 DER；cmp 方式）。", en: "The CA certificate the CMP answers must be signed with (PEM or DER; cmp backend)."), completion: .file())
    var caCert: String?

    @Option(help: Help.argument(zh: "每次 CMP 交互的时限（秒）。", en: "Seconds each CMP exchange may take."))
    var cmpTimeout: Double = 30

    @OptionGroup var newKeyOptions: NewKeyOptions

    @Option(help: Help.argument(
        zh: "新 PFX 的保护方式：windows7（PBE-SHA1-3DES，SHA-1 MAC，各处均可导入）或 modern（AES/PBKDF2）。",
        en: "Protection of the new PFX: windows7 (PBE-SHA1-3DES, SHA-1 MAC; imports everywhere) or modern (AES/PBKDF2)."))
    var pfxProfile: PFXProfile = .windows7

    @Option(help: Help.argument(
        zh: "线下方式写出申请书的位置（默认：证书旁的 <网关号>.csr.pem）。",
        en: "Where the offline backend writes the certificate request (default: <gateway>.csr.pem beside the certificate)."), completion: .file())
    var requestOut: String?

    @Flag(help: Help.argument(
        zh: "即使已有待完成的线下申请也重新生成（原私钥另存于状态目录）。",
        en: "Make a new offline request even though one is pending (its key is set aside in the state directory)."))
    var replacePending = false

    @Flag(help: Help.argument(zh: "先对未通过的检查执行可用的修复，再重新检查。", en: "Apply the available fixes for failing checks first, then check again."))
    var fix = false

    @Flag(name: .shortAndLong, help: Help.argument(zh: "配合 --fix：不询问直接执行。", en: "With --fix: apply without asking."))
    var yes = false

    @Option(help: Help.argument(zh: "门槛中每个检查项的时限（秒）。", en: "Seconds each check of the gate may take."))
    var timeout: Double = 10

    func validate() throws {
        guard targets.pfx != nil else { throw usage(zh: "renew 需要 --pfx（要更新的文件证书）", en: "renew needs --pfx, the file certificate to renew") }
        if let problem = newKeyOptions.keyTypeProblem(output.language) { throw problem }
        if importFile != nil, backend != .offline {
            throw usage(
                zh: "--import 用于完成线下更新，不能与 --backend \(backend.rawValue) 同用",
                en: "--import completes an offline renewal; it does not go with --backend \(backend.rawValue)")
        }
        if importFile != nil, newKeyOptions.newKey != nil {
            throw usage(
                zh: "--import 使用线下申请时保存的新密钥，不能再指定 --new-key",
                en: "--import uses the pending key of the offline request; --new-key does not apply")
        }
        guard RunOptions.isReasonableTimeout(timeout), RunOptions.isReasonableTimeout(cmpTimeout) else {
            throw usage(zh: "--timeout 和 --cmp-timeout 必须是 0 到 86400 之间的秒数", en: "--timeout and --cmp-timeout must be seconds between 0 and 86400")
        }
    }

    private func usage(zh: String, en: String) -> ValidationError {
        ValidationError(Localized(zh: zh, en: en).text(output.language))
    }

    func run() throws {
        let language = output.language
        try Console.run(language: language) {
            let session = try Session(targets: targets, output: output, timeout: timeout)
            let renewal = CertificateRenewal(
                doctor: session.doctor, environment: session.environment,
                journal: Journal(directory: Journal.defaultDirectory()),
                pending: PendingRenewalStore(directory: PendingRenewalStore.defaultDirectory()),
                profile: pfxProfile.pkcs12, checkTimeout: timeout, issuerCertificates: try caCertificate().map { [$0] } ?? [])
            // A CMP exchange or a key generation takes a moment: a person at a terminal is told.
            let progress: RenewalProgress = Console.progress(for: output)
            let confirm: ([FixPlan]) -> Bool = { plans in
                Console.say(FixPlanText.render(plans, language: language))
                return yes || Console.confirm(Localized(zh: "执行以上修改？", en: "Apply these changes?").text(language))
            }
            let result: RenewalResult
            if let importFile {
                result = renewal.importIssued(
                    URL(fileURLWithPath: importFile), newKeyPassword: { try newKeyOptions.password(language: language) },
                    fix: fix ? confirm : nil, progress: progress)
            } else {
                let given = try newKeyOptions.load(language: language)
                result = renewal.renew(
                    using: try makeBackend(pfx: session.environment.pfxFile), newKey: given?.key, newKeyPassword: given?.password,
                    keyType: newKeyOptions.type, fix: fix ? confirm : nil, progress: progress)
            }
            try emit(result, session: session)
            // On success the message is among the renewal steps already; stdout stays pure JSON with --format json.
            if let message = result.message, result.status != .success {
                Console.warn(message.text(language))
            }
            for blocking in result.blocking {
                Console.warn("\(blocking.id) [\(blocking.outcome.rawValue)]: \(blocking.message.text(language))"
                    + (blocking.remedy.map { " — " + $0.text(language) } ?? ""))
            }
            return result.status
        }
    }

    private func caCertificate() throws -> X509Certificate? {
        try caCert.map { try RenewalInputs.caCertificate(at: $0) }
    }

    private func makeBackend(pfx: URL?) throws -> any RenewalBackend {
        switch backend {
        case .offline:
            return OfflineBackend(
                pending: PendingRenewalStore(directory: PendingRenewalStore.defaultDirectory()),
                workingFile: pfx ?? URL(fileURLWithPath: "."), requestFile: requestOut.map { URL(fileURLWithPath: $0) },
                replacePending: replacePending,
                importCommand: { [targets] issued in targets.command("renew", extra: ["--import", issued.path]) })
        case .cmp:
            return CMPBackend(server: caURL.flatMap { URL(string: $0) }, caCertificate: try caCertificate(), timeout: cmpTimeout)
        }
    }

    /// The report as `check` prints it (every format, `--report DIR`, redaction); the renewal steps are part of
    /// it, and after a text report they are listed for the person as well.
    private func emit(_ result: RenewalResult, session: Session) throws {
        let language = output.language
        if !result.report.results.isEmpty || output.format != "text" { try session.emit(result.report) }
        guard output.format == "text" else { return }
        let lines = result.report.procedure.filter { $0.name != "progress" }.map { "  [\($0.outcome)] \($0.name): \($0.detail.text(language))" }
        if !lines.isEmpty {
            Console.say((Localized(zh: "证书更新：", en: "Renewal:").text(language)) + "\n" + lines.joined(separator: "\n"))
        }
    }
}
