/// The environment variables that may carry a secret into certdoctor. Nothing certdoctor starts (plugins,
/// pcscd, a package manager) inherits them.
public enum SecretVariables {
    public static let pfxPassword = "CERTDOCTOR_PFX_PASSWORD"
    public static let tokenPIN = "CERTDOCTOR_TOKEN_PIN"
    public static let newKeyPassword = "CERTDOCTOR_NEW_KEY_PASSWORD"
    public static let authorizationCode = "CERTDOCTOR_AUTH_CODE"
    public static let referenceCode = "CERTDOCTOR_REFERENCE_CODE"

    public static let all: Set<String> = [pfxPassword, tokenPIN, newKeyPassword, authorizationCode, referenceCode]

    /// Whether a variable looks secret by its name, so that one added later is withheld before anyone
    /// remembers to list it.
    public static func isSecret(_ name: String) -> Bool {
        all.contains(name) || (name.hasPrefix("CERTDOCTOR_")
            && ["PASSWORD", "PIN", "CODE", "SECRET", "PASSPHRASE"].contains { name.hasSuffix($0) })
    }

    public static func removed(from environment: [String: String]) -> [String: String] {
        environment.filter { !isSecret($0.key) }
    }
}
