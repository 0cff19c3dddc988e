import COpenSSL
import COpenSSLShims
import Foundation

/// An RSA private key that stays on a token: OpenSSL sees the public key, and each private operation (a PKCS#1
/// v1.5 signature over a DigestInfo) is handed to `sign`, which asks the token (`C_Sign` with CKM_RSA_PKCS).
/// Used wherever a ``PrivateKey`` signs: certificate requests, CMP proof of possession and protection.
public struct TokenKey: SigningKey {
    /// Signs a DER DigestInfo with PKCS#1 v1.5 padding; returns the signature (the modulus size).
    public typealias Signer = @Sendable (_ digestInfo: [UInt8]) throws -> [UInt8]

    public let algorithm = "RSA"
    public let bits: Int
    public let publicKeyDER: [UInt8]
    private let modulus: [UInt8]
    private let publicExponent: [UInt8]
    private let signer: SignerBox

    /// `modulus` and `publicExponent` big-endian, as PKCS#11 reads them (CKA_MODULUS, CKA_PUBLIC_EXPONENT).
    public init(modulus: [UInt8], publicExponent: [UInt8], sign: @escaping Signer) throws(PrivateKeyError) {
        self.modulus = modulus
        self.publicExponent = publicExponent
        signer = SignerBox(sign)
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        guard let key = Self.makeKey(modulus: modulus, publicExponent: publicExponent, signer: signer) else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "not an RSA public key"))
        }
        defer { EVP_PKEY_free(key) }
        guard let publicKeyDER = OpenSSLBytes.der({ i2d_PUBKEY(key, $0) }) else {
            throw .malformed(detail: OpenSSLError.summary(OpenSSLError.drain(), fallback: "cannot encode the public key"))
        }
        self.publicKeyDER = publicKeyDER
        bits = Int(EVP_PKEY_get_bits(key))
    }

    /// Why the last signature failed (the token's error), for a message more precise than OpenSSL's.
    public var lastSigningFailure: String? { signer.lastFailure }

    public func withEVPKey<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        guard let key = Self.makeKey(modulus: modulus, publicExponent: publicExponent, signer: signer) else {
            preconditionFailure("TokenKey's public key no longer makes a key")
        }
        defer {
            EVP_PKEY_free(key)
            // The legacy RSA path leaves harmless noise (rdrand, DSO) on the queue.
            ERR_clear_error()
        }
        return try body(key)
    }

    /// A fresh EVP_PKEY that holds its own reference to `signer`, released with the key: OpenSSL's CMP context
    /// may keep the key after `withEVPKey` returns.
    private static func makeKey(modulus: [UInt8], publicExponent: [UInt8], signer: SignerBox) -> OpaquePointer? {
        let context = Unmanaged.passRetained(signer).toOpaque()
        let key = cd_external_rsa_key(modulus, modulus.count, publicExponent, publicExponent.count,
                                      SignerBox.sign, SignerBox.release, context)
        if key == nil { Unmanaged<SignerBox>.fromOpaque(context).release() }
        return key
    }
}

extension TokenKey: CustomStringConvertible {
    public var description: String { "TokenKey(RSA \(bits) bits)" }
}

/// The Swift side of the C callbacks: the signer and the last failure it reported.
private final class SignerBox: @unchecked Sendable {
    private let signer: TokenKey.Signer
    private let lock = NSLock()
    private var failure: String?

    init(_ signer: @escaping TokenKey.Signer) { self.signer = signer }

    var lastFailure: String? { lock.withLock { failure } }

    static let sign: cd_external_rsa_sign = { context, from, fromLength, to, toLength in
        guard let context, let from, let to, fromLength >= 0 else { return -1 }
        let box = Unmanaged<SignerBox>.fromOpaque(context).takeUnretainedValue()
        let digestInfo = Array(UnsafeBufferPointer(start: from, count: Int(fromLength)))
        do {
            let signature = try box.signer(digestInfo)
            guard signature.count <= Int(toLength) else {
                box.lock.withLock { box.failure = "the signature is longer than the key" }
                return -1
            }
            signature.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { to.update(from: base, count: signature.count) }
            }
            return Int32(signature.count)
        } catch {
            box.lock.withLock { box.failure = error.localizedDescription }
            return -1
        }
    }

    static let release: cd_external_rsa_release = { context in
        guard let context else { return }
        Unmanaged<SignerBox>.fromOpaque(context).release()
    }
}
