internal import CPCSCLite

/// The pcsc-lite certdoctor was compiled against. libpcsclite has no call that returns its version at run
/// time (the client library talks to pcscd by a protocol number only), so this is the header's, and says so.
public enum PCSCLiteVersion {
    public static let compiledAgainst: String = PCSCLITE_VERSION_NUMBER
}
