import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard
import WindowsRegistry

/// The ATR of the token that is plugged in, when the smart-card checks have read it; the CLI attaches it.
enum TokenATRKey: EnvironmentKey {
    static let defaultValue: [UInt8]? = nil
}

extension Environment {
    var tokenATR: [UInt8]? {
        get { self[TokenATRKey.self] }
        set { self[TokenATRKey.self] = newValue }
    }
}

/// R7 (E3) inside a Wine prefix: the Feitian ePass3003 CSP is registered with an image file that exists, and
/// no other vendor's card entry claims the token's ATR (a Mingwah driver for a Feitian token is the manual's
/// example of "未检测到硬证书 ukey").
struct TokenCSPCheck: Check {
    static let description = CheckDescription(
        id: "driver.token-csp",
        title: Localized(zh: "Wine 前缀中安装了飞天 ePass3003 驱动（CSP）", en: "The Feitian ePass3003 CSP is installed in the Wine prefix"),
        summary: Localized(
            zh: "硬件证书：Wine 前缀中注册了名为“EnterSafe ePass3003 CSP…”的 CSP，其 Image Path 文件存在，且没有其他厂商的智能卡条目声明该 ukey 的 ATR。",
            en: "Hardware certificate: a CSP named 'EnterSafe ePass3003 CSP…' is registered in the Wine prefix with an Image Path file that exists, and no other vendor's smart-card entry claims the token's ATR."),
        requirements: ["R7", "E3"],
        category: "driver",
        severity: .required,
        facets: [.winePrefix, .token],
        examples: WindowsExamples.tokenCSP)

    var description: CheckDescription { Self.description }

    static let providers = "Software\\Microsoft\\Cryptography\\Defaults\\Provider"
    static let cards = "Software\\Microsoft\\Cryptography\\Calais\\SmartCards"
    static let namePrefix = "entersafe epass3003 csp"

    func evaluate(_ context: CheckContext) throws -> Finding {
        let side = try WindowsSide.load(context)
        guard let prefix = side.prefix else {
            return .notApplicable(Localized(zh: "仅适用于 Wine 前缀", en: "applies to a Wine prefix only"))
        }
        var evidence: [Evidence] = []
        var found: [(name: String, image: String, exists: Bool)] = []
        for (view, path) in [(WindowsSide.View.bit64, Self.providers), (.bit32, side.machinePath(Self.providers, view: .bit32))] {
            for provider in side.machine.key(at: path)?.subkeys ?? [] where provider.name.lowercased().hasPrefix(Self.namePrefix) {
                let image = provider.value(named: "Image Path")?.stringValue ?? ""
                let file = Self.imageFile(image, prefix: prefix, view: view)
                let exists = file.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
                found.append((provider.name, image, exists))
                evidence.append(Evidence("HKLM\\\(path)\\\(provider.name)", "Image Path \(image)\(exists ? "" : " (missing)")", kind: .path))
            }
        }
        let remedy = Localized(
            zh: "从深交所下载区（交易结算业务 → 程序下载 → Ekey 驱动程序）下载飞天 ePass3003 驱动并在 Wine 中安装；卸载其他厂商的 ukey 驱动。",
            en: "Download the Feitian ePass3003 driver from the exchange's download area (交易结算业务 → 程序下载 → Ekey 驱动程序) and install it in Wine; remove other vendors' token drivers.")
        guard !found.isEmpty else {
            return .fail(Localized(zh: "未注册飞天 ePass3003 CSP（E3）", en: "no Feitian ePass3003 CSP is registered (E3)"), evidence: evidence, remedy: remedy)
        }
        guard found.contains(where: \.exists) else {
            return .fail(Localized(zh: "ePass3003 CSP 已注册，但其文件 \(found[0].image) 不存在", en: "the ePass3003 CSP is registered, but its file \(found[0].image) does not exist"),
                         evidence: evidence, remedy: remedy)
        }
        let atr = context.environment.tokenATR ?? Self.insertedTokenATR(context)
        if let atr { evidence.append(Evidence("token ATR", ATR(bytes: atr).hex)) }
        let claims = otherClaims(side, atr: atr)
        for claim in claims { evidence.append(Evidence("other vendor", claim)) }
        if atr != nil, !claims.isEmpty {
            return .fail(Localized(zh: "其他厂商的驱动声明了该 ukey 的 ATR：\(claims.joined(separator: "；"))", en: "another vendor's driver claims the token's ATR: \(claims.joined(separator: "; "))"),
                         evidence: evidence, remedy: remedy)
        }
        return .pass(Localized(zh: "飞天 ePass3003 CSP 已注册且文件存在", en: "the Feitian ePass3003 CSP is registered and its file exists"), evidence: evidence)
    }

    /// The ATR of the card in the reader, from the same PC/SC reading the token checks of this run use, so that
    /// the E3 "another vendor claims the token" failure can fire in a real run; nil when no reader holds one.
    static func insertedTokenATR(_ context: CheckContext) -> [UInt8]? {
        guard context.environment.tokenRequested, let inventory = try? TokenFacts.readers(context) else { return nil }
        return inventory.readers.first(where: \.cardPresent)?.atr?.bytes
    }

    /// Card entries whose provider is not the ePass3003 CSP and whose `ATR & ATRMask` equals the token's
    /// `ATR & ATRMask` (the smart-card subsystem's own match); all foreign entries when the ATR is unknown.
    func otherClaims(_ side: WindowsSide, atr: [UInt8]?) -> [String] {
        var claims: [String] = []
        for path in [Self.cards, side.machinePath(Self.cards, view: .bit32)] {
            for card in side.machine.key(at: path)?.subkeys ?? [] {
                let provider = card.value(named: "Crypto Provider")?.stringValue ?? ""
                guard !provider.lowercased().hasPrefix(Self.namePrefix) else { continue }
                if let atr {
                    guard let cardATR = card.value(named: "ATR")?.data, cardATR.count == atr.count else { continue }
                    let mask = card.value(named: "ATRMask")?.data ?? Array(repeating: 0xff, count: atr.count)
                    guard mask.count == atr.count, zip(zip(cardATR, atr), mask).allSatisfy({ ($0.0 & $1) == ($0.1 & $1) }) else { continue }
                }
                let claim = "\(card.name) → \(provider)"
                if !claims.contains(claim) { claims.append(claim) }
            }
        }
        return claims
    }

    /// `Image Path` is a file name (searched in the view's system directory) or a full path.
    static func imageFile(_ image: String, prefix: URL, view: WindowsSide.View) -> URL? {
        guard !image.isEmpty else { return nil }
        if image.contains("\\") || image.contains("%") {
            var path = image
            if view == .bit32 { path = path.replacingOccurrences(of: "system32", with: "syswow64", options: .caseInsensitive) }
            return WindowsPath.resolve(path, in: prefix)
        }
        return WindowsPath.resolve("C:\\windows\\\(view == .bit32 ? "syswow64" : "system32")\\\(image)", in: prefix)
    }
}

/// The examples the test suite runs for this file's checks (`WindowsExamples` says how a fixture is given).
extension WindowsExamples {
    static let tokenCSP: [CheckExample] = [
        prefix("token-csp/good", .pass, token: true),
        prefix("token-csp/missing-image", .fail, "registered, but the DLL is missing", token: true),
        prefix("empty.reg", .fail, "E3: no driver", token: true),
        prefix("token-csp/other-vendor", .fail, "a Mingwah entry claims the token's ATR", token: true, atr: testATR),
        prefix("token-csp/good", .pass, "no other vendor claims the ATR", token: true, atr: testATR),
        prefix("token-csp/good", .notapplicable, "a file certificate needs no token driver"),
    ]
}
