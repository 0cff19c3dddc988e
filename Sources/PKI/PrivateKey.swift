import COpenSSL
import COpenSSLShims
import Foundation

/// A private key as a value. It owns the key as unencrypted PKCS#8 DER (never exposed, never printed) and
/// opens a short-lived OpenSSL handle for each operation, so it is `Sendable` without any unchecked claim.
public struct PrivateKey: SigningKey {
    public enum Kind: Sendable, Hashable {
        case rsa(bits: Int)
        case ecP256
    }

    /// The unencrypted PKCS#8 PrivateKeyInfo. Internal: only this module encrypts or uses it.
    let pkcs8DER: [UInt8]
    /// "RSA" or "EC" (OpenSSL's key type name, e.g. "ED25519" for others).
    public let algorithm: String
    /// Key size: the RSA modulus or the EC field size in bits.
    public let bits: Int
    /// The SubjectPublicKeyInfo (DER); compare with ``X509Certificate/publicKeyDER``.
    public let publicKeyDER: [UInt8]

    /// Copies the key out of an `EVP_PKEY*` without taking ownership of it.
    init(borrowing key: OpaquePointer) throws(PrivateKeyError) {
        guard let info = EVP_PKEY2PKCS8(key) else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "not a private key"))
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        try self.init(borrowing: key, decodedFrom: info)
    }

    /// Copies the key out of an `EVP_PKEY*` that OpenSSL decoded from `info`, keeping `info` as the key's
    /// PKCS#8: encoding the key again would set up OpenSSL 3.0's encoders for nothing (opening a PFX).
    init(borrowing key: OpaquePointer, decodedFrom info: OpaquePointer) throws(PrivateKeyError) {
        guard let pkcs8DER = OpenSSLBytes.der({ i2d_PKCS8_PRIV_KEY_INFO(info, $0) }),
              let publicKeyDER = OpenSSLBytes.der({ i2d_PUBKEY(key, $0) })
        else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "cannot encode the key"))
        }
        self.pkcs8DER = pkcs8DER
        self.publicKeyDER = publicKeyDER
        self.algorithm = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
        self.bits = Int(EVP_PKEY_get_bits(key))
    }

    /// Generates a fresh key pair (for renewal, a new key each time).
    public static func generate(_ kind: Kind) throws(PrivateKeyError) -> PrivateKey {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        let name = switch kind {
        case .rsa: "RSA"
        case .ecP256: "EC"
        }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, name, nil) else {
            throw .generationFailed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "no \(name) support"))
        }
        defer { EVP_PKEY_CTX_free(context) }
        var configured = EVP_PKEY_keygen_init(context) == 1
        switch kind {
        case .rsa(let bits): configured = configured && EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(clamping: bits)) == 1
        case .ecP256: configured = configured && EVP_PKEY_CTX_set_group_name(context, "P-256") == 1
        }
        var key: OpaquePointer?
        guard configured, EVP_PKEY_generate(context, &key) == 1, let key else {
            throw .generationFailed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "key generation failed"))
        }
        defer { EVP_PKEY_free(key) }
        return try PrivateKey(borrowing: key)
    }

    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`) or the traditional
    /// `RSA PRIVATE KEY` / `EC PRIVATE KEY`, encrypted or not. An encrypted key without `password` gives
    /// ``PrivateKeyError/passwordRequired``; a wrong one gives ``PrivateKeyError/wrongPassword``.
    /// OpenSSL never prompts on the terminal.
    public init(pem: String, password: String? = nil) throws(PrivateKeyError) {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        let passphrase = Passphrase(password)
        let key = OpenSSLBytes.withReadBIO(Array(pem.utf8)) { bio in
            PEM_read_bio_PrivateKey(bio, nil, Passphrase.callback, Unmanaged.passUnretained(passphrase).toOpaque())
        } ?? nil
        let errors = OpenSSLError.drain()
        guard let key else {
            if passphrase.wasAsked { throw password == nil ? .passwordRequired : .wrongPassword }
            throw .malformed(detail: OpenSSLError.summary(errors, fallback: "no private key in the PEM text"))
        }
        defer { EVP_PKEY_free(key) }
        try self.init(borrowing: key)
    }

    /// PEM `ENCRYPTED PRIVATE KEY`: PKCS#8 with PBES2/PBKDF2/AES-256-CBC under `password` (non-empty).
    public func pem(encryptedWith password: String) throws(PrivateKeyError) -> String {
        guard !password.isEmpty else { throw .passwordRequired }
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        let text = withEVPKey { key in
            OpenSSLBytes.bioString { bio in
                PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), password,
                                              Int32(password.utf8.count), nil, nil) == 1
            }
        }
        guard let text else {
            throw .encodingFailed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "PEM encoding failed"))
        }
        return text
    }

    /// A short-lived `EVP_PKEY*`. `pkcs8DER` came from OpenSSL, so it always parses.
    public func withEVPKey<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        guard let (info, _) = OpenSSLBytes.decode(pkcs8DER, { d2i_PKCS8_PRIV_KEY_INFO(nil, $0, $1) }) else {
            preconditionFailure("PrivateKey.pkcs8DER no longer parses")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let key = EVP_PKCS82PKEY(info) else { preconditionFailure("PrivateKey.pkcs8DER holds no key") }
        defer { EVP_PKEY_free(key) }
        return try body(key)
    }
}

/// Printing, dumping or mirroring a key never shows the secret.
extension PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "PrivateKey(\(algorithm) \(bits) bits)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["algorithm": algorithm, "bits": bits], displayStyle: .struct)
    }
}

/// Hands a password to OpenSSL through `pem_password_cb` and records whether OpenSSL asked for one
/// (i.e. the key was encrypted). Without a password the callback refuses, so OpenSSL never prompts.
final class Passphrase {
    private let bytes: [UInt8]?
    private(set) var wasAsked = false

    init(_ password: String?) { bytes = password.map { Array($0.utf8) } }

    static let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
        buffer, size, _, context in
        guard let buffer, let context else { return -1 }
        let passphrase = Unmanaged<Passphrase>.fromOpaque(context).takeUnretainedValue()
        passphrase.wasAsked = true
        guard let bytes = passphrase.bytes, bytes.count <= Int(size) else { return -1 }
        bytes.withUnsafeBufferPointer { source in
            buffer.withMemoryRebound(to: UInt8.self, capacity: bytes.count) { target in
                if let base = source.baseAddress { target.update(from: base, count: bytes.count) }
            }
        }
        return Int32(bytes.count)
    }
}

public enum PrivateKeyError: Error, Equatable, Sendable, LocalizedError {
    case passwordRequired
    case wrongPassword
    case malformed(detail: String)
    case generationFailed(detail: String)
    case encodingFailed(detail: String)

    public var errorDescription: String? {
        switch self {
        case .passwordRequired: "the private key is encrypted and needs a password"
        case .wrongPassword: "wrong password for the private key"
        case .malformed(let detail): "malformed private key: \(detail)"
        case .generationFailed(let detail): "key generation failed: \(detail)"
        case .encodingFailed(let detail): "cannot encode the private key: \(detail)"
        }
    }
}
