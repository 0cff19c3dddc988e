import CertDoctorCore
import Foundation
import SSCCChecks
import Testing

/// A full disk cannot be a fixture: the verdict for a measured amount is tested directly, at the boundary the
/// shell plugin it replaces used (`df -Pk` available ≥ 10240 KiB passes).
@Suite struct FreeSpaceCheckTests {
    @Test func tenMebibytesPassAndOneKibibyteLessFails() {
        let enough = FreeSpaceCheck.finding(directory: "/srv/certs", availableKiB: 10_240)
        #expect(enough.outcome == .pass)
        #expect(enough.message.en == "10240 KiB free")
        let short = FreeSpaceCheck.finding(directory: "/srv/certs", availableKiB: 10_239)
        #expect(short.outcome == .fail)
        #expect(short.message.zh == "可用空间仅 10239 KiB")
        #expect(short.remedy?.en == "Free at least 10 MiB on that disk.")
        #expect(short.evidence.contains { $0.name == "directory" && $0.value == "/srv/certs" })
    }

    @Test func itIsAdvisoryAndNeverBlocksRenewal() {
        #expect(FreeSpaceCheck.description.severity == .advisory)
        #expect(FreeSpaceCheck.description.id == "host.free-space")
    }
}
