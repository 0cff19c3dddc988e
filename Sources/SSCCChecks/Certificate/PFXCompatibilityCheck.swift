import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// Advisory: whether Windows 7 (and Windows 10 before 1709) can import the file. OpenSSL 3 writes AES/PBKDF2
/// with a SHA-256 MAC by default, which those systems reject with a misleading "wrong password".
struct PFXCompatibilityCheck: Check {
    static let description = CheckDescription(
        id: "cert.pfx-compatibility",
        title: Localized(zh: "PFX 可在 Windows 7 导入", en: "PFX imports on Windows 7"),
        summary: Localized(
            zh: "检查 PFX 的加密方式：PBE-SHA1-3DES 或 RC2 加 SHA-1 MAC 在所有 Windows 上可导入；AES/PBKDF2 在 Windows 10 1709 之前无法导入。",
            en: "Looks at how the PFX is encrypted: PBE-SHA1-3DES or RC2 with a SHA-1 MAC imports on every Windows; AES/PBKDF2 fails before Windows 10 1709."),
        requirements: ["R10"],
        category: "certificate",
        severity: .advisory,
        dependencies: ["cert.pfx-readable"],
        facets: [.fileCertificate],
        fix: Localized(
            zh: "用同一密码按 Windows 7 兼容方式（PBE-SHA1-3DES、SHA-1 MAC）重写文件（有备份，可撤销）",
            en: "rewrites the file with the same password in the Windows 7 profile (PBE-SHA1-3DES, SHA-1 MAC), backed up and undoable"),
        examples: [
            CheckExample("pfx/good-3des/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/legacy-rc2/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .pass),
            CheckExample("pfx/good-aes/F000504Y0007#0.pfx", SSCCExampleTarget.pfx(password: "123456"), expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let opened = try OpenedPFX.load(context)
        let protection = opened.contents.protection
        let evidence = [Evidence("file", opened.file.path, kind: .path), Evidence("protection", protection.summary)]
        if protection.windows7Compatible {
            return .pass(
                Localized(zh: "文件使用 Windows 7 兼容的加密方式", en: "the file uses a Windows 7-compatible protection"),
                evidence: evidence)
        }
        return .fail(
            Localized(
                zh: "文件使用 OpenSSL 3 的 AES/PBKDF2 方式，Windows 7 及 Windows 10 1709 之前的版本无法导入",
                en: "the file uses OpenSSL 3's AES/PBKDF2 protection, which Windows 7 and Windows 10 before 1709 cannot import"),
            evidence: evidence,
            remedy: Localized(
                zh: "运行 certdoctor fix 按 Windows 7 兼容方式重写（密码不变）。", en: "Run certdoctor fix to rewrite it in the Windows 7 profile (same password)."))
    }

    func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let opened = try OpenedPFX.load(context)
        guard let password = context.environment.pfxPassword, let key = opened.contents.privateKey else { return nil }
        let file = opened.file
        let before = opened.contents.protection.summary
        let planned = try readBytes(file)
        let step = FixStep(
            description: Localized(
                zh: "\(file.lastPathComponent)：\(before) → PBE-SHA1-3DES，MAC SHA-1（密码不变）",
                en: "\(file.lastPathComponent): \(before) → PBE-SHA1-3DES, MAC SHA-1 (same password)"),
            touches: [file], before: before, after: "certificates pbeWithSHA1And3-KeyTripleDES-CBC, key pbeWithSHA1And3-KeyTripleDES-CBC, MAC sha1",
            preflight: {
                // The plan was made from the file as it was read; a file replaced since (while the question
                // waited for an answer, say) is not the one the rewrite was planned for.
                guard (try? readBytes(file)) == planned else { throw PFXRewriteError.changedSincePlanned(file.path) }
            }
        ) { writer in
            let rewritten = try PKCS12Archive.create(
                certificate: opened.certificate, privateKey: key, chain: opened.contents.chain.filter { $0 != opened.certificate },
                password: password.reveal(), friendlyName: opened.contents.friendlyName, profile: .windows7)
            // Never replace a working certificate with a file that does not open to the same certificate and key.
            let reopened = try PKCS12Archive.open(rewritten, password: password.reveal())
            guard reopened.certificate == opened.certificate, reopened.keyMatchesCertificate,
                  reopened.protection.windows7Compatible
            else { throw PFXRewriteError.verificationFailed(file.path) }
            try writer.replace(file, with: rewritten)
        }
        return FixPlan(
            checkID: Self.description.id, summary: Self.description.fix!, steps: [step],
            afterword: Localized(
                zh: "如已将旧文件导入 Windows，无需重新导入；新文件可在任何 Windows 上导入。",
                en: "A copy already imported into Windows need not be imported again; the new file imports on any Windows."))
    }
}

enum PFXRewriteError: Error, LocalizedMessage {
    case verificationFailed(String)
    case changedSincePlanned(String)

    var localizedMessage: Localized {
        switch self {
        case .verificationFailed(let path):
            Localized(zh: "重写后的文件校验失败，未替换 \(path)", en: "the rewritten file did not verify; \(path) was not replaced")
        case .changedSincePlanned(let path):
            Localized(zh: "\(path) 在制定修复计划后被改动，未作修改；请重新运行 certdoctor fix",
                      en: "\(path) changed after the fix was planned and was left alone; run certdoctor fix again")
        }
    }
}
