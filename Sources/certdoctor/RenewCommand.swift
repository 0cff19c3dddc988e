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
            zh: "更新文件证书或（--token）硬件证书——仅在所有必需检查通过时进行。",
            en: "Renew the file certificate, or (--token) the hardware certificate — only when every required check passes."),
        discussion: Help.text(zh: chinese, en: english) + ExitStatusHelp.text)

    static let english = """
            THE GATE
            renew first runs every check, as 'check' does. If any required check fails or cannot be evaluated, nothing is generated or sent: renew exits 1 and lists the failing checks with their remedies. --fix applies the available fixes first (asking, or --yes) and checks again. Nothing bypasses the gate.

            BACKENDS
            offline (default; the manual's 线下更新): makes a new key pair (--key-type, default rsa2048; or --new-key FILE) and a PKCS#10 request with the old certificate's subject, writes the request (--request-out, default <gateway>.csr.pem beside the certificate) for you to submit to the CA, and keeps the new key encrypted with the certificate password in $XDG_STATE_HOME/certdoctor/renewal/ (mode 0600). When the CA has issued the certificate, 'renew --import FILE' (.pem, .cer or .p7b) completes the renewal; the certificate must carry the pending key and the old subject.

            cmp: an RFC 4210 key update request to --ca-url, signed with the old certificate and key; the CA's answers must verify against --ca-cert; the new certificate is confirmed (certConf). --cmp-timeout limits every exchange.

            WRITING THE NEW CERTIFICATE (both backends)
            The new PFX is protected with the certificate password, in the Windows 7-compatible profile (PBE-SHA1-3DES, SHA-1 MAC) unless --pfx-profile modern. It is verified (opens with the password, key matches the certificate, same CN, later expiry, same issuer) before it replaces <gateway>#0.pfx by rename. The old file is archived first as archive/<gateway>#0.<old serial>.pfx and the new one as archive/<gateway>#0.<new serial>.pfx; archives are never overwritten or deleted. 'certdoctor undo' makes the old certificate the working one again; the new one stays archived.

            THE HARDWARE CERTIFICATE (--token)
            renew --token --backend cmp --ca-url URL --ca-cert ROOT renews the certificate on the token that the gate's token checks found (--pkcs11-module, --token-label as for 'check --token'; the PIN from --token-pin-file, CERTDOCTOR_TOKEN_PIN or a prompt). A new RSA key pair is generated on the token (--key-type rsa2048/3072/4096), or --token-new-key-id ID uses one the vendor's tool made there; the key update is signed on the token with both keys. The issued certificate is verified before anything on the token changes; the old certificate and key are kept as <gateway>.old-<serial> unless --remove-old. Each renaming is a journal record: 'certdoctor undo' gives the old certificate its name back. If the CA does not issue, the new pair stays as <gateway>.pending and the next run uses it again.

            renew --token (offline, the default) makes or reuses the new pair on the token as above, and writes a PKCS#10 request with the old certificate's subject, signed on the token with the new key, to --request-out (default: <gateway>.csr.pem in the current directory; a different file already there is not overwritten). The token is the pending store: the pair stays <gateway>.pending, and running the request again reuses it and writes the same request. When the CA has issued the certificate, 'renew --token --import FILE --ca-cert ROOT' (.pem, .cer or .p7b) completes the renewal: the certificate must carry the pending key and the old subject, and is verified and installed as with cmp (journaled, undo, --remove-old).

            EXIT STATUS OF RENEW
              0   renewed and installed, or (offline) the request was written
              1   refused by the gate, or rejected by the CA (frozen, revoked: E7), or (--token) the PIN was refused
              64  usage error, or the backend lacks --ca-url/--ca-cert, or --token --import lacks --ca-cert
              65  the CA's answer or the imported certificate was refused (other key, untrusted, unverified)
              66  an input file is missing or unreadable, or nothing is pending for --import (--token: no <gateway>.pending pair)
              69  the CA is unreachable (network, E7), or (--token) the token cannot be used (removed, module failure)
              73  the new file or its archive cannot be written (old one kept), or (--token) a renaming on the token failed or a different file is where the request goes
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

            硬件证书（--token）
            renew --token --backend cmp --ca-url 地址 --ca-cert 根证书 更新门槛中令牌检查找到的那个令牌中的证书（--pkcs11-module、--token-label 与 'check --token' 相同；PIN 取自 --token-pin-file、CERTDOCTOR_TOKEN_PIN 或提示输入）。新 RSA 密钥对在令牌中生成（--key-type rsa2048/3072/4096），或用 --token-new-key-id 指定厂商工具已在令牌中生成的密钥对；密钥更新请求由令牌用新旧两把密钥签名。签发的证书校验通过后才改动令牌；旧证书和旧密钥保留为 <网关号>.old-<序列号>，除非指定 --remove-old。每次改名都记入修复日志：'certdoctor undo' 可让旧证书恢复原名称。CA 未签发时，新密钥对保留为 <网关号>.pending，下次运行会再用它。

            renew --token（线下方式，默认）同样在令牌中生成或再用新密钥对，并把以旧证书主题为主题、由令牌中新密钥签名的 PKCS#10 申请书写到 --request-out（默认：当前目录下的 <网关号>.csr.pem；已有内容不同的文件时不覆盖）。令牌本身就是待完成申请的存放处：密钥对保留为 <网关号>.pending，再次运行会再用它并写出相同的申请书。CA 签发证书后，用 'renew --token --import 文件 --ca-cert 根证书'（.pem、.cer 或 .p7b）完成更新：该证书必须对应待用密钥且主题与旧证书一致，校验和安装方式与 cmp 相同（记入修复日志、可 undo、可 --remove-old）。

            renew 的退出码
              0   已更新并安装；或（线下）申请书已写出
              1   被门槛拦截，或 CA 拒绝更新（证书被冻结、吊销：E7），或（--token）PIN 被拒绝
              64  用法错误，或缺少 --ca-url/--ca-cert，或 --token --import 缺少 --ca-cert
              65  拒绝了 CA 的应答或导入的证书（密钥不符、签名不可信、校验失败）
              66  输入文件不存在或不可读，或 --import 没有待完成的申请（--token：令牌中没有 <网关号>.pending 密钥对）
              69  无法连接 CA（网络原因，E7），或（--token）无法使用令牌（已拔出、模块出错）
              73  无法写入新证书或归档（旧证书保持不变），或（--token）令牌上的改名失败，或申请书位置已有内容不同的文件
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

    @Option(name: .customLong("import"), help: Help.argument(zh: "用 CA 签发的证书（.pem、.cer 或 .p7b）完成线下更新（--token 时还需 --ca-cert）。", en: "Complete an offline renewal with the issued certificate (.pem, .cer or .p7b; with --token, --ca-cert too)."), completion: .file(extensions: ["pem", "cer", "crt", "p7b"]))
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
        zh: "线下方式写出申请书的位置（默认：证书旁的 <网关号>.csr.pem；--token 时为当前目录下的 <网关号>.csr.pem）。",
        en: "Where the offline backend writes the certificate request (default: <gateway>.csr.pem beside the certificate; with --token, in the current directory)."), completion: .file())
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

    @Option(help: Help.argument(
        zh: "配合 --token：使用厂商工具已在令牌中生成的密钥对（其 CKA_ID，十六进制），而不是新生成。",
        en: "With --token: use the key pair the vendor's tool already generated on the token (its CKA_ID, in hex) instead of a new one."))
    var tokenNewKeyID: String?

    @Flag(help: Help.argument(
        zh: "配合 --token：新证书校验并就位后，删除保留的旧证书及其密钥（<网关号>.old-<序列号>）。",
        en: "With --token: once the new certificate is verified and in place, remove the kept old certificate and key (<gateway>.old-<serial>)."))
    var removeOld = false

    func validate() throws {
        if targets.token {
            try validateToken()
        } else {
            guard targets.pfx != nil else {
                throw usage(zh: "renew 需要 --pfx（要更新的文件证书）或 --token（硬件证书）", en: "renew needs --pfx, the file certificate to renew, or --token, the hardware certificate")
            }
            if tokenNewKeyID != nil || removeOld {
                throw usage(zh: "--token-new-key-id 和 --remove-old 只用于 --token", en: "--token-new-key-id and --remove-old go with --token only")
            }
        }
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

    /// The hardware renewal: the CMP key update, or the offline request and its `--import`, with an RSA key made or
    /// found on the token.
    private func validateToken() throws {
        if targets.pfx != nil {
            throw usage(zh: "一次只更新一个证书：--token 不能与 --pfx 同用", en: "one certificate per renewal: --token does not go with --pfx")
        }
        if replacePending {
            throw usage(
                zh: "--replace-pending 只用于文件证书；令牌中的待用密钥对（<网关号>.pending）会被再次使用",
                en: "--replace-pending is for the file certificate; the token's pending pair (<gateway>.pending) is used again")
        }
        if backend == .cmp {
            guard caURL != nil, caCert != nil else {
                throw usage(zh: "--backend cmp 需要 --ca-url 和 --ca-cert", en: "--backend cmp needs --ca-url and --ca-cert")
            }
        } else if importFile != nil {
            guard caCert != nil else {
                throw usage(zh: "--token --import 需要 --ca-cert：签发的证书先用 CA 证书校验，然后才改动令牌",
                            en: "--token --import needs --ca-cert: the issued certificate is verified against the CA before anything on the token changes")
            }
            if tokenNewKeyID != nil {
                throw usage(zh: "--import 使用线下申请留下的待用密钥对（<网关号>.pending），不能再指定 --token-new-key-id",
                            en: "--import uses the pending pair the offline request left (<gateway>.pending); --token-new-key-id does not apply")
            }
        } else if removeOld {
            throw usage(zh: "--remove-old 用于安装新证书时（--backend cmp 或 --import），不用于写申请书",
                        en: "--remove-old goes with installing the new certificate (--backend cmp or --import), not with writing the request")
        }
        if newKeyOptions.newKey != nil {
            throw usage(zh: "硬件证书的私钥不离开令牌：--new-key 不能与 --token 同用（可用 --token-new-key-id）",
                        en: "the hardware certificate's key never leaves the token: --new-key does not go with --token (see --token-new-key-id)")
        }
        guard tokenKeyBits != nil else {
            throw usage(zh: "令牌中只能生成 RSA 密钥（--key-type rsa2048、rsa3072 或 rsa4096）",
                        en: "the key made on the token is RSA (--key-type rsa2048, rsa3072 or rsa4096)")
        }
        if let tokenNewKeyID, Self.hexBytes(tokenNewKeyID) == nil {
            throw usage(zh: "--token-new-key-id 应为十六进制的 CKA_ID（如 0a1b），而不是“\(tokenNewKeyID)”",
                        en: "--token-new-key-id takes a CKA_ID in hex (such as 0a1b), not '\(tokenNewKeyID)'")
        }
    }

    private var tokenKeyBits: Int? {
        if case .rsa(let bits) = newKeyOptions.type.kind { return bits }
        return nil
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.lowercased())
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private func usage(zh: String, en: String) -> ValidationError {
        ValidationError(Localized(zh: zh, en: en).text(output.language))
    }

    func run() throws {
        let language = output.language
        try Console.run(language: language) {
            var session = try Session(targets: targets, output: output, timeout: timeout)
            if targets.token, session.environment.tokenOptions.pin == nil {
                // The renewal logs in to sign on the token; asked before the gate, so the gate sees the private keys too.
                session.environment.tokenOptions.pin = try Self.tokenPIN(file: nil, language: language)
            }
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
            if targets.token {
                result = try renewToken(renewal, fix: fix ? confirm : nil, progress: progress)
            } else if let importFile {
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

    /// The token's user PIN for a command that logs in (renew, undo): from the file, the environment or a prompt.
    static func tokenPIN(file: String?, language: Language) throws -> Secret {
        try SecretReader.read(
            SecretReader.Name.tokenPIN, file: file, option: "--token-pin-file", variable: SecretVariables.tokenPIN,
            prompt: Localized(zh: "USB Key 的用户 PIN：", en: "The token's user PIN: ").text(language))
    }

    /// The token's three ways: the key update, the offline request, and the import that completes it.
    private func renewToken(_ renewal: CertificateRenewal, fix: (([FixPlan]) -> Bool)?, progress: @escaping RenewalProgress) throws -> RenewalResult {
        if let importFile {
            guard let caCertificate = try caCertificate() else {
                throw ValidationError(usage(zh: "--token --import 需要 --ca-cert", en: "--token --import needs --ca-cert").message)
            }
            return renewal.importTokenCertificate(
                TokenImportRequest(issuedFile: URL(fileURLWithPath: importFile), caCertificate: caCertificate, removeOld: removeOld),
                fix: fix, progress: progress)
        }
        switch backend {
        case .cmp:
            return renewal.renewToken(try tokenRequest(), fix: fix, progress: progress)
        case .offline:
            return renewal.requestTokenCertificate(
                TokenOfflineRequest(
                    keyBits: tokenKeyBits ?? 2048, givenKeyID: tokenNewKeyID.flatMap(Self.hexBytes),
                    requestFile: requestOut.map { URL(fileURLWithPath: $0) },
                    importCommand: { [targets, caCert] issued in
                        targets.command("renew", extra: ["--import", issued.path, "--ca-cert", caCert ?? "ca.pem"])
                    }),
                fix: fix, progress: progress)
        }
    }

    private func tokenRequest() throws -> TokenRenewalRequest {
        guard let server = caURL.flatMap({ URL(string: $0) }), let caCertificate = try caCertificate() else {
            throw ValidationError(usage(zh: "--ca-url 不是有效的地址", en: "--ca-url is not a valid address").message)
        }
        return TokenRenewalRequest(
            server: server, caCertificate: caCertificate, timeout: cmpTimeout, keyBits: tokenKeyBits ?? 2048,
            givenKeyID: tokenNewKeyID.flatMap(Self.hexBytes), removeOld: removeOld)
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
