import CertDoctorCore
import Foundation
import PKI
import SmartCard

/// R12, E5, E6: through PKCS#11 the token holds the gateway certificate with its key pair; the certificate's
/// name is the gateway number and must not end with `#0` (that is the file-certificate convention, and the
/// portal answers "证书信息与 CA 系统不一致" for a token named so); it has not expired.
struct TokenCertificateCheck: Check {
    static let description = CheckDescription(
        id: "token.certificate",
        title: Localized(zh: "硬证书中的网关证书", en: "Gateway certificate on the token"),
        summary: Localized(
            zh: "令牌中有 CN 为网关号的证书及其私钥；证书名称不以“#0”结尾；证书未过期。",
            en: "The token holds a certificate whose CN is the gateway number, with its private key; its name does not end with '#0'; it has not expired."),
        requirements: ["R12", "E5", "E6"],
        category: "token",
        severity: .required,
        dependencies: ["token.single", "driver.token"],
        facets: [.token],
        examples: [
            CheckExample(TokenScenario.path("one-token"), options: ["gateway": "F000504Y0007"], expect: .pass),
            CheckExample(TokenScenario.path("certificate-hash0"), options: ["gateway": "F000504Y0007"], expect: .fail, "named with #0 (E5)"),
            CheckExample(TokenScenario.path("certificate-no-key"), options: ["gateway": "F000504Y0007"], expect: .fail, "no key (E6)"),
            CheckExample(TokenScenario.path("certificate-expired"), options: ["gateway": "F000504Y0007"], expect: .fail, "expired in 2021"),
            CheckExample(TokenScenario.path("one-token"), options: ["gateway": "F000999Z0001"], expect: .fail, "another gateway's certificate"),
        ])

    var description: CheckDescription { Self.description }

    struct Candidate {
        var token: String
        var object: PKCS11Certificate
        var certificate: X509Certificate
        var keyEvidence: String?
    }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let options = context.environment.tokenOptions
        let database = try TokenFacts.database(context)
        guard let path = ModuleProbe.candidates(options: options, database: database).first?.path else {
            return Finding(.error, Localized(
                zh: "没有可用于读取令牌的 PKCS#11 模块（--pkcs11-module）", en: "no PKCS#11 module to read the token with (--pkcs11-module)"))
        }
        let module = try PKCS11Module(path: path)
        let slots = try module.slots().filter { slot in
            guard let token = slot.token else { return false }
            return options.tokenLabel.map { token.label == $0 } ?? true
        }
        var evidence = [Evidence("pkcs11Module", path, kind: .path)] + slots.map { Evidence("pkcs11Token", $0.token?.label ?? "") }
        guard !slots.isEmpty else {
            return .fail(
                Localized(zh: "PKCS#11 模块中没有令牌" + (options.tokenLabel.map { "“\($0)”" } ?? ""),
                          en: "the PKCS#11 module shows no token" + (options.tokenLabel.map { " labelled '\($0)'" } ?? "")),
                evidence: evidence, remedy: Messages.insert)
        }

        var candidates: [Candidate] = []
        for slot in slots {
            for object in try module.certificates(slot: slot.id) {
                guard let certificate = try? X509Certificate(derEncoded: object.der) else { continue }
                var key: String?
                if !(try module.privateKeys(slot: slot.id, id: object.id, pin: options.pin?.reveal())).isEmpty {
                    key = "private key with the certificate's CKA_ID"
                } else if options.pin == nil, !(try module.publicKeys(slot: slot.id, id: object.id)).isEmpty {
                    // Without a PIN the token hides its private keys; a public key of the same id shows the pair.
                    key = "key pair with the certificate's CKA_ID (private key hidden until login)"
                }
                candidates.append(Candidate(token: slot.token?.label ?? "", object: object, certificate: certificate, keyEvidence: key))
            }
        }
        let profile = context.environment.profile
        let forbidden = profile?.hardwareCertificate.forbiddenSuffix ?? "#0"
        let gateway = context.environment.gateway
        let gateways = candidates.filter { candidate in
            let name = candidate.certificate.subjectCommonName ?? ""
            let stem = name.hasSuffix(forbidden) ? String(name.dropLast(forbidden.count)) : name
            if let gateway { return stem == gateway }
            return profile?.gatewayNumber.matches(stem) ?? true
        }
        evidence += candidates.map { Evidence("certificate", "\($0.token): \($0.object.label) CN=\($0.certificate.subjectCommonName ?? "-")") }
        guard !gateways.isEmpty else {
            return .fail(
                Localized(zh: "令牌中没有网关号" + (gateway.map { " \($0) " } ?? "") + "的证书（E6）",
                          en: "the token holds no certificate for the gateway" + (gateway.map { " \($0)" } ?? "") + " (E6)"),
                evidence: evidence, remedy: Messages.insert)
        }

        var problems: [Localized] = []
        let now = context.environment.now
        for candidate in gateways {
            let certificate = candidate.certificate
            evidence += [
                Evidence("subject", certificate.subject), Evidence("serial", certificate.serialNumberHex, kind: .serialNumber),
                Evidence("notAfter", certificate.notAfter.formatted(.iso8601)), Evidence("label", candidate.object.label),
                Evidence("key", candidate.keyEvidence ?? "none found"),
            ]
            let name = certificate.subjectCommonName ?? ""
            if candidate.object.label.hasSuffix(forbidden) || name.hasSuffix(forbidden) {
                problems.append(Localized(
                    zh: "证书名称“\(candidate.object.label)”以“\(forbidden)”结尾，硬证书不能这样命名（E5）",
                    en: "the certificate is named '\(candidate.object.label)', ending with '\(forbidden)', which a hardware certificate must not (E5)"))
            } else if candidate.keyEvidence == nil {
                problems.append(Localized(
                    zh: "证书 \(name) 没有对应的私钥（E6）", en: "the certificate \(name) has no private key on the token (E6)"))
            } else if now > certificate.notAfter || now < certificate.notBefore {
                problems.append(Localized(
                    zh: "证书 \(name) 不在有效期内（至 \(certificate.notAfter.formatted(.iso8601))）",
                    en: "the certificate \(name) is not valid now (until \(certificate.notAfter.formatted(.iso8601)))"))
            } else {
                var finding = Finding.pass(
                    Localized(zh: "令牌“\(candidate.token)”中有网关证书 \(name) 及其密钥", en: "the token '\(candidate.token)' holds the gateway certificate \(name) with its key"),
                    evidence: evidence)
                finding.certificates = [CertificateObservation(
                    subjectCommonName: name, issuerCommonName: certificate.issuerCommonName ?? "", serialNumber: certificate.serialNumberHex,
                    notBefore: certificate.notBefore.timeIntervalSince1970, notAfter: certificate.notAfter.timeIntervalSince1970,
                    filePath: "pkcs11:token=\(candidate.token)")]
                return finding
            }
        }
        let message = problems.dropFirst().reduce(problems[0]) { $0 + Localized(verbatim: "; ") + $1 }
        return .fail(message, evidence: evidence, remedy: Messages.fixName)
    }
}

extension TokenCertificateCheck {
    enum Messages {
        static let insert = Localized(
            zh: "插入存有旧证书的令牌；用飞天证书管理工具确认证书在令牌中（E3、E6）。",
            en: "Insert the token that holds the old certificate; check with Feitian's certificate manager that it is on the token (E3, E6).")
        static let fixName = Localized(
            zh: "硬证书名称须为网关号本身（不带“#0”）且私钥须在令牌中；否则请联系深证通（0755-83183333）。",
            en: "A hardware certificate must be named by the gateway number alone (no '#0') and keep its private key on the token; otherwise contact SSCC (0755-83183333).")
    }
}
