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

/// A setting that exists but does not count is named, with why: the person who set it must learn where it
/// went, not only that the portal is in the wrong zone.
struct IgnoredSettingMessageTests {
    static func result(_ checkID: String, _ fixture: String) throws -> CheckResult {
        let file = WindowsCheckExampleTests.fixtures.appendingPathComponent("windows/" + fixture)
        return try WindowsCheckExampleTests.run(checkID, environment: Environment.targets(registryFiles: [file], language: .en))
    }

    @Test func anEntryOnlyInThe64BitViewIsNamed() throws {
        let result = try Self.result("browser.trusted-site", "trusted/machine-64-bit-only.reg")
        #expect(result.outcome == .fail)
        #expect(result.message.en.contains("found only in the 64-bit registry view, which 32-bit Internet Explorer does not read"), "\(result.message.en)")
        #expect(result.message.zh.contains("64 位注册表视图"))
        #expect(result.evidence.contains { $0.name == "ignored" && $0.value.contains(#"ZoneMap\Domains\sscc.com\biz"#) }, "\(result.evidence)")
    }

    @Test func aUserEntryTheSiteToZoneListHidesIsNamed() throws {
        let result = try Self.result("browser.trusted-site", "trusted/site-to-zone-list-hides-user.reg")
        #expect(result.outcome == .fail)
        #expect(result.message.en.contains("Site to Zone Assignment List"), "\(result.message.en)")
        #expect(result.evidence.contains { $0.name == "ignored" && $0.value.hasPrefix("HKCU") }, "\(result.evidence)")
    }

    @Test func aControlRegisteredOnlyFor64BitProgramsIsNamed() throws {
        let result = try Self.result("activex.certenroll", "activex/certenroll-64-bit-only.reg")
        #expect(result.outcome == .fail)
        #expect(result.message.en.contains("64-bit registry view"), "\(result.message.en)")
    }

    @Test func theCodeStoreIsNamedAsTheWeakerSource() throws {
        let result = try Self.result("activex.jitvctk", "activex/jitvctk-2-0-24-43.reg")
        #expect(result.outcome == .pass)
        #expect(result.evidence.contains { $0.name == "version" && $0.value.contains("weaker") }, "\(result.evidence)")
    }
}
