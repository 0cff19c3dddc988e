import COpenSSL

/// The OpenSSL the process runs with, for reports ("OpenSSL 3.0.19 27 Jan 2026").
public enum OpenSSLVersion {
    public static var text: String {
        OpenSSL_version(Int32(OPENSSL_VERSION)).map { String(cString: $0) } ?? "unknown"
    }
}
