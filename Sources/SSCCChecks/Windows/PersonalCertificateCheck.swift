import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import WindowsRegistry
import PKI

/// R10, R12 (E6): the Current User Personal store holds the gateway's certificate with its private key, not
/// expired. The portal reads the old certificate from there; without it the renewal stops at
/// "未识别到旧证书信息".
public struct PersonalCertificateCheck: Check {
    public init() {}

    static let description = CheckDescription(
        id: "store.personal-cert",
        title: Localized(zh: "旧证书已导入“个人”证书存储", en: "The old certificate is in the Personal store"),
        summary: Localized(
            zh: "当前用户“个人”(MY) 存储中有 CN 为网关号的证书，带私钥（有密钥提供程序信息且密钥容器存在），未过期；同一网关的过期或重复证书会被列出。",
            en: "The Current User Personal (MY) store holds a certificate whose CN is the gateway number, with its private key (key provider info present and the key container there), not expired; stale or duplicate certificates for the same gateway are listed."),
        requirements: ["R10", "R12", "E6"],
        category: "certificate-store",
        severity: .required,
        facets: [.windowsSide],
        fix: Localized(
            zh: "在 Wine 前缀中用 certstore.exe 把 --pfx 指定的证书连同私钥导入“当前用户 → 个人”，并读回验证。",
            en: "Imports the --pfx certificate with its key into Current User → Personal in the Wine prefix with certstore.exe, and reads it back."),
        examples: WindowsExamples.personalCertificate)

    public var description: CheckDescription { Self.description }

    /// The gateway number: `--gateway`, else the `--pfx`'s CN, else the one certificate in the store whose CN
    /// follows the profile's pattern.
    enum Gateway {
        case known(String, from: String)
        case ambiguous([String])
        case none
    }

    static func gateway(_ context: CheckContext, store: PersonalStore) throws -> Gateway {
        let environment = context.environment
        if let gateway = environment.gateway { return .known(gateway, from: "--gateway") }
        let profile = try environment.attachedProfile()
        if environment.pfxFile != nil, let opened = try? OpenedPFX.load(context), let name = opened.certificate.subjectCommonName {
            return .known(strip(name, profile: profile), from: "--pfx")
        }
        let names = Set(store.entries.compactMap(\.certificate.subjectCommonName).map { strip($0, profile: profile) }
            .filter(profile.gatewayNumber.matches))
        if names.count == 1 { return .known(names.first!, from: "the Personal store") }
        return names.isEmpty ? .none : .ambiguous(names.sorted())
    }

    /// A certificate's CN may carry the suffix of its file name (`#0`).
    static func strip(_ name: String, profile: SSCCProfile) -> String {
        let suffix = profile.fileCertificate.requiredSuffix
        return !suffix.isEmpty && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
    }

    public func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        let store = PersonalStore.read(side)
        var evidence = [Evidence("certificates", "\(store.entries.count)")]
        for location in store.unreadable { evidence.append(Evidence("unreadable", location)) }
        let remedy = Localized(
            zh: "在 Internet 选项 → 内容 → 证书 → 个人 中导入 .pfx（含私钥），或运行 certdoctor fix --pfx 文件。",
            en: "Import the .pfx with its private key under Internet Options → Content → Certificates → Personal, or run certdoctor fix --pfx FILE.")
        let gateway: String
        switch try Self.gateway(context, store: store) {
        case .known(let name, let source):
            gateway = name
            evidence.append(Evidence("gateway", "\(name) (from \(source))"))
        case .ambiguous(let names):
            return .fail(
                Localized(zh: "“个人”存储中有多个网关的证书：\(names.joined(separator: "、"))；请用 --gateway 指定",
                          en: "the Personal store holds certificates of several gateways: \(names.joined(separator: ", ")); name one with --gateway"),
                evidence: evidence, remedy: remedy)
        case .none:
            return .fail(Localized(zh: "“个人”存储中没有网关证书（E6）", en: "the Personal store holds no gateway certificate (E6)"),
                         evidence: evidence, remedy: remedy)
        }
        let profile = try context.environment.attachedProfile()
        let mine = store.entries.filter { $0.certificate.subjectCommonName.map { Self.strip($0, profile: profile) } == gateway }
        for entry in mine {
            let key = entry.keyPresent.map { $0 ? "key present" : "key missing" } ?? (entry.keyContainer == nil ? "no key info" : "key info present")
            evidence.append(Evidence(
                entry.thumbprint,
                "serial \(entry.certificate.serialNumberHex), \(OpenedPFX.timestamp(entry.certificate.notBefore)) – \(OpenedPFX.timestamp(entry.certificate.notAfter)), \(key)",
                kind: .serialNumber))
        }
        let now = context.environment.now
        let usable = mine.filter { $0.certificate.notBefore <= now && now <= $0.certificate.notAfter && $0.keyContainer != nil && $0.keyPresent != false }
        let stale = mine.filter { $0.certificate.notAfter < now }
        var finding: Finding
        if let best = usable.max(by: { $0.certificate.notAfter < $1.certificate.notAfter }) {
            var note = Localized(verbatim: "")
            if mine.count > 1 {
                note = Localized(zh: "；另有 \(mine.count - 1) 张同网关证书（其中 \(stale.count) 张已过期），更新时请选对证书",
                                 en: "; \(mine.count - 1) more certificate(s) for the same gateway (\(stale.count) expired): pick the right one when renewing")
            }
            finding = .pass(Localized(zh: "“个人”存储中有 \(gateway) 的证书及私钥（\(best.thumbprint)）", en: "the Personal store holds \(gateway)'s certificate with its key (\(best.thumbprint))") + note,
                            evidence: evidence)
        } else if mine.isEmpty {
            finding = .fail(Localized(zh: "“个人”存储中没有 \(gateway) 的证书（E6）", en: "the Personal store holds no certificate for \(gateway) (E6)"),
                            evidence: evidence, remedy: remedy)
        } else if mine.allSatisfy({ $0.certificate.notAfter < now }) {
            finding = .fail(Localized(zh: "“个人”存储中 \(gateway) 的证书均已过期", en: "every certificate for \(gateway) in the Personal store has expired"),
                            evidence: evidence, remedy: remedy)
        } else {
            finding = .fail(Localized(zh: "“个人”存储中有 \(gateway) 的证书，但没有私钥", en: "the Personal store holds \(gateway)'s certificate, but not its private key"),
                            evidence: evidence, remedy: remedy)
        }
        finding.certificates = mine.map { entry in
            CertificateObservation(
                subjectCommonName: entry.certificate.subjectCommonName ?? "", issuerCommonName: entry.certificate.issuerCommonName ?? "",
                serialNumber: entry.certificate.serialNumberHex, notBefore: entry.certificate.notBefore.timeIntervalSince1970,
                notAfter: entry.certificate.notAfter.timeIntervalSince1970, filePath: entry.location)
        }
        return finding
    }

    public func planFix(for finding: Finding, in context: CheckContext) throws -> FixPlan? {
        let side = try WindowsSide.load(context)
        guard let prefix = side.prefix, let pfx = context.environment.pfxFile, let password = context.environment.pfxPassword else { return nil }
        let opened = try OpenedPFX.load(context)
        let thumbprint = opened.certificate.sha1Thumbprint
        let helper = context.environment.certStoreHelper
        let hives = [prefix.appendingPathComponent(WineHiveFile.user.rawValue), prefix.appendingPathComponent(WineHiveFile.system.rawValue)]
        let step = FixStep(
            description: Localized(
                zh: "在 Wine 中运行 certstore.exe，把 \(pfx.lastPathComponent)（\(thumbprint)）连同私钥导入“当前用户 → 个人”，并读回验证",
                en: "run certstore.exe under Wine to import \(pfx.lastPathComponent) (\(thumbprint)) with its key into Current User → Personal, and read it back"),
            touches: hives, changesFilesItself: true,
            preflight: {
                try WineServerGuard.requireStopped(prefix: prefix)
                guard let helper else { throw StoreImportError.helperMissing(searched: [CertStoreHelper.installedLocation(executable: CurrentExecutable.url).path]) }
                // An installation's helper is prebuilt; a checkout's is built from Tools/win32 with mingw-w64 the
                // first time a fix needs it, then kept in the cache.
                if !FileManager.default.fileExists(atPath: helper.path) {
                    try CertStoreHelper.build(dataRoot: try DataDirectory.locate().root, into: helper)
                }
            },
            apply: { _ in
                guard let helper else { throw StoreImportError.helperMissing(searched: [CertStoreHelper.installedLocation(executable: CurrentExecutable.url).path]) }
                // The password goes to the helper on its standard input, never on a command line.
                let imported = try CertStoreHelper.run(
                    helper, ["import-pfx", CertStoreHelper.winePath(pfx)], prefix: prefix, input: Array((password.reveal() + "\n").utf8))
                guard imported.reason == .exited(0) else {
                    throw StoreImportError.importFailed(status: "\(imported.reason)", message: imported.errorText.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                // Wine's crypt32 is the judge: the certificate must list with a key it can acquire.
                let listed = try CertStoreHelper.run(helper, ["list"], prefix: prefix)
                let line = listed.outputText.split(separator: "\n").first { $0.hasPrefix(thumbprint) }
                guard let line, line.hasSuffix("key=ok") else { throw StoreImportError.notInStore(thumbprint: thumbprint) }
            })
        return FixPlan(
            checkID: Self.description.id,
            summary: Localized(zh: "导入旧证书到“个人”存储（R10）", en: "import the old certificate into the Personal store (R10)"),
            steps: [step],
            afterword: BrowserRestart.afterword)
    }
}

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
    static let personalCertificate: [CheckExample] = [
        registry("store/good-3des", .pass, "exported by Wine after a real import; the gateway comes from the store"),
        registry("store/good-3des", .fail, gateway: "F000333Q0001", "--gateway names another gateway"),
        registry("store/expired", .fail, "only an expired certificate"),
        prefix("store/good-3des-with-key", .pass, "certificate and rsaenh key container"),
        prefix("store/good-3des", .fail, "the certificate without its key container"),
        prefix("empty.reg", .fail, "E6: nothing imported"),
    ]
}
