import TokenTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// E3 "ukey 存储空间已满": a renewal generates a second key pair on the token and writes a second certificate
/// beside the old ones (kept until the new one works), so the token needs room for both, and its PIN must have
/// tries left for the one login. No login is made here.
struct TokenRoomCheck: Check {
    static let description = CheckDescription(
        id: "token.room",
        title: Localized(zh: "硬证书的存储空间", en: "Room on the token"),
        summary: Localized(
            zh: "令牌有空间再存放一对密钥和一张证书（按其报告的剩余存储；不报告时按对象数），且 PIN 没有锁定、剩余尝试次数不少。",
            en: "The token has room for one more key pair and certificate (by the free memory it reports, or else by its object count), and its PIN is neither locked nor low on tries."),
        requirements: ["E3"],
        category: "token",
        severity: .required,
        dependencies: ["token.single", "driver.token"],
        facets: [.token],
        examples: [
            TokenScenario.example("one-token", expect: .pass, "SoftHSM keeps no memory count: judged by its two visible objects"),
            TokenScenario.example("token-full", expect: .fail, "fourteen visible objects"),
        ])

    var description: CheckDescription { Self.description }

    /// What one RSA-2048 key pair and its certificate take, with margin: a certificate of about 1.5 KB and a
    /// key of 300 bytes in memory, a private key of about 1.2 KB in private memory.
    static let publicBytesNeeded: UInt = 4096
    static let privateBytesNeeded: UInt = 2048

    /// For a module that keeps no memory count: a gateway token holds one pair and certificate (three objects), a
    /// renewal adds three and keeps the old three. Twelve visible objects leave room for that twice over; more
    /// means leftovers to clean up first. An assumption of certdoctor's, not a vendor's figure.
    static let objectLimitWithoutMemoryCount = 12

    static let cleanUp = Localized(
        zh: "用飞天证书管理工具删除不再使用的证书和密钥（例如上次更新留下的 .old- 或 .pending 对象），再更新证书。",
        en: "Delete certificates and keys no longer used with Feitian's certificate manager (e.g. .old- or .pending objects left by an earlier renewal), then renew.")

    func evaluate(_ context: CheckContext) throws -> Finding {
        let options = context.environment.tokenOptions
        guard let path = try ModuleProbe.tokenModule(context) else { return ModuleProbe.noTokenModule }
        let module = try PKCS11Module(path: path)
        let slots = try module.slots().filter { slot in
            guard let token = slot.token else { return false }
            return options.tokenLabel.map { token.label == $0 } ?? true
        }
        guard !slots.isEmpty else {
            return Finding(.error, Localized(
                zh: "PKCS#11 模块 \(path) 中没有令牌，无法读取其存储空间", en: "the PKCS#11 module \(path) shows no token whose room could be read"))
        }
        let findings = try slots.map { slot throws(PKCS11Error) in
            Self.judge(try module.room(slot: slot.id), token: slot.token?.label ?? "")
        }
        let evidence = [Evidence("pkcs11Module", path, kind: .path)] + findings.flatMap(\.evidence)
        // The token that stops a renewal speaks for all.
        var verdict = findings.first { $0.outcome != .pass } ?? findings[0]
        verdict.evidence = evidence
        return verdict
    }

    /// The verdict on one token's room.
    static func judge(_ room: PKCS11TokenRoom, token: String) -> Finding {
        let evidence = [
            Evidence("token", token),
            Evidence("freePublicMemory", room.freePublicMemory.map(String.init) ?? "not reported"),
            Evidence("freePrivateMemory", room.freePrivateMemory.map(String.init) ?? "not reported"),
            Evidence("objects", String(room.objectCount)),
        ]
        if room.pinTriesLow {
            return .fail(
                Localized(zh: "令牌“\(token)”的 PIN 已锁定或剩余尝试次数很少", en: "the token '\(token)' has locked its PIN or has few tries left"),
                evidence: evidence,
                remedy: Localized(
                    zh: "用飞天证书管理工具确认或解锁 PIN（需管理员 PIN），再更新证书；certdoctor 不会在这样的令牌上尝试 PIN。",
                    en: "Check or unlock the PIN with Feitian's certificate manager (needs the SO PIN), then renew; certdoctor does not try a PIN on such a token."))
        }
        guard let freePublic = room.freePublicMemory, let freePrivate = room.freePrivateMemory else {
            guard room.objectCount <= objectLimitWithoutMemoryCount else {
                return .fail(
                    Localized(
                        zh: "令牌“\(token)”不报告剩余存储空间，但已有 \(room.objectCount) 个可见对象（多于 \(objectLimitWithoutMemoryCount) 个），可能已满（E3 ukey 存储空间已满）",
                        en: "the token '\(token)' does not report its free memory but holds \(room.objectCount) visible objects (more than \(objectLimitWithoutMemoryCount)); it may be full (E3)"),
                    evidence: evidence, remedy: cleanUp)
            }
            return .pass(Localized(
                zh: "令牌“\(token)”不报告剩余存储空间；按对象数判断：\(room.objectCount) 个可见对象，不多于 \(objectLimitWithoutMemoryCount) 个。若确实已满，生成密钥会失败（CKR_DEVICE_MEMORY），旧证书不受影响",
                en: "the token '\(token)' does not report its free memory; judged by its objects: \(room.objectCount) visible, at most \(objectLimitWithoutMemoryCount). If it is full after all, generating the key fails (CKR_DEVICE_MEMORY) and the old certificate is left as it is"),
                evidence: evidence)
        }
        guard freePublic >= publicBytesNeeded, freePrivate >= privateBytesNeeded else {
            return .fail(
                Localized(
                    zh: "令牌“\(token)”存储空间不足（E3 ukey 存储空间已满）：剩余公有 \(freePublic) 字节、私有 \(freePrivate) 字节，新密钥对和证书约需 \(publicBytesNeeded) 与 \(privateBytesNeeded) 字节",
                    en: "the token '\(token)' is nearly full (E3): \(freePublic) bytes of public and \(freePrivate) bytes of private memory free, a new key pair and certificate need about \(publicBytesNeeded) and \(privateBytesNeeded)"),
                evidence: evidence, remedy: cleanUp)
        }
        return .pass(Localized(
            zh: "令牌“\(token)”有足够空间：剩余公有 \(freePublic) 字节、私有 \(freePrivate) 字节",
            en: "the token '\(token)' has room: \(freePublic) bytes of public and \(freePrivate) bytes of private memory free"),
            evidence: evidence)
    }
}
