import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation

/// How a check's example fixture is given to the check: every kind the test that runs all examples sets up for
/// real (`ExampleTests`). A new kind is a new case here and a new branch there, which the compiler asks for.
public enum SSCCExampleTarget: ExampleTarget, Equatable {
    /// The fixture is a PFX file, given as `--pfx` with its password and, where the example needs it,
    /// `--gateway`.
    case pfx(password: String?, gateway: String? = nil)
    /// The fixture's `.reg` files are imported with `wine reg import` into a fresh Wine prefix (a directory stands
    /// for every file in it); `token` and `atr` stand for `--token` and the token the host sees.
    case winePrefix(token: Bool = false, atr: String? = nil)
    /// The fixture's files are given as `--registry`, as exported from a customer's Windows machine, with the
    /// hive when their names do not say it.
    case exported(hive: String? = nil, gateway: String? = nil)
    /// The fixture directory stands for `/` (its `etc/…/policies` and `usr/bin`), with `--browser`.
    case linux(browser: String?)
    /// The fixture names a scenario the token tests bring up (pcscd with virtual cards, driver bundles,
    /// SoftHSM2 tokens), with `--gateway` and the user PIN as `--token-pin-file` gives it.
    case tokenScenario(gateway: String? = nil, pin: String? = nil)

    public var description: String {
        switch self {
        case .pfx(let password, let gateway): "pfx" + Self.list(["password": password, "gateway": gateway])
        case .winePrefix(let token, let atr): "wine prefix" + Self.list(["token": token ? "yes" : nil, "atr": atr])
        case .exported(let hive, let gateway): "exported registry" + Self.list(["hive": hive, "gateway": gateway])
        case .linux(let browser): "linux" + Self.list(["browser": browser])
        case .tokenScenario(let gateway, let pin): "token scenario" + Self.list(["gateway": gateway, "pin": pin.map { _ in "given" }])
        }
    }

    private static func list(_ options: [String: String?]) -> String {
        let given = options.compactMap { name, value in value.map { "\(name)=\($0)" } }.sorted()
        return given.isEmpty ? "" : " (" + given.joined(separator: ", ") + ")"
    }
}

/// The examples of the Windows-side checks, whose fixtures live under `Tests/Fixtures/windows/`. Each check's own
/// examples are in its file.
enum WindowsExamples {
    static func prefix(_ fixture: String, _ outcome: Outcome, _ note: String = "", token: Bool = false, atr: String? = nil, line: Int = #line) -> CheckExample {
        CheckExample("windows/" + fixture, SSCCExampleTarget.winePrefix(token: token, atr: atr), expect: outcome, note, line: line)
    }

    static func registry(
        _ fixture: String, _ outcome: Outcome, hive: String? = nil, gateway: String? = nil, _ note: String = "", line: Int = #line
    ) -> CheckExample {
        CheckExample("windows/" + fixture, SSCCExampleTarget.exported(hive: hive, gateway: gateway), expect: outcome, note, line: line)
    }

    static func linux(_ fixture: String, browser: String?, _ outcome: Outcome, _ note: String = "", line: Int = #line) -> CheckExample {
        CheckExample("windows/" + fixture, SSCCExampleTarget.linux(browser: browser), expect: outcome, note, line: line)
    }

    /// A made-up ATR for the tests (no ePass3003 ATR was found); the Mingwah fixture's mask matches it.
    static let testATR = "3B9F958131FE9F006646530510001171"
}

/// Token examples name scenarios (`token/one-token`) that the token tests bring up for real: pcscd with
/// virtual cards, driver bundles, SoftHSM2 tokens. They are not files under `Tests/Fixtures/`.
enum TokenScenario {
    static func example(
        _ name: String, gateway: String? = nil, pin: String? = nil, expect outcome: Outcome, _ note: String = "", line: Int = #line
    ) -> CheckExample {
        CheckExample("token/\(name)", SSCCExampleTarget.tokenScenario(gateway: gateway, pin: pin), expect: outcome, note, line: line)
    }
}
