import Foundation

/// What a CA answered to a key update request (RFC 4210 KUR).
public enum CMPResult: Sendable, Equatable {
    /// A certificate for the new key, confirmed to the CA (certConf), with the chain the CA sent.
    case issued(certificate: X509Certificate, chain: [X509Certificate])
    /// The CA refused. `reason` is OpenSSL's rendering of the PKIStatusInfo, e.g.
    /// `PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: "certificate frozen"`.
    case rejected(reason: String, failureInfo: [CMPFailureInfo])
    /// The CA will decide later (PKIStatus waiting); ask again after this many seconds.
    case retryAfter(seconds: Int)
}

public enum CMPError: Error, Equatable, Sendable, LocalizedError {
    /// No CMP answer: connection refused, DNS, timeout, HTTP error.
    case unreachable(detail: String)
    /// The answer was not protected by the CA we trust (wrong or untrusted signer, bad signature).
    case untrustedResponse(detail: String)
    /// The CA returned a certificate we refused (e.g. not for our new key); a negative certConf was sent.
    case certificateNotAccepted(detail: String)
    /// Anything else that broke the exchange (malformed or unexpected messages).
    case protocolFailure(detail: String)
    /// The request could not be built from the inputs (bad URL, old key not the old certificate's, …).
    case invalidRequest(detail: String)
    /// A password-protected request (PBM) was refused for its password: a wrong, expired or already used
    /// authorization code, or a reference the CA does not know.
    case authorizationRefused(detail: String)

    public var errorDescription: String? {
        switch self {
        case .unreachable(let detail): "the CA cannot be reached: \(detail)"
        case .untrustedResponse(let detail): "the CA's answer is not from the trusted CA: \(detail)"
        case .certificateNotAccepted(let detail): "the issued certificate was refused: \(detail)"
        case .protocolFailure(let detail): "CMP exchange failed: \(detail)"
        case .invalidRequest(let detail): "cannot build the CMP request: \(detail)"
        case .authorizationRefused(let detail): "the CA refused the reference or authorization code: \(detail)"
        }
    }
}

/// RFC 4210 PKIFailureInfo bits.
public enum CMPFailureInfo: Int, Sendable, CaseIterable {
    case badAlg, badMessageCheck, badRequest, badTime, badCertId, badDataFormat, wrongAuthority, incorrectData,
         missingTimeStamp, badPOP, certRevoked, certConfirmed, wrongIntegrity, badRecipientNonce, timeNotAvailable,
         unacceptedPolicy, unacceptedExtension, addInfoNotAvailable, badSenderNonce, badCertTemplate,
         signerNotTrusted, transactionIdInUse, unsupportedVersion, notAuthorized, systemUnavail, systemFailure,
         duplicateCertReq

    /// The bits set in an OpenSSL failInfo code, in bit order.
    static func decode(_ code: Int) -> [CMPFailureInfo] {
        allCases.filter { code & (1 << $0.rawValue) != 0 }
    }
}

/// The shared secret of an RFC 4210 initialization request protected by a password-based MAC (5.1.3.1): the
/// reference number goes out as senderKID, the secret value keys the MAC of every message both ways.
public struct CMPSharedSecret: Sendable {
    public var reference: [UInt8]
    public var secret: [UInt8]

    public init(reference: [UInt8], secret: [UInt8]) {
        self.reference = reference
        self.secret = secret
    }
}

/// The PBM's one-way function and MAC, by the names OpenSSL knows (`sha256`, `hmac-sha1`). The defaults are
/// OpenSSL's own, which is what its mock server and most CAs expect.
public struct CMPPasswordMAC: Sendable, Equatable {
    public var oneWayFunction: String
    public var mac: String

    public init(oneWayFunction: String = "sha256", mac: String = "hmac-sha1") {
        self.oneWayFunction = oneWayFunction
        self.mac = mac
    }
}

/// What an initialization request brought: the certificate (confirmed) and the CA certificates the CA
/// published in the answer (caPubs), already compared with the pinned root.
public struct CMPInitialization: Sendable, Equatable {
    public var result: CMPResult
    public var caPublications: [X509Certificate]
}
