import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation

/// The examples of the Windows-side checks. `target` says how the fixture is given: `prefix` imports the
/// `.reg` files with `wine reg import` into a fresh Wine prefix, `registry` passes the files as `--registry`.
/// A fixture that is a directory stands for every file in it. Each check's own examples are in its file.
public enum WindowsExamples {
    public static func prefix(_ fixture: String, _ outcome: Outcome, _ note: String = "", token: Bool = false, atr: String? = nil, line: Int = #line) -> CheckExample {
        var options = ["target": "prefix"]
        if token { options["token"] = "yes" }
        if let atr { options["atr"] = atr }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

    public static func registry(
        _ fixture: String, _ outcome: Outcome, hive: String? = nil, gateway: String? = nil, _ note: String = "", line: Int = #line
    ) -> CheckExample {
        var options = ["target": "registry"]
        if let hive { options["hive"] = hive }
        if let gateway { options["gateway"] = gateway }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

    /// `target: linux`: the fixture directory stands for `/` (its `etc/…/policies` and `usr/bin`).
    public static func linux(_ fixture: String, browser: String?, _ outcome: Outcome, _ note: String = "", line: Int = #line) -> CheckExample {
        var options = ["target": "linux"]
        if let browser { options["browser"] = browser }
        return CheckExample("windows/" + fixture, options: options, expect: outcome, note, line: line)
    }

    /// A made-up ATR for the tests (no public ePass3003 ATR was found); the Mingwah fixture's mask matches it.
    public static let testATR = "3B9F958131FE9F006646530510001171"
}

/// Token examples name scenarios (`token/one-token`) that the token tests bring up for real: pcscd with
/// virtual cards, driver bundles, SoftHSM2 tokens. They are not files under `Tests/Fixtures/`.
enum TokenScenario {
    static func path(_ name: String) -> String {
        "token/\(name)"
    }
}
