import WindowsTarget
import CertificateTarget
import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// What a backend is given, as certmonger gives its CA helpers the old certificate and the new request:
/// the working certificate with its key, and the new key with a PKCS#10 request under the old subject.
public struct RenewalRequest: Sendable {
    public var gateway: String
    public var oldCertificate: X509Certificate
    public var oldKey: PrivateKey
    public var oldChain: [X509Certificate]
    public var newKey: PrivateKey
    public var certificateRequest: CertificateRequest
    /// The certificate password, for a backend that must keep the new key until the CA answers.
    public var password: Secret
    /// The password a user-supplied new key came with. When there is one, the kept key stays encrypted with
    /// it, as strong as it came, rather than with the 6-digit certificate password.
    public var newKeyPassword: Secret?

    public init(
        gateway: String, oldCertificate: X509Certificate, oldKey: PrivateKey, oldChain: [X509Certificate],
        newKey: PrivateKey, certificateRequest: CertificateRequest, password: Secret
    ) {
        self.gateway = gateway
        self.oldCertificate = oldCertificate
        self.oldKey = oldKey
        self.oldChain = oldChain
        self.newKey = newKey
        self.certificateRequest = certificateRequest
        self.password = password
    }
}

/// A backend's answer, in the manner of certmonger's helper results (issued / rejected / unreachable / wait /
/// unconfigured). Every answer maps to one documented exit code.
public enum RenewalOutcome: Sendable {
    /// A certificate for the new key, with the chain the CA sent (possibly empty).
    case issued(certificate: X509Certificate, chain: [X509Certificate])
    /// The CA refused, e.g. the certificate is frozen, revoked or already renewed (E7).
    case rejected(reason: String)
    /// No answer from the CA at all.
    case unreachable(detail: String)
    /// Not decided yet. With `retryAfter`, the CA asks to be asked again later; without, a person has to act
    /// (the offline backend: submit the written request, then `renew --import`).
    case waiting(retryAfter: Int?, instructions: Localized)
    /// The backend lacks something it must be told (a CA address, a CA certificate).
    case needsConfiguration(Localized)

    public var name: String {
        switch self {
        case .issued: "issued"
        case .rejected: "rejected"
        case .unreachable: "unreachable"
        case .waiting: "waiting"
        case .needsConfiguration: "needs-configuration"
        }
    }

    /// The documented exit code (README-renewal.md): 0 issued and installed, or a request written for a person
    /// to submit; 1 rejected; 69 unreachable; 75 try again later; 64 configuration missing.
    public var ending: CommandEnding {
        switch self {
        case .issued: .success
        case .rejected: .failure
        case .unreachable: .unavailable
        case .waiting(let retryAfter, _): retryAfter == nil ? .success : .temporaryFailure
        case .needsConfiguration: .usage
        }
    }
}

/// One network or file step a backend reports while it works, so a person at a terminal sees progress.
public typealias RenewalProgress = @Sendable (Localized) -> Void

/// A way to get a renewed certificate from a CA. A third backend (a vendor's portal API) is one more
/// conforming type: it checks its configuration, then turns a request into an outcome.
public protocol RenewalBackend: Sendable {
    /// `offline`, `cmp`, …: recorded in the report and the journal.
    var name: String { get }
    /// True for a CA that issues within `submit` (it counts the certificate as renewed once confirmed, before
    /// anything is written here, so the new key is kept first); false for a request a person takes to the CA.
    var answersInTheExchange: Bool { get }
    /// What the backend lacks before anything is generated or sent; nil when it can run.
    func configurationProblem() -> Localized?
    /// Sends (or saves) the request. Failures of the CA's answer that must not be installed are thrown.
    func submit(_ request: RenewalRequest, progress: RenewalProgress) throws -> RenewalOutcome
    /// What the sent request consisted of, for the renewal record (never key material).
    func describe(_ request: RenewalRequest) -> String
}

extension RenewalBackend {
    public func configurationProblem() -> Localized? { nil }

    public func describe(_ request: RenewalRequest) -> String {
        "PKCS#10 request for \(request.certificateRequest.subject), new key \(request.newKey.algorithm) \(request.newKey.bits) bits"
    }
}

/// The key a renewal generates when none is given (`--key-type`).
public enum RenewalKeyType: String, Sendable, CaseIterable {
    case rsa2048
    case rsa3072
    case rsa4096
    case ecP256 = "ec-p256"

    public var kind: PrivateKey.Kind {
        switch self {
        case .rsa2048: .rsa(bits: 2048)
        case .rsa3072: .rsa(bits: 3072)
        case .rsa4096: .rsa(bits: 4096)
        case .ecP256: .ecP256
        }
    }
}
