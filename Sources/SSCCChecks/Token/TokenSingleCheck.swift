import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// R11: only one Ekey at a time. Two or more fail, naming the readers; taking one out is for the person to do.
struct TokenSingleCheck: Check {
    static let description = CheckDescription(
        id: "token.single",
        title: Localized(zh: "只插入一个硬证书", en: "Only one token is inserted"),
        summary: Localized(
            zh: "恰好插入一个 ePass3003；插入两个或更多时失败，并列出所在读卡器。",
            en: "Exactly one ePass3003 is inserted; two or more fail, naming their readers."),
        requirements: ["R11"],
        category: "token",
        severity: .required,
        dependencies: ["token.present"],
        facets: [.token],
        examples: [
            TokenScenario.example("one-token", expect: .pass),
            TokenScenario.example("token-and-other-card", expect: .pass, "another card does not count"),
            TokenScenario.example("two-tokens", expect: .fail),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let inventory = try TokenFacts.tokens(context)
        let evidence = inventory.tokens.map { Evidence("token", "\($0.readerName): \($0.model.name), ATR \($0.atr.hex)") }
        let readers = TokenPresentCheck.readers(inventory)
        if inventory.tokens.count == 1 {
            return .pass(Localized(zh: "只插入了一个令牌：\(readers)", en: "one token is inserted: \(readers)"), evidence: evidence)
        }
        return .fail(
            Localized(zh: "插入了 \(inventory.tokens.count) 个令牌：\(readers)", en: "\(inventory.tokens.count) tokens are inserted: \(readers)"),
            evidence: evidence,
            remedy: Localized(
                zh: "手册要求一次只插入一个 Ekey（R11）：拔出其他令牌，只保留存有待更新证书的那个。",
                en: "The manual allows one Ekey at a time (R11): take out the others and keep only the one holding the certificate to renew."))
    }
}
