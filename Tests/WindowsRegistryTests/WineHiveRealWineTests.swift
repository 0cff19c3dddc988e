import Foundation
import Testing
@testable import WindowsRegistry

/// Runs against a real Wine 8 prefix; serialized because all tests share the one prefix.
@Suite(.serialized, .enabled(if: WineTestPrefix.wineIsInstalled, "needs wine and wine64 (apt-get install wine wine64)"))
struct WineHiveRealWineTests {
    @Test func everyHiveWineWroteRoundTripsByteIdentically() throws {
        _ = try WineTestPrefix.prepare()
        // A cold reg add/query session makes Wine rewrite all hives, so the bytes are fresh from Wine.
        try WineTestPrefix.wine(["reg", "add", "HKCU\\Software\\CertDoctorTest", "/v", "touch", "/d", "深证通", "/f"])
        for name in WineTestPrefix.hiveNames {
            let original = try WineTestPrefix.hive(name)
            let hive = try WineHiveCodec.decode(original, fileName: name)
            let written = WineHiveCodec.encode(hive)
            if written != original {
                let firstDifference = zip(written, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(written.count, original.count)
                Issue.record("\(name) differs at byte \(firstDifference): \(String(decoding: written[max(0, firstDifference - 80)..<min(written.count, firstDifference + 80)], as: UTF8.self))")
            }
            #expect(written.count == original.count)
            #expect(hive.root.treeCounts.values > 10)
        }
    }
}
