/// A password, PIN or code. It prints as a mask and is not `Codable`, so it cannot reach a report or log
/// by accident; code that really needs the text calls `reveal()`.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    public func reveal() -> String { value }

    public var description: String { "******" }
    public var debugDescription: String { "Secret(******)" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
