import ArgumentParser
import CertDoctorCore
import Doctor
import Foundation
import PKI
import Renewal
import SmartCard
import SSCCProfile

#if canImport(Glibc)
import Glibc
#endif

/// `certdoctor enroll`: the first download of a file certificate with a password envelope's codes (R14, R15).
struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: Help.text(
            zh: "用密码信封的参考码和授权码首次下载文件证书。", en: "Download a file certificate for the first time with a password envelope's reference and authorization codes."),
        discussion: Help.text(zh: chinese, en: english) + ExitStatusHelp.text)

    static let english = """
            The reference code (at most 22 characters), the authorization code (at most 16) and the new 6-digit certificate password are secrets: they are read from --reference-file/--authorization-file/--password-file, else from CERTDOCTOR_REFERENCE_CODE, CERTDOCTOR_AUTH_CODE and CERTDOCTOR_PFX_PASSWORD, else asked on the terminal without echo (the password twice). Never give them as arguments. The password cannot be changed later.

            BEFORE ANYTHING IS SENT
            The codes and the password are checked against the profile's rules, the gateway number against its pattern, the output directory for 10 MiB free, and <gateway>#0.pfx must not exist there: an existing certificate file is never overwritten. If any of these fails, nothing is generated or sent and enroll exits 1. An envelope date (--envelope-date) more than 30 days ago is warned about.

            THE DOWNLOAD
            A new key pair (--key-type, default rsa2048; or --new-key FILE) and an RFC 4210 initialization request protected by a password-based MAC made with the two codes (the profile's PBM algorithms), addressed to the CA named by --ca-cert. The CA certificates its answer publishes must be --ca-cert itself; the certificate must chain to it, carry the new key and the gateway number; then it is confirmed. The new <gateway>#0.pfx (Windows 7-compatible unless --pfx-profile modern) is verified as read back from disk before it takes its name, in a journal entry ('certdoctor undo' removes it).

            ON THE TOKEN (--token)
            enroll --token --pkcs11-module MODULE --token-label LABEL makes the RSA-2048 key pair on the token (as <gateway>.pending, or reuses the pending pair an interrupted run left), signs the request there and, once the answer is verified as above, writes the certificate beside its key (same CKA_ID) and names both <gateway>. The PIN comes from --token-pin-file, CERTDOCTOR_TOKEN_PIN or a prompt. There is no PFX and no password: --password-file, --new-key and another --key-type are usage errors. A token already holding a certificate named <gateway> is refused before anything is made or sent: it is never overwritten. Each change on the token is a journal record: 'certdoctor undo' (PIN as above) removes the certificate and leaves the pair as <gateway>.pending, which the next enroll --token uses again.

            EXIT STATUS OF ENROLL
              0   the certificate was downloaded and saved
              1   refused by the checks before sending, or the CA refused the codes (a new envelope is needed) or the request
              64  usage error
              65  the CA's answer was refused (caPubs not the pinned root, another key, another name)
              66  an input file is missing or unreadable
              69  the CA is unreachable, or (--token) the module shows no such token
              73  the new file cannot be written

            """

    static let chinese = """
            参考码（最多 22 个字符）、授权码（最多 16 个字符）和新的 6 位数字证书密码都是机密：依次从 --reference-file/--authorization-file/--password-file 文件读取，否则读环境变量 CERTDOCTOR_REFERENCE_CODE、CERTDOCTOR_AUTH_CODE 和 CERTDOCTOR_PFX_PASSWORD，再否则在终端不回显地询问（密码输入两次）。切勿写在命令行参数中。证书密码日后不能修改。

            发送前的检查
            按配置的规则检查参考码、授权码和密码，按网关号格式检查网关号，输出目录须有 10 MiB 可用空间，且其中不能已有 <网关号>#0.pfx：已有的证书文件从不覆盖。任何一项不通过，都不会生成或发送任何内容，enroll 以 1 退出。--envelope-date 给出的信封日期超过 30 天时给出警告。

            下载
            生成新密钥对（--key-type，默认 rsa2048；或用 --new-key 文件），发送以两个码做口令 MAC（PBM，算法取自配置）保护的 RFC 4210 初始化请求（IR），接收方为 --ca-cert 所指的 CA。应答中公布的 CA 证书（caPubs）必须就是 --ca-cert；证书必须链到它、对应新密钥并含网关号，之后才发送确认。新的 <网关号>#0.pfx（默认 Windows 7 兼容，--pfx-profile modern 则为 AES）从磁盘读回校验后才启用其文件名，并记入修复日志（'certdoctor undo' 可删除）。

            令牌（--token）
            enroll --token --pkcs11-module 模块 --token-label 标签 在令牌中生成 RSA 2048 位密钥对（名为 <网关号>.pending；上次中断留下的待用密钥对则直接复用），由令牌签名请求；应答按上文校验通过后，证书写入令牌、与密钥对使用同一 CKA_ID，并一起命名为 <网关号>。PIN 取自 --token-pin-file、CERTDOCTOR_TOKEN_PIN 或提示输入。不生成 PFX，也没有证书密码：--password-file、--new-key 或其他 --key-type 均为用法错误。令牌中已有名为 <网关号> 的证书时，不生成也不发送任何内容：令牌上的证书从不覆盖。令牌上的每次改动都记入修复日志：'certdoctor undo'（PIN 同上）删除该证书，密钥对恢复为 <网关号>.pending，下次 enroll --token 会再用它。

            enroll 的退出码
              0   证书已下载并保存
              1   发送前的检查未通过，或 CA 拒绝了参考码/授权码（需要新的密码信封）或请求
              64  用法错误
              65  拒绝了 CA 的应答（caPubs 不是指定的根证书、密钥或名称不符）
              66  输入文件不存在或不可读
              69  无法连接 CA，或（--token）模块中没有该令牌
              73  无法写入新证书文件

            """

    @Option(help: Help.argument(zh: "网关号，如 F000504Y0007（证书的 CN 和文件名）。", en: "The gateway number, e.g. F000504Y0007 (the certificate's CN and file name)."))
    var gateway: String

    @Option(help: Help.argument(zh: "CMP 服务器地址，如 http://ca.example:8080/pkix/。", en: "The CMP server, e.g. http://ca.example:8080/pkix/."))
    var caURL: String

    @Option(help: Help.argument(zh: "CA 根证书（PEM 或 DER）：应答中的 caPubs 必须与之相同，新证书必须链到它。", en: "The CA root certificate (PEM or DER): the answer's caPubs must be it and the new certificate must chain to it."), completion: .file())
    var caCert: String

    @Option(help: Help.argument(zh: "保存 <网关号>#0.pfx 的目录（默认当前目录）。", en: "Where <gateway>#0.pfx is saved (default: the current directory)."), completion: .directory)
    var out: String = "."

    @Option(help: Help.argument(zh: "密码信封上的日期（YYYY-MM-DD），超过 30 天时警告。", en: "The date on the password envelope (YYYY-MM-DD); warns past 30 days."))
    var envelopeDate: String?

    @Option(help: Help.argument(zh: "第一行为参考码的文件。", en: "A file whose first line is the reference code."), completion: .file())
    var referenceFile: String?

    @Option(help: Help.argument(zh: "第一行为授权码的文件。", en: "A file whose first line is the authorization code."), completion: .file())
    var authorizationFile: String?

    @Option(help: Help.argument(zh: "第一行为新证书密码（6 位数字）的文件。", en: "A file whose first line is the new certificate password (6 digits)."), completion: .file())
    var passwordFile: String?

    @OptionGroup var newKeyOptions: NewKeyOptions

    @Option(help: Help.argument(
        zh: "新 PFX 的保护方式：windows7（PBE-SHA1-3DES，SHA-1 MAC）或 modern（AES/PBKDF2）。",
        en: "Protection of the new PFX: windows7 (PBE-SHA1-3DES, SHA-1 MAC) or modern (AES/PBKDF2)."))
    var pfxProfile: RenewCommand.PFXProfile = .windows7

    @Option(help: Help.argument(zh: "每次 CMP 交互的时限（秒）。", en: "Seconds each CMP exchange may take."))
    var cmpTimeout: Double = 30

    @Flag(help: Help.argument(
        zh: "在 USB Key（PKCS#11 令牌）中生成 RSA 密钥对，证书写入令牌，不生成 PFX（须同时给出 --pkcs11-module 和 --token-label）。",
        en: "Make the RSA key pair on the token (PKCS#11) and write the certificate there, no PFX (needs --pkcs11-module and --token-label)."))
    var token = false

    @Option(help: Help.argument(zh: "配合 --token：令牌的 PKCS#11 模块路径。", en: "With --token: the token's PKCS#11 module."), completion: .file())
    var pkcs11Module: String?

    @Option(help: Help.argument(zh: "配合 --token：令牌的标签。", en: "With --token: the token's label."))
    var tokenLabel: String?

    @Option(help: Help.argument(
        zh: "配合 --token：第一行为令牌用户 PIN 的文件（否则读环境变量 CERTDOCTOR_TOKEN_PIN，再否则提示输入）。",
        en: "With --token: a file whose first line is the token's user PIN (else CERTDOCTOR_TOKEN_PIN, else a prompt)."), completion: .file())
    var tokenPinFile: String?

    @OptionGroup var profileOption: ProfileOption
    @OptionGroup var languageOption: LanguageOption

    func validate() throws {
        let language = languageOption.language
        if let problem = newKeyOptions.keyTypeProblem(language) { throw problem }
        guard let url = URL(string: caURL), url.scheme?.lowercased() == "http", url.host?.isEmpty == false else {
            throw ValidationError(Localized(
                zh: "--ca-url 必须是带主机名的 http:// 地址", en: "--ca-url must be an http:// URL with a host").text(language))
        }
        if let envelopeDate, Self.day(envelopeDate) == nil {
            throw ValidationError(Localized(
                zh: "--envelope-date 应为 YYYY-MM-DD，而不是“\(envelopeDate)”", en: "--envelope-date takes YYYY-MM-DD, not '\(envelopeDate)'").text(language))
        }
        guard RunOptions.isReasonableTimeout(cmpTimeout) else {
            throw ValidationError(Localized(
                zh: "--cmp-timeout 必须是 0 到 86400 之间的秒数", en: "--cmp-timeout must be seconds between 0 and 86400").text(language))
        }
        try validateToken(language)
    }

    /// The token keeps the key and the certificate: nothing of the PFX goes with it, and the module and token are named.
    private func validateToken(_ language: Language) throws {
        func usage(zh: String, en: String) -> ValidationError { ValidationError(Localized(zh: zh, en: en).text(language)) }
        guard token else {
            if pkcs11Module != nil || tokenLabel != nil || tokenPinFile != nil {
                throw usage(zh: "--pkcs11-module、--token-label 和 --token-pin-file 只用于 --token",
                            en: "--pkcs11-module, --token-label and --token-pin-file go with --token only")
            }
            return
        }
        if passwordFile != nil {
            throw usage(zh: "证书写入令牌，没有 PFX 也没有证书密码：--password-file 不能与 --token 同用",
                        en: "the certificate goes on the token, with no PFX and no password: --password-file does not go with --token")
        }
        if newKeyOptions.newKey != nil {
            throw usage(zh: "令牌上的私钥在令牌中生成：--new-key 不能与 --token 同用",
                        en: "the token's key is made on the token: --new-key does not go with --token")
        }
        if newKeyOptions.type != .rsa2048 {
            throw usage(zh: "令牌中生成的密钥为 RSA 2048 位（--key-type rsa2048）",
                        en: "the key made on the token is 2048-bit RSA (--key-type rsa2048)")
        }
        if pkcs11Module == nil || tokenLabel == nil {
            throw usage(zh: "--token 需要 --pkcs11-module 和 --token-label", en: "--token needs --pkcs11-module and --token-label")
        }
    }

    static func day(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .gmt).year().month().day().dateSeparator(.dash).parse(text)
    }

    func run() throws {
        let language = languageOption.language
        try Console.run(language: language) {
            let profile = try Doctor(profile: profileOption.name, dataDirectory: DataDirectory.locate(), pluginDirectories: [],
                                     pluginTimeout: cmpTimeout).profile
            let root = try RenewalInputs.caCertificate(at: caCert)
            let envelope = CertificateEnrolment.Envelope(
                reference: try SecretReader.read(
                    SecretReader.Name.referenceCode, file: referenceFile, option: "--reference-file", variable: SecretVariables.referenceCode,
                    prompt: Localized(zh: "参考码：", en: "Reference code: ").text(language)),
                authorization: try SecretReader.read(
                    SecretReader.Name.authorizationCode, file: authorizationFile, option: "--authorization-file", variable: SecretVariables.authorizationCode,
                    prompt: Localized(zh: "授权码：", en: "Authorization code: ").text(language)),
                date: envelopeDate.flatMap(Self.day))
            if token {
                return try enrolOnToken(profile: profile, root: root, envelope: envelope, language: language)
            }
            let password = try readPassword(language: language)
            let enrolment = CertificateEnrolment(
                profile: profile, journal: Journal(directory: Journal.defaultDirectory()), pfxProfile: pfxProfile.pkcs12,
                root: root, server: URL(string: caURL)!, timeout: cmpTimeout)
            let directory = URL(fileURLWithPath: out)
            let found = enrolment.preconditions(gateway: gateway, directory: directory, envelope: envelope, password: password)
            for warning in found.warnings { Console.warn(warning.text(language)) }
            guard found.passed else {
                Console.warn(Localized(zh: "未下载证书，以下检查未通过：", en: "nothing was downloaded; these checks failed:").text(language))
                for refusal in found.refusals { Console.warn("  " + refusal.text(language)) }
                return .failure
            }
            let given = try newKeyOptions.load(language: language)?.key
            let enrolled = try enrolment.enrol(
                gateway: gateway, directory: directory, envelope: envelope, password: password, newKey: given,
                keyType: newKeyOptions.type, progress: Self.progress(language))
            let until = enrolled.certificate.notAfter.formatted(.iso8601.year().month().day())
            Console.say(Localized(
                zh: "证书已下载并保存为 \(enrolled.file.path)（序列号 \(enrolled.certificate.serialNumberHex)，有效期至 \(until)，修复日志 \(enrolled.journalEntry)）。请牢记证书密码，它日后不能修改。",
                en: "certificate downloaded and saved as \(enrolled.file.path) (serial \(enrolled.certificate.serialNumberHex), valid until \(until), journal entry \(enrolled.journalEntry)). Keep the certificate password: it cannot be changed later.").text(language))
            return .success
        }
    }

    /// A key generation and the exchange take a moment: a person at a terminal is told, on standard error.
    private static func progress(_ language: Language) -> RenewalProgress {
        let shown = isatty(STDERR_FILENO) == 1
        return { step in
            if shown { FileHandle.standardError.write(Data(("  … " + step.text(language) + "\n").utf8)) }
        }
    }

    /// `--token`: the envelope checked, the token opened with the PIN, the pair made there and the certificate
    /// written beside it, each change in a journal entry.
    private func enrolOnToken(profile: SSCCProfile, root: X509Certificate, envelope: CertificateEnrolment.Envelope,
                              language: Language) throws -> CommandEnding {
        let enrolment = CertificateEnrolment(
            profile: profile, journal: Journal(directory: Journal.defaultDirectory()), root: root, server: URL(string: caURL)!,
            timeout: cmpTimeout)
        let found = enrolment.envelopePreconditions(gateway: gateway, envelope: envelope)
        for warning in found.warnings { Console.warn(warning.text(language)) }
        guard found.passed else {
            Console.warn(Localized(zh: "未下载证书，以下检查未通过：", en: "nothing was downloaded; these checks failed:").text(language))
            for refusal in found.refusals { Console.warn("  " + refusal.text(language)) }
            return .failure
        }
        let pin = try RenewCommand.tokenPIN(file: tokenPinFile, language: language)
        let module = try PKCS11Module(path: pkcs11Module ?? "")
        guard let slot = try module.slot(tokenLabel: tokenLabel ?? "") else {
            throw EnrolmentError.tokenNotFound(label: tokenLabel ?? "")
        }
        let session = try PKCS11Session(module: module, slot: slot.id, pin: pin.reveal())
        defer { session.close() }
        let server = URL(string: caURL)!
        let timeout = cmpTimeout
        let rules = profile.enrolmentRules
        let tokenEnrolment = TokenEnrolment(
            session: session, gateway: gateway, root: root,
            passwordMAC: CMPPasswordMAC(oneWayFunction: rules.pbmOneWayFunction, mac: rules.pbmMAC),
            journal: Journal(directory: Journal.defaultDirectory()), modulePath: pkcs11Module ?? "", tokenLabel: tokenLabel ?? ""
        ) { root, secret, commonName, newKey, passwordMAC throws(CMPError) in
            try CMPClient.initialization(server: server, root: root, sharedSecret: secret, commonName: commonName, newKey: newKey,
                                         passwordMAC: passwordMAC, timeout: timeout)
        }
        let secret = CMPSharedSecret(
            reference: Array(envelope.reference.reveal().utf8), secret: Array(envelope.authorization.reveal().utf8))
        let enrolled = try tokenEnrolment.enrol(secret: secret, progress: Self.progress(language))
        let until = enrolled.certificate.notAfter.formatted(.iso8601.year().month().day())
        Console.say(Localized(
            zh: "证书已下载并写入令牌“\(tokenLabel ?? "")”，证书和密钥对名为 \(gateway)（CKA_ID \(PKCS11Session.hexID(enrolled.key.id))，序列号 \(enrolled.certificate.serialNumberHex)，有效期至 \(until)，修复日志 \(enrolled.journalEntry ?? "-")）。",
            en: "certificate downloaded and written to the token '\(tokenLabel ?? "")'; the certificate and its key pair are named \(gateway) (CKA_ID \(PKCS11Session.hexID(enrolled.key.id)), serial \(enrolled.certificate.serialNumberHex), valid until \(until), journal entry \(enrolled.journalEntry ?? "-")).").text(language))
        return .success
    }

    /// The new password: from a file or the environment once, or typed twice at the terminal.
    private func readPassword(language: Language) throws -> Secret {
        let prompt = Localized(zh: "新证书密码（6 位数字）：", en: "New certificate password (6 digits): ").text(language)
        let first = try SecretReader.read(SecretReader.Name.newCertificatePassword, file: passwordFile, option: "--password-file", variable: SecretVariables.pfxPassword, prompt: prompt)
        guard passwordFile == nil, SecretVariables.processEnvironment[SecretVariables.pfxPassword] == nil else { return first }
        let again = try SecretReader.read(
            SecretReader.Name.newCertificatePassword, file: nil, option: "--password-file", variable: SecretVariables.pfxPassword,
            prompt: Localized(zh: "再次输入新证书密码：", en: "The new certificate password again: ").text(language))
        guard again.reveal() == first.reveal() else {
            throw ValidationError(Localized(zh: "两次输入的密码不一致", en: "the two passwords differ").text(language))
        }
        return first
    }
}
