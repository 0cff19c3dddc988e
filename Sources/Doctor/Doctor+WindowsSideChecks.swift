import CertDoctorCore
import Foundation
import SSCCChecks
import SSCCProfile

extension Doctor {
    /// The Windows side's Swift checks and the manifest checks: everything the Windows side contributes to a run.
    public static func windowsSideChecks(
        profile: SSCCProfile, dataDirectory: DataDirectory, manifestDirectories: [URL] = []
    ) throws -> [any Check] {
        AllChecks.windowsSide(profile) + (try CheckManifests.load(dataDirectory: dataDirectory, extraDirectories: manifestDirectories))
    }
}
