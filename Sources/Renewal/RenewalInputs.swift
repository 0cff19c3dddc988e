import CertDoctorCore
import Foundation
import PKI

/// The files a renewal is given besides the certificate: a CA certificate (`--ca-cert`) and a key pair made
/// elsewhere (`--new-key`), each read with errors that name the file.
public enum RenewalInputs {
    /// The first certificate of a PEM or DER file.
    public static func caCertificate(at path: String) throws -> X509Certificate {
        let bytes = try readBytes(URL(fileURLWithPath: path))
        do {
            guard let first = try X509Certificate.load(bytes).first else { throw CertificateError.noCertificate }
            return first
        } catch {
            throw RenewalError.caCertificateUnreadable(path: path, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
    }

    /// A PEM key, tried without a password first so that an unencrypted key never prompts; `password` is asked
    /// only for an encrypted one. Returns the key and the password it came with (nil for an unencrypted key).
    public static func newKey(at path: String, password: () throws -> Secret) throws -> (key: PrivateKey, password: Secret?) {
        let text = String(decoding: try readBytes(URL(fileURLWithPath: path)), as: UTF8.self)
        do {
            return (try PrivateKey(pem: text), nil)
        } catch PrivateKeyError.passwordRequired {
            let secret = try password()
            do {
                return (try PrivateKey(pem: text, password: secret.reveal()), secret)
            } catch {
                throw RenewalError.newKeyUnreadable(path: path, reason: error.localizedDescription)
            }
        } catch {
            throw RenewalError.newKeyUnreadable(path: path, reason: error.localizedDescription)
        }
    }
}
