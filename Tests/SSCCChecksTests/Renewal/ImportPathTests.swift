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

/// `renew --import DIR`: a directory is missing input (66) with the system's plain reason.
@Suite struct ImportPathTests {
    @Test func aDirectoryToImportIsNoInputWithAPlainReason() throws {
        let directory = FileManager.default.temporaryDirectory
        do {
            _ = try readBytes(directory)
            Issue.record("a directory was read")
        } catch {
            guard case .cannotRead(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason == "Is a directory")
            let failure = RenewalError.issuedFileUnreadable(path: directory.path, reason: reason)
            #expect(failure.ending == .noInput)
            #expect(!failure.localizedMessage.en.contains("NSCocoaErrorDomain"))
        }
    }
}
