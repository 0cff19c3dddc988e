import Foundation

/// What a `.pfx`/`.p12` file holds once opened.
public struct PKCS12Contents: Sendable {
    /// The end-entity certificate: the one carrying the key's public key; failing that, the one whose
    /// localKeyID equals the key bag's, else the first non-CA certificate, else the first.
    public let certificate: X509Certificate?
    /// Every other certificate in the file, in file order.
    public let chain: [X509Certificate]
    public let privateKey: PrivateKey?
    /// True only when there is both a key and a certificate, and the certificate carries the key.
    public let keyMatchesCertificate: Bool
    /// The friendlyName attribute of the key bag (else of the certificate's bag), as UTF-8.
    public let friendlyName: String?
    public let protection: PKCS12Protection
}

/// How a PKCS#12 file is protected: what decides whether Windows 7 can import it.
public struct PKCS12Protection: Sendable, Hashable {
    /// Encryption of the safe holding the certificates, e.g. "pbeWithSHA1And40BitRC2-CBC",
    /// "pbeWithSHA1And3-KeyTripleDES-CBC", "PBES2/PBKDF2/AES-256-CBC"; "none" if stored in clear;
    /// nil if there are no certificates.
    public let certificateBagAlgorithm: String?
    /// Encryption of the shrouded key bag, same vocabulary; nil if there is no key.
    public let keyBagAlgorithm: String?
    /// The MAC digest, "sha1" or "sha256"; nil if the file has no MAC.
    public let macAlgorithm: String?
    public let macIterations: Int?
    /// True when opening needed an algorithm that only OpenSSL's legacy provider offers (RC2, RC4, DES).
    public let usesLegacyProvider: Bool

    public init(certificateBagAlgorithm: String?, keyBagAlgorithm: String?, macAlgorithm: String?,
                macIterations: Int?, usesLegacyProvider: Bool) {
        self.certificateBagAlgorithm = certificateBagAlgorithm
        self.keyBagAlgorithm = keyBagAlgorithm
        self.macAlgorithm = macAlgorithm
        self.macIterations = macIterations
        self.usesLegacyProvider = usesLegacyProvider
    }

    public static let tripleDES = "pbeWithSHA1And3-KeyTripleDES-CBC"
    public static let rc2With40BitKey = "pbeWithSHA1And40BitRC2-CBC"
    public static let rc2With128BitKey = "pbeWithSHA1And128BitRC2-CBC"
    public static let unencrypted = "none"

    /// Windows 7 (and Server 2008 R2) cannot read PBES2/AES bags or a SHA-256 MAC; it needs the PKCS#12
    /// v1 PBEs (3DES or RC2) and a SHA-1 MAC. Certificates stored in clear are fine; a key in clear is not.
    public var windows7Compatible: Bool {
        let legacyPBEs = [Self.tripleDES, Self.rc2With40BitKey, Self.rc2With128BitKey]
        let certificatesOK = certificateBagAlgorithm.map { legacyPBEs.contains($0) || $0 == Self.unencrypted } ?? true
        let keyOK = keyBagAlgorithm.map { legacyPBEs.contains($0) } ?? true
        return certificatesOK && keyOK && macAlgorithm == "sha1"
    }
}

/// How to protect a PKCS#12 file being written.
public enum PKCS12Profile: Sendable, Hashable {
    /// PBE-SHA1-3DES for both bags and a SHA-1 MAC, 2048 iterations: what Windows 7 imports.
    case windows7
    /// OpenSSL 3's default: PBES2/PBKDF2(hmacWithSHA256)/AES-256-CBC bags and a SHA-256 MAC.
    case modern
}

public enum PKCS12Error: Error, Equatable, Sendable, LocalizedError {
    /// The MAC does not verify under the password (a file changed inside its encrypted data looks the same).
    case wrongPassword
    /// Not a readable PKCS#12 file: empty, truncated, random bytes, PEM text, trailing data, …
    case corrupt(detail: String)
    /// Uses an algorithm that even OpenSSL's legacy provider cannot handle.
    case unsupportedAlgorithm(detail: String)
    /// `create` was given a key that does not belong to the certificate.
    case keyDoesNotMatchCertificate
    case creationFailed(detail: String)

    public var errorDescription: String? {
        switch self {
        case .wrongPassword: "wrong password for the PKCS#12 file (MAC verify failure)"
        case .corrupt(let detail): "corrupt PKCS#12 file: \(detail)"
        case .unsupportedAlgorithm(let detail): "unsupported algorithm in the PKCS#12 file: \(detail)"
        case .keyDoesNotMatchCertificate: "the private key does not belong to the certificate"
        case .creationFailed(let detail): "cannot create the PKCS#12 file: \(detail)"
        }
    }

    /// The same in Chinese (PKI does not depend on the core's `Localized`; its users pair the two).
    public var chineseDescription: String {
        switch self {
        case .wrongPassword: "PKCS#12 文件密码错误（MAC 校验失败）"
        case .corrupt(let detail): "PKCS#12 文件损坏：\(detail)"
        case .unsupportedAlgorithm(let detail): "PKCS#12 文件使用了不支持的算法：\(detail)"
        case .keyDoesNotMatchCertificate: "私钥与证书不匹配"
        case .creationFailed(let detail): "无法生成 PKCS#12 文件：\(detail)"
        }
    }
}
