import Foundation

/// A value worked out on another thread from the moment it is made; `value` waits for it. Work that a run needs
/// late but can begin early (R17's byte scans of the hives, the report's host facts) goes on the machine's other
/// core meanwhile. The value is written once, before the group is left, and read only after waiting for it.
public final class BackgroundValue<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: Value?

    public init(_ work: @escaping @Sendable () -> Value) {
        done.enter()
        DispatchQueue.global().async { [self] in
            result = work()
            done.leave()
        }
    }

    public var value: Value {
        done.wait()
        // Set before `done` was left.
        return result!
    }
}
