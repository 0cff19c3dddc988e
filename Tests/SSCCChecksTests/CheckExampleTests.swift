import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Doctor
import Renewal
import SSCCProfile
import CertificateTarget
import WindowsTarget
import TokenTarget
import Testing

/// What every built-in check says about itself; `ExampleTests` runs their examples.
@Suite struct CheckExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repository.appendingPathComponent("Tests/Fixtures")

    static func doctor() throws -> Doctor {
        try Doctor(profile: "sscc", dataDirectory: DataDirectory(root: repository), pluginDirectories: [])
    }

    @Test func everyCheckIsBilingualAndTracedToRequirements() {
        for check in (AllChecks.certificate + AllChecks.token + AllChecks.host) {
            let description = check.description
            #expect(!description.title.zh.isEmpty && !description.title.en.isEmpty && description.title.zh != description.title.en)
            #expect(!description.summary.zh.isEmpty && !description.summary.en.isEmpty)
            #expect(!description.requirements.isEmpty, "\(description.id) covers no requirement")
            for requirement in description.requirements {
                #expect(requirement.wholeMatch(of: /[RE][0-9]+/) != nil, "\(description.id): \(requirement)")
            }
        }
    }
}
