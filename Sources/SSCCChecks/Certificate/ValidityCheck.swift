import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// E2, E4: "产生申请书失败！" when the certificate is not valid now. Renewal is only possible for a certificate
/// that is already valid and not yet expired.
struct ValidityCheck: Check {
    static let description = CheckDescription(
        id: "cert.validity",
        title: Localized(zh: "证书在有效期内", en: "Certificate is within its validity period"),
        summary: Localized(
            zh: "证书已生效且未过期；给出起止时间和剩余天数。",
            en: "The certificate is already valid and not expired; shows its validity period and the days left."),
        requirements: ["E2", "E4"],
        category: "certificate",
        severity: .required,
        dependencies: ["cert.pfx-readable"],
        facets: [.fileCertificate],
        examples: [
            CheckExample("pfx/good-3des/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/expired/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
            CheckExample("pfx/not-yet-valid/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let opened = try OpenedPFX.load(context)
        let now = context.environment.now
        let certificate = opened.certificate
        let daysLeft = RenewalWindow.daysLeft(until: certificate.notAfter, from: now)
        var evidence = opened.certificateEvidence
        evidence.append(Evidence("daysLeft", String(daysLeft)))
        var finding: Finding
        if now < certificate.notBefore {
            finding = .fail(
                Localized(zh: "证书尚未生效（自 \(OpenedPFX.timestamp(certificate.notBefore)) 起）",
                          en: "the certificate is not valid yet (from \(OpenedPFX.timestamp(certificate.notBefore)))"),
                evidence: evidence,
                remedy: Localized(zh: "检查本机时间是否正确；证书生效后再更新。", en: "Check this machine's clock; renew once the certificate is valid."))
        } else if now > certificate.notAfter {
            finding = .fail(
                Localized(zh: "证书已于 \(OpenedPFX.timestamp(certificate.notAfter)) 过期", en: "the certificate expired on \(OpenedPFX.timestamp(certificate.notAfter))"),
                evidence: evidence,
                remedy: Localized(
                    zh: "已过期的证书不能在线更新，请联系深证通办理线下更新。",
                    en: "An expired certificate cannot be renewed online; contact SSCC for an offline renewal."))
        } else if daysLeft < RenewalWindow.days(context.environment) {
            // Still a pass: the certificate works today. The verdict leads with the warning.
            let day = RenewalWindow.day(certificate.notAfter)
            finding = .pass(
                Localized(zh: "证书有效，但 \(daysLeft) 天后（\(day)）到期：请立即更新",
                          en: "the certificate is valid but expires in \(daysLeft) days (\(day)): renew now"),
                evidence: evidence + [Evidence("renewalWindowDays", String(RenewalWindow.days(context.environment)))])
        } else {
            finding = .pass(
                Localized(zh: "证书有效，剩余 \(daysLeft) 天", en: "the certificate is valid, \(daysLeft) days left"), evidence: evidence)
        }
        finding.certificates = [opened.observation]
        return finding
    }
}
