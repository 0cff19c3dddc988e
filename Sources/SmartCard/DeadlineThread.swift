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

    /// The synchronous form, for callers outside structured concurrency (the calling thread
    /// waits on a semaphore, never the cooperative pool's threads when used as documented).
    static func runBlocking<T: Sendable>(
        _ operation: String,
        timeout: Duration,
        _ body: @escaping @Sendable () -> Result<T, PCSCError>
    ) -> Result<T, PCSCError> {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.set(body())
            done.signal()
        }
        thread.name = "pcsc: \(operation)"
        thread.start()
        if done.wait(timeout: .now() + timeout.seconds) == .timedOut {
            return .failure(.timeout(operation: operation, seconds: timeout.seconds))
        }
        return box.get() ?? .failure(.timeout(operation: operation, seconds: timeout.seconds))
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

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, PCSCError>?

    func set(_ result: Result<T, PCSCError>) {
        lock.lock()
        value = result
        lock.unlock()
    }

    func get() -> Result<T, PCSCError>? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
