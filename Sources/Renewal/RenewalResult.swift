import CertDoctorCore
import Foundation

/// How a renewal ended, as the report and the journal name it.
public enum RenewalEnding: String, Sendable, Equatable {
    /// The gate refused: a required check did not pass.
    case refused
    /// A new certificate is in place, verified.
    case installed
    /// The CA said no (E7).
    case rejected
    /// The CA did not answer.
    case unreachable
    /// Not decided yet: a request to submit by hand, or a CA that asks to be asked again.
    case waiting
    /// The backend lacks something it must be told.
    case needsConfiguration = "needs-configuration"
    /// Something went wrong on our side or with the CA's answer; the working certificate is unchanged.
    case failed

    init(_ outcome: RenewalOutcome) {
        switch outcome {
        case .issued: self = .installed
        case .rejected: self = .rejected
        case .unreachable: self = .unreachable
        case .waiting: self = .waiting
        case .needsConfiguration: self = .needsConfiguration
        }
    }
}

/// What a renewal ended with: the report (gate results and renewal steps) and the exit code.
public struct RenewalResult: Sendable {
    public var report: RunReport
    public var status: CommandEnding
    public var outcome: RenewalEnding
    public var message: Localized?
    /// The required checks that blocked the renewal, with their remedies.
    public var blocking: [CheckResult]
    public var record: RenewedPFXInstaller.Record?
}
