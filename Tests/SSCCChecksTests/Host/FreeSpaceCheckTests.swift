import CertDoctorCore
import Foundation
@testable import SSCCChecks
import Testing

/// A full disk cannot be a fixture: the verdict for a measured amount is tested directly, at the boundary the
/// shell plugin it replaces used (`df -Pk` available ≥ 10240 KiB passes).
@Suite struct FreeSpaceCheckTests {
    @Test func tenMebibytesPassAndOneKibibyteLessFails() {
        let enough = FreeSpaceCheck.finding(directory: "/srv/certs", availableKiB: 10_240)
        #expect(enough.outcome == .pass)
        #expect(enough.message.en == "10.0 MiB free")
        let short = FreeSpaceCheck.finding(directory: "/srv/certs", availableKiB: 10_239)
        #expect(short.outcome == .fail)
        #expect(short.message.zh == "可用空间仅 9.9 MiB", "rounded down: just under the bar never reads as 10.0")
        #expect(short.remedy?.en == "Free at least 10 MiB on that disk.")
        #expect(short.evidence.contains { $0.name == "directory" && $0.value == "/srv/certs" })
    }

    /// Amounts as a person reads them, not "76726672 KiB".
    @Test func amountsReadInMebibytesAndGibibytes() {
        #expect(FreeSpaceCheck.finding(directory: "/", availableKiB: 76_726_672).message.en == "73.1 GiB free")
        #expect(FreeSpaceCheck.finding(directory: "/", availableKiB: 524_288).message.zh == "可用空间 512.0 MiB")
        #expect(FreeSpaceCheck.finding(directory: "/", availableKiB: 76_726_672).evidence.contains { $0.value == "76726672" })
    }

    @Test func itIsAdvisoryAndNeverBlocksRenewal() {
        #expect(FreeSpaceCheck.description.severity == .advisory)
        #expect(FreeSpaceCheck.description.id == "host.free-space")
    }
}
