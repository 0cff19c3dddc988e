/// A card's Answer To Reset: how a token kind is recognised in any reader (the ePass3003 shows
/// no reader name of its own on Linux, so identity comes from the ATR, not the reader).
public struct ATR: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses hex written as `3B 9F 95`, `3b:9f:95` or `3B9F95`.
    public init?(hex: String) {
        guard let bytes = HexBytes.parse(hex), !bytes.isEmpty else { return nil }
        self.bytes = bytes
    }

    /// Upper-case hex with single spaces, the form pcsc-tools' ATR list uses.
    public var hex: String {
        HexBytes.format(bytes)
    }

    public var description: String { hex }
}

/// An ATR with an optional mask, as OpenSC and pcsc-tools match card families: a byte of the
/// card's ATR matches when `atr & mask == value & mask`.
public struct ATRPattern: Hashable, Sendable {
    public let value: ATR
    public let mask: [UInt8]?

    public init(value: ATR, mask: [UInt8]? = nil) {
        self.value = value
        self.mask = mask
    }

    public func matches(_ atr: ATR) -> Bool {
        guard atr.bytes.count == value.bytes.count else { return false }
        guard let mask else { return atr == value }
        for index in value.bytes.indices where atr.bytes[index] & mask[index] != value.bytes[index] & mask[index] {
            return false
        }
        return true
    }
}

enum HexBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == ":" || scalar == "\t" { continue }
            guard let value = UInt8(String(scalar), radix: 16) else { return nil }
            digits.append(value)
        }
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func format(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let text = String(byte, radix: 16, uppercase: true)
            return text.count == 1 ? "0" + text : text
        }.joined(separator: " ")
    }
}
