internal import CPCSCLite
import Foundation

/// What can go wrong talking to the PC/SC service. The cases are the ones a doctor must tell
/// apart (R7, R11): no service at all, a service without readers, a service that does not
/// answer, and everything else with pcsc-lite's own code and name.
public enum PCSCError: Error, Equatable, Sendable {
    /// pcscd is not running or its socket is absent (`SCARD_E_NO_SERVICE`).
    case noService
    /// pcscd runs but has no reader configured or plugged in (`SCARD_E_NO_READERS_AVAILABLE`).
    case noReaders
    /// The call did not return within its time limit; the service is installed but hangs.
    case timeout(operation: String, seconds: Double)
    /// Any other pcsc-lite result, with its numeric code and symbolic name.
    case other(code: Int, name: String)

    init(code: LONG) {
        switch code {
        case SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED: self = .noService
        case SCARD_E_NO_READERS_AVAILABLE: self = .noReaders
        default: self = .other(code: Int(code), name: PCSCError.name(of: code))
        }
    }

    /// Symbolic names for the codes a doctor is likely to meet; pcsc-lite only offers prose.
    static func name(of code: LONG) -> String {
        let names: [LONG: String] = [
            SCARD_E_CANCELLED: "SCARD_E_CANCELLED",
            SCARD_E_INVALID_HANDLE: "SCARD_E_INVALID_HANDLE",
            SCARD_E_INVALID_PARAMETER: "SCARD_E_INVALID_PARAMETER",
            SCARD_E_NO_MEMORY: "SCARD_E_NO_MEMORY",
            SCARD_E_INSUFFICIENT_BUFFER: "SCARD_E_INSUFFICIENT_BUFFER",
            SCARD_E_UNKNOWN_READER: "SCARD_E_UNKNOWN_READER",
            SCARD_E_TIMEOUT: "SCARD_E_TIMEOUT",
            SCARD_E_SHARING_VIOLATION: "SCARD_E_SHARING_VIOLATION",
            SCARD_E_NO_SMARTCARD: "SCARD_E_NO_SMARTCARD",
            SCARD_E_READER_UNAVAILABLE: "SCARD_E_READER_UNAVAILABLE",
            SCARD_E_NO_SERVICE: "SCARD_E_NO_SERVICE",
            SCARD_E_SERVICE_STOPPED: "SCARD_E_SERVICE_STOPPED",
            SCARD_E_NO_READERS_AVAILABLE: "SCARD_E_NO_READERS_AVAILABLE",
            SCARD_F_INTERNAL_ERROR: "SCARD_F_INTERNAL_ERROR",
            SCARD_F_COMM_ERROR: "SCARD_F_COMM_ERROR",
            SCARD_W_UNRESPONSIVE_CARD: "SCARD_W_UNRESPONSIVE_CARD",
            SCARD_W_UNPOWERED_CARD: "SCARD_W_UNPOWERED_CARD",
            SCARD_W_REMOVED_CARD: "SCARD_W_REMOVED_CARD",
            SCARD_W_RESET_CARD: "SCARD_W_RESET_CARD",
        ]
        if let name = names[code] { return name }
        return "0x" + String(UInt32(truncatingIfNeeded: code), radix: 16, uppercase: true)
    }
}

extension PCSCError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .noService:
            "The PC/SC service (pcscd) is not running."
        case .noReaders:
            "The PC/SC service runs but reports no smart card reader."
        case let .timeout(operation, seconds):
            "The PC/SC service did not answer \(operation) within \(Self.format(seconds)) s."
        case let .other(code, name):
            "PC/SC call failed: \(name) (0x\(String(UInt32(truncatingIfNeeded: code), radix: 16, uppercase: true)))."
        }
    }

    public var chineseDescription: String {
        switch self {
        case .noService:
            "PC/SC 服务（pcscd）未运行。"
        case .noReaders:
            "PC/SC 服务在运行，但没有发现任何智能卡读卡器。"
        case let .timeout(operation, seconds):
            "PC/SC 服务在 \(Self.format(seconds)) 秒内未响应 \(operation)。"
        case let .other(code, name):
            "PC/SC 调用失败：\(name)（0x\(String(UInt32(truncatingIfNeeded: code), radix: 16, uppercase: true))）。"
        }
    }

    static func format(_ seconds: Double) -> String {
        String(format: "%.1f", seconds)
    }
}
