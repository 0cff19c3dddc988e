import SSCCProfile
import Foundation

/// A four-part Windows version, compared as dotted numbers: `2,0,4,8` (INF and `<object codebase>` style)
/// and `2.0.4.8` (file properties style) are the same version (R9).
public struct FileVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var parts: [UInt32]

    public init(parts: [UInt32]) {
        self.parts = parts
    }

    public init?(_ text: String) {
        let pieces = text.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == "." || $0 == "," })
        let numbers = pieces.compactMap { UInt32($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.count == pieces.count, numbers.count <= 4 else { return nil }
        parts = numbers
    }

    private var padded: [UInt32] { parts + Array(repeating: 0, count: max(0, 4 - parts.count)) }

    public var description: String { padded.map(String.init).joined(separator: ".") }

    public static func == (lhs: FileVersion, rhs: FileVersion) -> Bool { lhs.padded == rhs.padded }
    public func hash(into hasher: inout Hasher) { hasher.combine(padded) }

    public static func < (lhs: FileVersion, rhs: FileVersion) -> Bool {
        lhs.padded.lexicographicallyPrecedes(rhs.padded)
    }

    /// The file version of a PE file's version resource (`VS_FIXEDFILEINFO.dwFileVersionMS/LS`), found by its
    /// signature 0xFEEF04BD: the structure sits DWORD-aligned inside the RT_VERSION resource, and nothing
    /// else in a DLL is both aligned and followed by the structure's version 1.0.
    public static func ofPortableExecutable(_ bytes: [UInt8]) -> FileVersion? {
        guard bytes.count > 64, bytes[0] == 0x4d, bytes[1] == 0x5a else { return nil }
        func dword(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
        var offset = 0
        while offset + 16 <= bytes.count {
            if bytes[offset] == 0xbd, bytes[offset + 1] == 0x04, bytes[offset + 2] == 0xef, bytes[offset + 3] == 0xfe,
               dword(offset + 4) == 0x0001_0000 {
                let most = dword(offset + 8), least = dword(offset + 12)
                return FileVersion(parts: [most >> 16, most & 0xffff, least >> 16, least & 0xffff])
            }
            offset += 4
        }
        return nil
    }
}
