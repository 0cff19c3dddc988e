import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// R15, E5: the file is named by the gateway number followed by `#0` (`F000504Y0007#0.pfx`), in ASCII; the
/// portal's "证书信息与 CA 系统不一致" comes from a file certificate named otherwise.
struct PFXNameCheck: Check {
    static let description = CheckDescription(
        id: "cert.pfx-name",
        title: Localized(zh: "文件证书命名规则", en: "File certificate name rule"),
        summary: Localized(
            zh: "文件名必须是证书的网关号（CN）加“#0”，不含中文；PFX 内的友好名称（如有）须一致。",
            en: "The file name must be the certificate's gateway number (its CN) followed by '#0', with no Chinese; the PFX friendly name, when present, must agree."),
        requirements: ["R15", "E5"],
        category: "certificate",
        severity: .required,
        dependencies: ["cert.pfx-readable"],
        facets: [.fileCertificate],
        examples: [
            CheckExample("pfx/good-3des/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/no-suffix/F000504Y0007.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail, "no #0 (E5)"),
            CheckExample("pfx/chinese-name/网关证书.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail, "Chinese name (R15)"),
            CheckExample("pfx/other-gateway/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail,
                         "file named for another gateway"),
            CheckExample("pfx/friendly-mismatch/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let opened = try OpenedPFX.load(context)
        let profile = try context.environment.attachedProfile()
        let suffix = profile.fileCertificate.requiredSuffix
        let fileExtension = profile.fileCertificate.extension
        let fileName = opened.file.lastPathComponent
        let stem = opened.file.deletingPathExtension().lastPathComponent
        let gateway = opened.certificate.subjectCommonName ?? ""
        let expectedName = gateway + suffix + "." + fileExtension
        var evidence = [
            Evidence("fileName", fileName, kind: .path), Evidence("certificateCN", gateway),
            Evidence("expectedName", expectedName),
        ]
        if let friendlyName = opened.contents.friendlyName {
            evidence.append(Evidence("friendlyName", friendlyName))
        }

        if !fileName.unicodeScalars.allSatisfy(\.isASCII) {
            return .fail(
                Localized(zh: "文件名含非 ASCII 字符（如中文）：\(fileName)", en: "the file name has non-ASCII characters (Chinese, say): \(fileName)"),
                evidence: evidence, remedy: Messages.rename(expectedName) + Messages.r15)
        }
        if !gateway.isEmpty, !profile.gatewayNumber.matches(gateway) {
            evidence.append(Evidence("gatewayPattern", profile.gatewayNumber.pattern))
            return .fail(
                Localized(zh: "证书 CN“\(gateway)”不是网关号格式", en: "the certificate's CN '\(gateway)' is not a gateway number"),
                evidence: evidence,
                remedy: Localized(zh: "确认所选文件是通信网关证书。", en: "Make sure the file is the gateway's certificate."))
        }
        if stem == gateway {
            return .fail(
                Localized(zh: "文件名缺少“\(suffix)”：\(fileName)", en: "the file name lacks '\(suffix)': \(fileName)"),
                evidence: evidence, remedy: Messages.rename(expectedName) + Messages.e5)
        }
        if stem != gateway + suffix || opened.file.pathExtension.lowercased() != fileExtension {
            return .fail(
                Localized(zh: "文件名“\(fileName)”与证书的网关号 \(gateway) 不符", en: "the file name '\(fileName)' does not match the certificate's gateway number \(gateway)"),
                evidence: evidence, remedy: Messages.rename(expectedName) + Messages.e5)
        }
        if let friendlyName = opened.contents.friendlyName, !friendlyName.isEmpty,
           friendlyName != gateway, friendlyName != gateway + suffix {
            return .fail(
                Localized(zh: "PFX 友好名称“\(friendlyName)”与网关号 \(gateway) 不一致", en: "the PFX friendly name '\(friendlyName)' disagrees with the gateway number \(gateway)"),
                evidence: evidence,
                remedy: Localized(
                    zh: "在 Windows 上导出证书时使用网关号作为友好名称，或重新下载证书。",
                    en: "Export the certificate again with the gateway number as its friendly name, or download it again."))
        }
        return .pass(Localized(zh: "文件名符合规则：\(fileName)", en: "the file name follows the rule: \(fileName)"), evidence: evidence)
    }
}

extension PFXNameCheck {
    enum Messages {
        static func rename(_ name: String) -> Localized {
            Localized(zh: "将文件重命名为 \(name)。", en: "Rename the file to \(name). ")
        }
        static let e5 = Localized(
            zh: "否则门户会提示“证书信息与 CA 系统不一致！”（E5）。",
            en: "Otherwise the portal reports '证书信息与 CA 系统不一致！' (E5).")
        static let r15 = Localized(zh: "手册要求不使用中文命名（R15）。", en: "The manual forbids Chinese file names (R15).")
    }
}
