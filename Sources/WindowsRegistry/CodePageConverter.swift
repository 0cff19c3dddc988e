import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Text for a Windows program that reads a code page rather than Unicode (`cmd.exe` reads a batch file in the
/// console's code page: 936 on Chinese Windows).
public enum WindowsCodePage {
    /// `text` in `codePage` (`936`, `CP936`, `1252`, …); fails when a character has no representation there.
    public static func encode(_ text: String, codePage: String) throws -> [UInt8] {
        let converter = try CodePageConverter(codePage: codePage)
        guard let bytes = converter.encode(text) else { throw RegistryError.encodingUnavailable(name: converter.codePage) }
        return bytes
    }
}

/// A single-/multi-byte Windows code page ("ANSI" code page) converted with the C library's iconv,
/// because Foundation on Linux has no GBK/CP936 support. Owns its iconv descriptors.
final class CodePageConverter {
    let codePage: String
    private let toUTF16: iconv_t
    private let fromUTF16: iconv_t

    /// `codePage` is an iconv name or a Windows code page number: `936`, `CP936`, `GBK`, `1252`.
    init(codePage: String) throws {
        let name = codePage.allSatisfy(\.isNumber) ? "CP" + codePage : codePage
        self.codePage = name
        let invalid = iconv_t(bitPattern: -1)
        let decoder = iconv_open("UTF-16LE", name)
        guard decoder != invalid else { throw RegistryError.encodingUnavailable(name: name) }
        let encoder = iconv_open(name, "UTF-16LE")
        guard encoder != invalid else {
            iconv_close(decoder)
            throw RegistryError.encodingUnavailable(name: name)
        }
        toUTF16 = decoder!
        fromUTF16 = encoder!
    }

    deinit {
        iconv_close(toUTF16)
        iconv_close(fromUTF16)
    }

    /// ANSI bytes → UTF-16LE bytes; nil when the bytes are not valid in the code page.
    func utf16LE(from bytes: [UInt8]) -> [UInt8]? { convert(bytes, with: toUTF16, growth: 4) }

    /// UTF-16LE bytes → ANSI bytes; nil when a character has no representation in the code page.
    func ansi(fromUTF16LE bytes: [UInt8]) -> [UInt8]? { convert(bytes, with: fromUTF16, growth: 2) }

    func decode(_ bytes: [UInt8]) -> String? {
        utf16LE(from: bytes).map { String(decoding: RegistryValue.utf16Units($0), as: UTF16.self) }
    }

    func encode(_ text: String) -> [UInt8]? { ansi(fromUTF16LE: RegistryValue.utf16LEBytes(text, terminated: false)) }

    private func convert(_ input: [UInt8], with descriptor: iconv_t, growth: Int) -> [UInt8]? {
        if input.isEmpty { return [] }
        iconv(descriptor, nil, nil, nil, nil)
        var output = [UInt8](repeating: 0, count: input.count * growth + 16)
        var source = input
        let written: Int? = source.withUnsafeMutableBytes { sourceBuffer in
            output.withUnsafeMutableBytes { targetBuffer in
                var inPointer = sourceBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                var inLeft = sourceBuffer.count
                var outPointer = targetBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outLeft = targetBuffer.count
                let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                guard result != -1, inLeft == 0 else { return nil }
                return targetBuffer.count - outLeft
            }
        }
        guard let written else { return nil }
        return Array(output[0..<written])
    }
}
