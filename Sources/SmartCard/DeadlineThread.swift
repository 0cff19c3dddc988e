import Foundation

/// Runs one blocking C call on a thread of its own and gives up waiting at a deadline.
///
/// pcsc-lite's client reads its socket without a limit, so a pcscd that accepts and never answers
/// would hold the caller forever. Running the call on a dedicated thread keeps Swift's cooperative
/// pool free; when the deadline passes the caller gets `.timeout` and the thread is abandoned
/// (it ends by itself if the service ever answers).
enum DeadlineThread {
    static func run<T: Sendable>(
        _ operation: String,
        timeout: Duration,
        _ body: @escaping @Sendable () -> Result<T, PCSCError>
    ) async -> Result<T, PCSCError> {
        let seconds = timeout.seconds
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            let thread = Thread { once.resume(body()) }
            thread.name = "pcsc: \(operation)"
            thread.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                once.resume(.failure(.timeout(operation: operation, seconds: seconds)))
            }
        }
    }
}

private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Result<T, PCSCError>, Never>?

    init(_ continuation: CheckedContinuation<Result<T, PCSCError>, Never>) {
        self.continuation = continuation
    }

    func resume(_ result: Result<T, PCSCError>) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(returning: result)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
