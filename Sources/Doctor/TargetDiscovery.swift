import Renewal
import SSCCChecks
import TokenTarget
import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import SmartCard
import WindowsRegistry

/// What `check` finds by itself when no target is named, as `flutter doctor` finds its SDKs: gateway
/// certificates in the working directory, the Wine prefix from `WINEPREFIX` or `~/.wine`, and tokens when a
/// PC/SC service answers. It reads no password: a certificate found here is opened only with a password
/// source the user gave (`--password-file`, the environment), never with a prompt they did not ask for.
public struct TargetDiscovery: Sendable {
    public var directory: URL
    public var processEnvironment: [String: String]
    /// How long to wait for pcscd; a host without one answers at once.
    public var pcscTimeout: Duration

    public init(directory: URL, processEnvironment: [String: String], pcscTimeout: Duration = .seconds(2)) {
        self.directory = directory
        self.processEnvironment = processEnvironment
        self.pcscTimeout = pcscTimeout
    }

    public struct Found: Sendable {
        public var pfx: URL?
        /// More than one certificate: none is chosen, the user names one with --pfx.
        public var pfxCandidates: [URL] = []
        public var winePrefix: URL?
        public var tokenPresent = false
    }

    public func discover(profile: SSCCProfile) -> Found {
        var found = Found()
        let candidates = certificates(profile: profile)
        if candidates.count == 1 { found.pfx = candidates[0] } else { found.pfxCandidates = candidates }
        // Wine's own rule, as the registry engine has it: WINEPREFIX, else ~/.wine, and only where hives exist.
        found.winePrefix = (try? WinePrefix.locate(environment: processEnvironment))?.directory
        found.tokenPresent = tokenAnswers()
        return found
    }

    /// Files in the directory named `<gateway>#0.pfx`, or `<gateway>.pfx` (whose name check will then say what
    /// is wrong), where `<gateway>` matches the profile's gateway pattern.
    func certificates(profile: SSCCProfile) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let fileExtension = "." + profile.fileCertificate.extension.lowercased()
        return names.sorted().filter { name in
            guard name.lowercased().hasSuffix(fileExtension) else { return false }
            var stem = String(name.dropLast(fileExtension.count))
            if stem.hasSuffix(profile.fileCertificate.requiredSuffix) {
                stem = String(stem.dropLast(profile.fileCertificate.requiredSuffix.count))
            }
            return profile.gatewayNumber.matches(stem)
        }.map { directory.appendingPathComponent($0) }
    }

    /// Whether a PC/SC service answers and a reader holds a card.
    func tokenAnswers() -> Bool {
        let timeout = pcscTimeout
        let inventory = try? TokenFacts.waitFor { () async throws -> ReaderInventory in
            try await ReaderInventory.read(timeout: timeout)
        }
        return inventory?.readers.contains(where: \.cardPresent) ?? false
    }
}
