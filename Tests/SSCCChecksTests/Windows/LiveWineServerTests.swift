import CertDoctorCore
import Foundation
@testable import SSCCChecks
@testable import Doctor
@testable import Renewal
@testable import SSCCProfile
@testable import CertificateTarget
@testable import WindowsTarget
@testable import TokenTarget
import Testing
import TestSupport

/// While a wineserver runs, a prefix's hive files may not hold what Wine programs see: after `wine reg add`
/// the change is in the server's memory until it saves or exits. No verdict is given from such files. (The
/// test starts the server alone: a Wine program run beside a persistent server leaves services holding its
/// output pipes.)
@Suite(.serialized) struct LiveWineServerTests {
    @Test func aRunningServerGivesErrorNamingWhatToRunNotAVerdict() throws {
        guard WineTestPrefix.wineIsInstalled else {
            Issue.record("wine is not installed (apt-get install wine wine64 wine32:i386)")
            return
        }
        try WineTestPrefix.windows.withPrefix { prefix in
            try WineTestPrefix.windows.importFiles([WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/trusted/https.reg")])
            // A server that runs, as it does while any Wine program is open: what it holds may differ from the files.
            let server = try WineTestPrefix.windows.startServer()
            defer { WineTestPrefix.windows.stopServer(); server.waitUntilExit() }
            // The server takes the prefix's lock a moment after it starts; on a busy machine the check could
            // otherwise run first and read the files of a prefix no server holds yet.
            let deadline = Date().addingTimeInterval(20)
            while WineServerGuard.runningServerPID(prefix: prefix) == nil && Date() < deadline { usleep(50_000) }
            try #require(WineServerGuard.runningServerPID(prefix: prefix) != nil, "the wineserver took the prefix's lock")
            let environment = Environment.targets(winePrefix: prefix, language: .en)
            let result = try WindowsCheckExampleTests.run("browser.trusted-site", environment: environment)
            #expect(result.outcome == .error, "\(result.message.en)")
            #expect(result.message.en.contains("wineserver -w"))
            #expect(result.message.en.contains("wineserver -k"))
            #expect(result.message.zh.contains("wineserver -w"))

            // Once the server has saved and exited, the same prefix gives its verdict.
            WineTestPrefix.windows.stopServer()
            server.waitUntilExit()
            let after = try WindowsCheckExampleTests.run("browser.trusted-site", environment: environment)
            #expect(after.outcome == .pass, "\(after.message.en)")
        }
    }
}
