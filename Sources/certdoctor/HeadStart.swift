import Foundation
import PKI
import SSCCProfile

/// Set-up that a command reading the profile and opening certificates needs whatever its arguments say, begun on
/// other cores before they are parsed. Parsing them reflects on every option (a tenth of a `check --pfx`) and
/// needs one core; meanwhile ICU builds its regular-expression sets, which the profile's patterns wait for,
/// OpenSSL reads its configuration, loads its providers and fills its cipher table, which the first PFX opened
/// waits for, and the default profile is read, decoded and validated. Each is done once per process, so the
/// command finds it done or waits for the rest of it; a `--profile` naming another file reads that one itself.
enum HeadStart {
    /// The commands that read the profile and may open a PFX; the others start nothing.
    private static let commands: Set<String> = ["check", "fix", "renew", "enroll"]
    /// Words that make the command print and end without reading a profile.
    private static let printingOnly: Set<String> = ["-h", "--help", "--version", "--generate-completion-script"]

    static func begin(for arguments: [String]) {
        guard let word = arguments.first, commands.contains(word),
              !arguments.contains(where: { printingOnly.contains($0) }),
              ProcessInfo.processInfo.activeProcessorCount > 1
        else { return }
        PatternCache.prepareEngine()
        Thread { OpenSSLProcess.prepareCiphers() }.start()
        if let data = try? DataDirectory.locate() {
            ProfileLoader.prefetch(ProfileOption.defaultName, dataDirectory: data)
        }
    }
}
