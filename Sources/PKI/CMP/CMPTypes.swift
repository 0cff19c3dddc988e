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

    public var errorDescription: String? {
        switch self {
        case .unreachable(let detail): "the CA cannot be reached: \(detail)"
        case .untrustedResponse(let detail): "the CA's answer is not from the trusted CA: \(detail)"
        case .certificateNotAccepted(let detail): "the issued certificate was refused: \(detail)"
        case .protocolFailure(let detail): "CMP exchange failed: \(detail)"
        case .invalidRequest(let detail): "cannot build the CMP request: \(detail)"
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
