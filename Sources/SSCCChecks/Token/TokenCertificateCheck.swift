import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
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
            TokenScenario.example("one-token", gateway: "F000504Y0007", expect: .pass),
            TokenScenario.example("certificate-hash0", gateway: "F000504Y0007", expect: .fail, "named with #0 (E5)"),
            TokenScenario.example("certificate-no-key", gateway: "F000504Y0007", pin: "1234", expect: .fail, "no key after login (E6)"),
            TokenScenario.example("certificate-no-key", gateway: "F000504Y0007", expect: .notchecked, "without a PIN a missing key cannot be told from a hidden one"),
            TokenScenario.example("certificate-private-key", gateway: "F000504Y0007", expect: .notchecked, "the key is private: give --token-pin-file"),
            TokenScenario.example("certificate-private-key", gateway: "F000504Y0007", pin: "1234", expect: .pass, "the key is found after login"),
            TokenScenario.example("certificate-expiring", gateway: "F000504Y0007", expect: .pass, "11 days left: renew now"),
            TokenScenario.example("certificate-expired", gateway: "F000504Y0007", expect: .fail, "expired in 2021"),
            TokenScenario.example("one-token", gateway: "F000999Z0001", expect: .fail, "another gateway's certificate"),
            TokenScenario.example("interrupted-renewal", gateway: "F000504Y0007", pin: "1234", expect: .fail,
                                  "a renewal stopped between its renamings: undo gives the old certificate its name back"),
        ])

    var description: CheckDescription { Self.description }

    struct Candidate {
        var token: String
        var object: PKCS11Certificate
        var certificate: X509Certificate
        var keyEvidence: String?
        /// No key was seen, but the token hides private objects until login and no PIN was given: the key may
        /// well be there, so its absence is not a finding.
        var keyHidden: Bool
    }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let options = context.environment.tokenOptions
        guard let path = try ModuleProbe.tokenModule(context) else { return ModuleProbe.noTokenModule }
        let module = try PKCS11Module(path: path)
        // Every slot, not only those with a token: OpenSC leaves a card it cannot read out of the token-present
        // list, and only the full list shows it as present but not recognised.
        let allSlots = try module.slots(tokenPresent: false)
        let slots = allSlots.filter { slot in
            guard let token = slot.token else { return false }
            return options.tokenLabel.map { token.label == $0 } ?? true
        }
        var evidence = [Evidence("pkcs11Module", path, kind: .path)] + slots.map { Evidence("pkcs11Token", $0.token?.label ?? "") }
        let unrecognised = allSlots.filter(\.tokenNotRecognized)
        evidence += unrecognised.map { Evidence("unrecognisedToken", "\($0.description): CKR_TOKEN_NOT_RECOGNIZED") }
        guard !slots.isEmpty else {
            // A card the module cannot read is not "no token": saying "insert the token" would send the person
            // looking for a token that is already in the reader.
            if let slot = unrecognised.first {
                return .fail(UnrecognisedToken.message(slot), evidence: evidence, remedy: UnrecognisedToken.remedy)
            }
            return .fail(
                Localized(zh: "PKCS#11 模块中没有令牌" + (options.tokenLabel.map { "“\($0)”" } ?? ""),
                          en: "the PKCS#11 module shows no token" + (options.tokenLabel.map { " labelled '\($0)'" } ?? "")),
                evidence: evidence, remedy: Messages.insert)
        }

        var candidates: [Candidate] = []
        var setAside: [String] = []
        let pin = options.pin?.reveal()
        for slot in slots {
            for object in try module.certificates(slot: slot.id) {
                if Self.isSetAside(object.label) {
                    evidence.append(Evidence("setAside", "\(slot.token?.label ?? ""): \(object.label)"))
                    setAside.append(object.label)
                    continue
                }
                guard let certificate = try? X509Certificate(derEncoded: object.der) else { continue }
                var key: String?
                if !(try module.privateKeys(slot: slot.id, id: object.id, pin: pin)).isEmpty {
                    key = "private key with the certificate's CKA_ID"
                } else if pin == nil, !(try module.publicKeys(slot: slot.id, id: object.id)).isEmpty {
                    // Without a PIN the token hides its private keys; a key of the same id shows the pair.
                    key = "key pair with the certificate's CKA_ID (private key hidden until login)"
                }
                let hidden = key == nil && pin == nil && slot.token?.loginRequired == true
                candidates.append(Candidate(
                    token: slot.token?.label ?? "", object: object, certificate: certificate, keyEvidence: key, keyHidden: hidden))
            }
        }
        let profile = try context.environment.attachedProfile()
        let forbidden = profile.hardwareCertificate.forbiddenSuffix
        let gateway = context.environment.gateway
        let gateways = candidates.filter { candidate in
            let name = candidate.certificate.subjectCommonName ?? ""
            let stem = name.hasSuffix(forbidden) ? String(name.dropLast(forbidden.count)) : name
            if let gateway { return stem == gateway }
            return profile.gatewayNumber.matches(stem)
        }
        evidence += candidates.map { Evidence("certificate", "\($0.token): \($0.object.label) CN=\($0.certificate.subjectCommonName ?? "-")") }
        guard !gateways.isEmpty else {
            let missing = Localized(zh: "令牌中没有网关号" + (gateway.map { " \($0) " } ?? "") + "的证书（E6）",
                                    en: "the token holds no certificate for the gateway" + (gateway.map { " \($0)" } ?? "") + " (E6)")
            // Objects a renewal set aside and none in their place: it stopped between its renamings, and the
            // journal knows how to go back. Inserting another token would be the wrong advice.
            let ours = setAside.filter { label in gateway.map { label.hasPrefix($0 + ".") } ?? true }
            if !ours.isEmpty {
                let list = ours.sorted().joined(separator: ", ")
                return .fail(
                    missing + Localized(zh: "；令牌中有证书更新留下的 \(list)：更新在改名途中中断",
                                        en: "; it holds \(list), left by a renewal that stopped while renaming"),
                    evidence: evidence, remedy: Messages.undoInterruptedRenewal)
            }
            return .fail(missing, evidence: evidence, remedy: Messages.insert)
        }

        var problems: [Localized] = []
        var hidden: [Candidate] = []
        let now = context.environment.now
        for candidate in gateways {
            let certificate = candidate.certificate
            evidence += [
                Evidence("subject", certificate.subject), Evidence("serial", certificate.serialNumberHex, kind: .serialNumber),
                Evidence("notAfter", certificate.notAfter.formatted(.iso8601)), Evidence("label", candidate.object.label),
                Evidence("key", candidate.keyEvidence ?? (candidate.keyHidden ? "not visible without login" : "none found")),
            ]
            let name = certificate.subjectCommonName ?? ""
            // What is certain without the key comes first: a wrong name or an expired certificate fails whether or
            // not the key is there.
            if candidate.object.label.hasSuffix(forbidden) || name.hasSuffix(forbidden) {
                problems.append(Localized(
                    zh: "证书名称“\(candidate.object.label)”以“\(forbidden)”结尾，硬证书不能这样命名（E5）",
                    en: "the certificate is named '\(candidate.object.label)', ending with '\(forbidden)', which a hardware certificate must not (E5)"))
            } else if now > certificate.notAfter || now < certificate.notBefore {
                problems.append(Localized(
                    zh: "证书 \(name) 不在有效期内（至 \(certificate.notAfter.formatted(.iso8601))）",
                    en: "the certificate \(name) is not valid now (until \(certificate.notAfter.formatted(.iso8601)))"))
            } else if candidate.keyHidden {
                hidden.append(candidate)
            } else if candidate.keyEvidence == nil {
                problems.append(Localized(
                    zh: "证书 \(name) 没有对应的私钥（E6）", en: "the certificate \(name) has no private key on the token (E6)"))
            } else {
                var message = Self.passMessage(candidate, context.environment)
                let others = gateways.filter { $0.object != candidate.object }.map(\.object.label)
                if !others.isEmpty {
                    let list = others.joined(separator: ", ")
                    message = message + Localized(
                        zh: "；注意：令牌中还有该网关的其他证书（\(list)），请删除不再使用的，以免网关选错",
                        en: "; note: the token holds other certificates for this gateway (\(list)); remove those no longer used, so the gateway cannot pick the wrong one")
                }
                var finding = Finding.pass(message, evidence: evidence)
                finding.certificates = [CertificateObservation(
                    subjectCommonName: name, issuerCommonName: certificate.issuerCommonName ?? "", serialNumber: certificate.serialNumberHex,
                    notBefore: certificate.notBefore.timeIntervalSince1970, notAfter: certificate.notAfter.timeIntervalSince1970,
                    filePath: "pkcs11:token=\(candidate.token)")]
                return finding
            }
        }
        if let candidate = hidden.first {
            let name = candidate.certificate.subjectCommonName ?? ""
            return Finding(
                .notchecked,
                Localized(
                    zh: "令牌“\(candidate.token)”中有证书 \(name)，但令牌在登录前隐藏私钥，未给出 PIN，无法确认私钥是否在令牌中；请用 --token-pin-file 提供 PIN",
                    en: "the token '\(candidate.token)' holds the certificate \(name), but it hides private keys until login and no PIN was given, so whether its private key is there is unknown; give the PIN with --token-pin-file"),
                evidence: evidence, remedy: Messages.givePIN)
        }
        let message = problems.dropFirst().reduce(problems[0]) { $0 + Localized(verbatim: "; ") + $1 }
        return .fail(message, evidence: evidence, remedy: Messages.fixName(support: profile.support.phone))
    }

    /// Objects a hardware renewal sets aside: the old pair it keeps (`<gateway>.old-<serial>`) and a new one not
    /// yet in place (`<gateway>.pending`). Neither is the gateway's certificate.
    public static func isSetAside(_ label: String) -> Bool {
        label.contains(".old-") || label.hasSuffix(".pending")
    }

    /// Like `cert.validity`: inside the renewal window the certificate still works today, so the check passes,
    /// but the message leads with the date so that the renewal is not left until the token stops working.
    static func passMessage(_ candidate: Candidate, _ environment: Environment) -> Localized {
        let name = candidate.certificate.subjectCommonName ?? ""
        let notAfter = candidate.certificate.notAfter
        let daysLeft = RenewalWindow.daysLeft(until: notAfter, from: environment.now)
        if daysLeft < RenewalWindow.days(environment) {
            let day = RenewalWindow.day(notAfter)
            return Localized(
                zh: "令牌“\(candidate.token)”中有网关证书 \(name) 及其密钥，但 \(daysLeft) 天后（\(day)）到期：请立即更新",
                en: "the token '\(candidate.token)' holds the gateway certificate \(name) with its key, but it expires in \(daysLeft) days (\(day)): renew now")
        }
        return Localized(
            zh: "令牌“\(candidate.token)”中有网关证书 \(name) 及其密钥，剩余 \(daysLeft) 天",
            en: "the token '\(candidate.token)' holds the gateway certificate \(name) with its key, \(daysLeft) days left")
    }
}

/// A slot where the module sees a card but answers CKR_TOKEN_NOT_RECOGNIZED: in practice another vendor's card,
/// or a module for another vendor's token (a Mingwah module for the Feitian ePass3003, E3).
enum UnrecognisedToken {
    static func message(_ slot: PKCS11Slot) -> Localized {
        Localized(
            zh: "读卡器“\(slot.description)”中有卡，但 PKCS#11 模块不认识它（CKR_TOKEN_NOT_RECOGNIZED）：可能是其他厂商的卡，或配置的是其他厂商令牌的 PKCS#11 模块（E3）",
            en: "the reader '\(slot.description)' holds a card the PKCS#11 module does not recognise (CKR_TOKEN_NOT_RECOGNIZED): likely another vendor's card, or a PKCS#11 module for another vendor's token (E3)")
    }

    static let remedy = Localized(
        zh: "插入深证通发放的飞天 ePass3003 令牌，并使用飞天 ePass3003 的 PKCS#11 模块（--pkcs11-module，或浏览器中配置的模块）；卸载其他厂商的 ukey 驱动。",
        en: "Insert the Feitian ePass3003 token issued by SSCC and use the Feitian ePass3003 PKCS#11 module (--pkcs11-module, or the module the browser loads); remove other vendors' token drivers.")
}

extension TokenCertificateCheck {
    enum Messages {
        static let insert = Localized(
            zh: "插入存有旧证书的令牌；用飞天证书管理工具确认证书在令牌中（E3、E6）。",
            en: "Insert the token that holds the old certificate; check with Feitian's certificate manager that it is on the token (E3, E6).")
        static let undoInterruptedRenewal = Localized(
            zh: "运行 certdoctor undo（需要 PIN）让旧证书恢复原名称，新密钥对保留为待用；然后重新运行 certdoctor renew --token，它会再用这对密钥。",
            en: "Run certdoctor undo (it asks for the PIN) to give the old certificate its name back; the new key pair stays pending, and the next certdoctor renew --token uses it again.")
        static let givePIN = Localized(
            zh: "用 --token-pin-file 指定存放用户 PIN 的文件（或设置 CERTDOCTOR_TOKEN_PIN）后重新检查；PIN 只用于登录查看私钥。",
            en: "Run the check again with --token-pin-file naming a file that holds the user PIN (or set CERTDOCTOR_TOKEN_PIN); the PIN is used only to log in and see the private key.")
        /// The support number is the profile's: SSCC facts live there alone.
        static func fixName(support phone: String?) -> Localized {
            let contact = phone.map { Localized(zh: "否则请联系深证通（\($0)）。", en: "otherwise contact SSCC (\($0)).") }
                ?? Localized(zh: "否则请联系深证通。", en: "otherwise contact SSCC.")
            return Localized(
                zh: "硬证书名称须为网关号本身（不带“#0”）且私钥须在令牌中；",
                en: "A hardware certificate must be named by the gateway number alone (no '#0') and keep its private key on the token; ") + contact
        }
    }
}
