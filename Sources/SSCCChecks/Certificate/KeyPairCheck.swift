import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// The PFX must carry the certificate's own private key: without it the portal cannot sign the renewal request.
struct KeyPairCheck: Check {
    static let description = CheckDescription(
        id: "cert.key-pair",
        title: Localized(zh: "私钥与证书匹配", en: "Private key belongs to the certificate"),
        summary: Localized(
            zh: "PFX 中有私钥，且与证书的公钥匹配。", en: "The PFX holds a private key, and it matches the certificate's key."),
        requirements: ["R10", "E4"],
        category: "certificate",
        severity: .required,
        dependencies: ["cert.pfx-readable"],
        facets: [.fileCertificate],
        examples: [
            CheckExample("pfx/good-aes/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/mismatched-key/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
            CheckExample("pfx/no-key/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let opened = try OpenedPFX.load(context)
        var evidence = opened.certificateEvidence
        guard let key = opened.contents.privateKey else {
            return .fail(
                Localized(zh: "PFX 中没有私钥", en: "the PFX holds no private key"), evidence: evidence,
                remedy: Localized(
                    zh: "在 Windows 上导出证书时选择“是，导出私钥”，或使用原始下载的 .pfx 文件。",
                    en: "Export the certificate with 'Yes, export the private key', or use the .pfx file as originally downloaded."))
        }
        evidence.append(Evidence("key", "\(key.algorithm) \(key.bits) bits"))
        guard key.matches(opened.certificate) else {
            return .fail(
                Localized(zh: "私钥与证书不匹配", en: "the private key does not belong to the certificate"), evidence: evidence,
                remedy: Localized(
                    zh: "该文件中的私钥属于其他证书；请使用原始下载的 .pfx 文件。",
                    en: "The key in this file belongs to another certificate; use the .pfx file as originally downloaded."))
        }
        return .pass(Localized(zh: "私钥与证书匹配", en: "the private key belongs to the certificate"), evidence: evidence)
    }
}
