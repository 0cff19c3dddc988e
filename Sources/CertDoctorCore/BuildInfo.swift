internal import CSystemShims

/// What the build itself knows about where it came from.
public enum BuildInfo {
    /// The git commit `scripts/package.sh` wrote into the packaged executable, or nil for a build that was not
    /// told — an ordinary `swift build` in a checkout, which then says "unknown" rather than guess.
    public static var commit: String? {
        guard let text = cd_build_commit() else { return nil }
        let commit = String(cString: text)
        return commit.isEmpty ? nil : commit
    }
}
