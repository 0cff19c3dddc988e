import CertDoctorCore
import Foundation
import SmartCard
import Testing
import TestSupport
@testable import SSCCChecks
@testable import Doctor
@testable import Renewal
@testable import SSCCProfile
@testable import CertificateTarget
@testable import WindowsTarget
@testable import TokenTarget

@Suite struct TokenProfileTests {
    /// The SSCC profile names its token database; the checks load it from beside the profile.
    @Test func theProfileNamesALoadableTokenDatabase() throws {
        let (profile, location) = try ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: TestEnvironment.repositoryRoot))
        let name = try #require(profile.tokenDatabase)
        let database = try TokenDatabase.load(contentsOf: location.deletingLastPathComponent().appendingPathComponent(name))
        #expect(database.models.map(\.id) == ["feitian.epass3003"])
    }

    /// The manual's known errors point at token checks by id; each such id must be a check that exists.
    @Test func theProfilesErrorTableNamesExistingTokenChecks() throws {
        let (profile, _) = try ProfileLoader.load("sscc", dataDirectory: DataDirectory(root: TestEnvironment.repositoryRoot))
        let ids = Set(AllChecks.token.map(\.description.id))
        let named = Set(profile.knownErrors.flatMap(\.checks)).filter { $0.hasPrefix("token.") || $0.hasPrefix("pcsc.") || $0 == "driver.token" }
        #expect(!named.isEmpty)
        #expect(named.subtracting(ids).isEmpty, "\(named.subtracting(ids))")
    }
}
