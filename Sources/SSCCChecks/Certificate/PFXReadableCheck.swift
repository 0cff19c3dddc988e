import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// R10, R14: the file certificate opens with its password. A wrong password, a damaged file and an algorithm
/// that needs OpenSSL's legacy provider are told apart, because each has a different remedy.
struct PFXReadableCheck: Check {
    static let description = CheckDescription(
        id: "cert.pfx-readable",
        title: Localized(zh: "文件证书可用密码打开", en: "File certificate opens with its password"),
        summary: Localized(
            zh: "用 6 位数字保护密码打开 .pfx 文件，区分密码错误、文件损坏和需要旧算法支持的情况。",
            en: "Opens the .pfx with its 6-digit protection password, telling a wrong password from a damaged file and from an old algorithm."),
        requirements: ["R10", "R14", "E4"],
        category: "certificate",
        severity: .required,
        facets: [.fileCertificate],
        examples: [
            CheckExample("pfx/good-aes/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/good-3des/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/legacy-rc2/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass,
                         "RC2-40 opens once the legacy provider is loaded"),
            CheckExample("pfx/good-aes/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "654321"), expect: .fail, "wrong password"),
            CheckExample("pfx/truncated/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
            CheckExample("pfx/random/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
            CheckExample("pfx/pem/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail, "PEM renamed .pfx"),
            CheckExample("pfx/trailing-garbage/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        guard context.environment.pfxPassword != nil else {
            // A certificate found by discovery: only what needs no password is examined.
            return Finding(.notchecked, Localized(
                zh: "未提供证书密码，未打开证书；请用 --password-file 文件或环境变量 \(SecretVariables.pfxPassword) 提供",
                en: "no certificate password was given, so the file was not opened; give it with --password-file FILE or \(SecretVariables.pfxPassword)"),
                evidence: [Evidence("file", context.environment.pfxFile?.path ?? "", kind: .path)])
        }
        let opened: OpenedPFX
        do {
            opened = try OpenedPFX.load(context)
        } catch let error as PKCS12Error {
            return Self.finding(for: error, file: context.environment.pfxFile)
        }
        var evidence = opened.certificateEvidence
        evidence.append(Evidence("protection", opened.contents.protection.summary))
        if opened.contents.protection.usesLegacyProvider {
            evidence.append(Evidence("legacyProvider", "loaded (RC2/RC4/DES algorithms)"))
        }
        var finding = Finding.pass(
            Localized(zh: "证书文件可以打开：\(opened.certificate.subjectCommonName ?? opened.certificate.subject)",
                      en: "the certificate file opens: \(opened.certificate.subjectCommonName ?? opened.certificate.subject)"),
            evidence: evidence)
        finding.certificates = [opened.observation]
        return finding
    }

    static func finding(for error: PKCS12Error, file: URL?) -> Finding {
        let evidence = [Evidence("file", file?.path ?? "", kind: .path)]
        switch error {
        case .wrongPassword:
            return .fail(Messages.wrongPassword, evidence: evidence, remedy: Messages.wrongPasswordRemedy)
        case .corrupt(let detail):
            return .fail(Messages.corrupt, evidence: evidence + [Evidence("openssl", detail)], remedy: Messages.corruptRemedy)
        case .unsupportedAlgorithm(let detail):
            return .fail(Messages.unsupported, evidence: evidence + [Evidence("openssl", detail)], remedy: Messages.unsupportedRemedy)
        case .keyDoesNotMatchCertificate, .creationFailed:
            return Finding(.error, error.localizedMessage, evidence: evidence)
        }
    }
}

extension PFXReadableCheck {
    enum Messages {
        static let wrongPassword = Localized(
            zh: "密码错误：文件完整性校验（MAC）未通过", en: "wrong password: the file's integrity check (MAC) does not verify")
        static let wrongPasswordRemedy = Localized(
            zh: "使用下载证书时设置的 6 位数字保护密码；该密码无法修改，遗失需联系深证通。",
            en: "Use the 6-digit protection password set when the certificate was downloaded; it cannot be changed, and a lost one means calling SSCC.")
        static let corrupt = Localized(
            zh: "文件已损坏或不是 PKCS#12（.pfx）文件", en: "the file is damaged or is not a PKCS#12 (.pfx) file")
        static let corruptRemedy = Localized(
            zh: "重新获取原始 .pfx 文件（不要用文本方式传输或改名其他格式的文件）。",
            en: "Get the original .pfx file again (do not transfer it as text or rename a file of another format).")
        static let unsupported = Localized(
            zh: "文件使用了本机 OpenSSL 不支持的加密算法", en: "the file uses an encryption algorithm this OpenSSL cannot load")
        static let unsupportedRemedy = Localized(
            zh: "安装包含 legacy 提供程序的 OpenSSL 3（Debian 的 libssl3 已含），或在 Windows 上重新导出证书。",
            en: "Install an OpenSSL 3 with the legacy provider (Debian's libssl3 has it), or export the certificate again on Windows.")
    }
}
