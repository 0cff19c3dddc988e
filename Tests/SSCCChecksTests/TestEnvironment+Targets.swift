import CertDoctorCore
import CertificateTarget
import Foundation
import SSCCProfile
import TokenTarget
import WindowsTarget

extension Environment {
    /// A run's environment with the targets a test names, set as the doctor sets them.
    static func targets(
        pfxFile: URL? = nil, pfxPassword: Secret? = nil, gateway: String? = nil, winePrefix: URL? = nil,
        registryFiles: [URL] = [], registryHive: String? = nil, tokenRequested: Bool = false, browsers: [String] = [],
        now: Date = Date(), language: Language = .en
    ) -> Environment {
        var environment = Environment(now: now, language: language)
        environment.pfxFile = pfxFile
        environment.pfxPassword = pfxPassword
        environment.gateway = gateway
        environment.winePrefix = winePrefix
        environment.registryFiles = registryFiles
        environment.registryHive = registryHive
        environment.tokenRequested = tokenRequested
        environment.browsers = browsers
        return environment
    }
}
