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

/// A number read from a customer's file is range-checked: a site list version at Int.max used to trap when
/// the corrected list raised it by one.
@Suite struct SiteListVersionTests {
    func siteList(version: String) -> ExportedFile {
        let text = "<site-list version=\"\(version)\"><site url=\"example.com\"><open-in>IE11</open-in></site></site-list>"
        return ExportedFile(name: "sites.xml", displayPath: "/tickets/1234/sites.xml", bytes: Array(text.utf8))
    }

    @Test(arguments: ["9223372036854775807", "-1", "12abc", "99999999999999999999999"])
    func aVersionOutOfRangeIsMalformedInputNamingTheFile(version: String) throws {
        let file = siteList(version: version)
        do {
            _ = try IEModeCheck.correctedSiteList(existing: file, host: "biz.sscc.com", typos: [])
            Issue.record("version \(version) was accepted")
        } catch let error as ManifestError {
            #expect(error.localizedMessage.en.contains(file.displayPath))
            #expect(error.localizedMessage.en.contains("'\(version)'"))
            #expect(error.ending == .dataError)
        }
    }

    @Test func anOrdinaryVersionIsRaisedByOne() throws {
        let bytes = try IEModeCheck.correctedSiteList(existing: siteList(version: "41"), host: "biz.sscc.com", typos: [])
        #expect(String(decoding: bytes, as: UTF8.self).contains("version=\"42\""))
    }
}
