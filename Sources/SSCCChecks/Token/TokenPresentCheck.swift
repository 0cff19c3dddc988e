import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard

/// R11, E3: a reader holds a card whose ATR is a known token's. When none is seen, sysfs tells "plugged in but
/// not driven" (a driver problem, E3) from "not plugged in". Other cards are listed and ignored.
struct TokenPresentCheck: Check {
    static let description = CheckDescription(
        id: "token.present",
        title: Localized(zh: "硬证书已插入", en: "Token is inserted"),
        summary: Localized(
            zh: "有读卡器中的卡片 ATR 与 ePass3003 相符；未发现时，区分“已插入但无驱动”和“未插入”。",
            en: "A reader holds a card whose ATR is an ePass3003's; when none is seen, tells 'plugged in but no driver' from 'not plugged in'."),
        requirements: ["R11", "E3"],
        category: "token",
        severity: .required,
        dependencies: ["pcsc.service"],
        facets: [.token],
        examples: [
            TokenScenario.example("one-token", expect: .pass),
            TokenScenario.example("token-and-other-card", expect: .pass, "the other card is listed and ignored"),
            TokenScenario.example("no-token", expect: .fail),
            TokenScenario.example("plugged-no-driver", expect: .fail, "Feitian device in sysfs, no reader shows it"),
        ])

    var description: CheckDescription { Self.description }

    func evaluate(_ context: CheckContext) throws -> Finding {
        let inventory = try TokenFacts.tokens(context)
        let database = try TokenFacts.database(context)
        var evidence = inventory.tokens.map { Evidence("token", "\($0.readerName): \($0.model.name), ATR \($0.atr.hex)") }
        evidence += inventory.otherCards.map { Evidence("otherCard", "\($0.name): ATR \($0.atr?.hex ?? "-") (ignored)") }
        evidence += inventory.emptyReaders.map { Evidence("emptyReader", $0) }
        if !inventory.tokens.isEmpty {
            return .pass(
                Localized(zh: "发现令牌：\(Self.readers(inventory))", en: "token found in \(Self.readers(inventory))"), evidence: evidence)
        }
        let usb = TokenFacts.usb(context)
        let plugged = database.models.flatMap { model in usb.devices(vendor: model.usbVendorID) }
        evidence += plugged.map { Evidence("usbDevice", "\($0.busPath) \($0.id)" + ($0.product.map { " \($0)" } ?? "")) }
        if plugged.isEmpty {
            evidence.append(Evidence("usbDevice", "no device of the token's vendor is plugged in"))
            return .fail(
                Localized(zh: "未插入硬证书（USB 上没有该厂商的设备）", en: "no token is plugged in (no USB device of its vendor)"),
                evidence: evidence,
                remedy: Localized(zh: "插入 ePass3003 令牌（一次只插一个，R11）。", en: "Insert the ePass3003 token (one at a time, R11)."))
        }
        return .fail(
            Localized(
                zh: "令牌已插入 USB（\(plugged.map(\.id.description).joined(separator: ", "))），但没有读卡器识别它：驱动缺失或厂商不符（E3）",
                en: "the token is plugged in (\(plugged.map(\.id.description).joined(separator: ", "))) but no reader shows it: its driver is missing or of the wrong vendor (E3)"),
            evidence: evidence,
            remedy: Localized(
                zh: "安装飞天 ePass3003 驱动（见 driver.token），然后重新插入令牌。",
                en: "Install the Feitian ePass3003 driver (see driver.token), then insert the token again."))
    }

    static func readers(_ inventory: TokenInventory) -> String {
        inventory.tokens.map(\.readerName).joined(separator: ", ")
    }
}
