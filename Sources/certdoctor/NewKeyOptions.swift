import ArgumentParser
import CertDoctorCore
import Foundation
import PKI
import Renewal

/// The new key pair of `renew` and `enroll`: generated (`--key-type`) or made elsewhere (`--new-key`, with its
/// password from a file, the environment or a prompt).
struct NewKeyOptions: ParsableArguments {
    @Option(help: Help.argument(
        zh: "要生成的新密钥类型：\(RenewalKeyType.allCases.map(\.rawValue).joined(separator: "、"))。",
        en: "The new key pair to generate: \(RenewalKeyType.allCases.map(\.rawValue).joined(separator: ", "))."), completion: .list(RenewalKeyType.allCases.map(\.rawValue)))
    var keyType: String = RenewalKeyType.rsa2048.rawValue

    @Option(help: Help.argument(
        zh: "使用在别处生成的密钥对（PEM，可加密）而不是新生成。", en: "Use a key pair made elsewhere (PEM, possibly encrypted) instead of a fresh one."), completion: .file())
    var newKey: String?

    @Option(help: Help.argument(
        zh: "第一行为 --new-key 密码的文件（否则读环境变量 CERTDOCTOR_NEW_KEY_PASSWORD，再否则提示输入）。",
        en: "A file whose first line is --new-key's password (else CERTDOCTOR_NEW_KEY_PASSWORD, else a prompt)."), completion: .file())
    var newKeyPasswordFile: String?

    /// `--key-type` as given; `validate` has refused any other value.
    var type: RenewalKeyType { RenewalKeyType(rawValue: keyType) ?? .rsa2048 }

    /// The `--key-type` refusal in the run's language, nil when it is one of the known types.
    func keyTypeProblem(_ language: Language) -> ValidationError? {
        guard RenewalKeyType(rawValue: keyType) == nil else { return nil }
        return ValidationError(Localized(
            zh: "--key-type 只接受 \(RenewalKeyType.allCases.map(\.rawValue).joined(separator: "、"))，不接受“\(keyType)”",
            en: "--key-type takes \(RenewalKeyType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(keyType)'").text(language))
    }

    /// `--new-key` and the password it came with (nil for an unencrypted key, which never prompts).
    func load(language: Language) throws -> (key: PrivateKey, password: Secret?)? {
        try newKey.map { try RenewalInputs.newKey(at: $0, password: { try password(language: language) }) }
    }

    func password(language: Language) throws -> Secret {
        try SecretReader.read(
            SecretReader.Name.newKeyPassword, file: newKeyPasswordFile, option: "--new-key-password-file", variable: SecretVariables.newKeyPassword,
            prompt: Localized(zh: "新密钥的密码：", en: "Password of the new key: ").text(language))
    }
}
