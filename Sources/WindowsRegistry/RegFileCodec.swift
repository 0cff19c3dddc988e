import Foundation

/// The two `.reg` dialects regedit reads and writes.
public enum RegFileFormat: Hashable, Sendable {
    /// `Windows Registry Editor Version 5.00`: UTF-16LE with BOM, CRLF.
    case version5
    /// `REGEDIT4`: the ANSI code page of the machine that wrote it (CP936/GBK on Chinese Windows).
    case regedit4(codePage: String)

    public static let regedit4Chinese = RegFileFormat.regedit4(codePage: "CP936")
}

/// One change a `.reg` file makes to a key.
public enum RegFileOperation: Hashable, Sendable {
    case set(RegistryValue)
    /// `"name"=-` (or `@=-`).
    case delete(valueName: String)
}

/// One `[key]` or `[-key]` section.
public struct RegFileSection: Hashable, Sendable {
    public var path: RegistryPath
    /// `[-key]`: the key and its tree are deleted.
    public var deletesKey: Bool
    public var operations: [RegFileOperation]

    public init(path: RegistryPath, deletesKey: Bool = false, operations: [RegFileOperation] = []) {
        self.path = path
        self.deletesKey = deletesKey
        self.operations = operations
    }
}

public struct RegFile: Hashable, Sendable {
    public var format: RegFileFormat
    public var sections: [RegFileSection]

    public init(format: RegFileFormat, sections: [RegFileSection] = []) {
        self.format = format
        self.sections = sections
    }

    /// Sections that recreate a key tree (`path` is where `key` lives), parents before children,
    /// in the order regedit exports: a key's section, then its subkeys.
    public static func exporting(_ key: RegistryKey, at path: RegistryPath, format: RegFileFormat) -> RegFile {
        var sections: [RegFileSection] = []
        func visit(_ key: RegistryKey, _ path: RegistryPath) {
            sections.append(RegFileSection(path: path, operations: key.values.map { .set($0) }))
            for subkey in key.subkeys { visit(subkey, RegistryPath(root: path.root, components: path.components + [subkey.name])) }
        }
        visit(key, path)
        return RegFile(format: format, sections: sections)
    }
}

/// Reads and writes `.reg` files as regedit and Wine's `reg.exe` (programs/reg/import.c, export.c) do.
public enum RegFileCodec {
    static let version5Header = "Windows Registry Editor Version 5.00"
    static let regedit4Header = "REGEDIT4"

    // MARK: Reading

    /// `codePage` is used for files without a BOM (REGEDIT4), as the importing machine's ANSI code page.
    public static func decode(_ bytes: [UInt8], fileName: String, codePage: String = "CP936") throws -> RegFile {
        func fail(_ line: Int, _ problem: MalformedRegistryInput) -> RegistryError {
            .malformed(file: fileName, line: line, problem: problem)
        }
        let text: String
        var converter: CodePageConverter? = nil
        if bytes.starts(with: [0xff, 0xfe]) {
            guard bytes.count % 2 == 0 else { throw fail(1, .oddUTF16Length) }
            text = String(decoding: RegistryValue.utf16Units(Array(bytes[2...])), as: UTF16.self)
        } else if bytes.starts(with: [0xef, 0xbb, 0xbf]) {
            guard let decoded = String(validating: bytes[3...], as: UTF8.self) else { throw fail(1, .invalidText(encoding: "UTF-8")) }
            text = decoded
        } else {
            // UTF-16 without a BOM shows as NUL bytes between ASCII letters; regedit would read it as ANSI garbage.
            if bytes.count >= 4, bytes[1] == 0, bytes[3] == 0 { throw fail(1, .missingByteOrderMark) }
            let ansi = try CodePageConverter(codePage: codePage)
            converter = ansi
            guard let decoded = ansi.decode(bytes) else { throw fail(1, .invalidText(encoding: ansi.codePage)) }
            text = decoded
        }
        // "\r\n" is one Character in Swift, so split the scalars; only LF and CRLF end a line in regedit.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars -> Substring in
            let line = Substring(scalars)
            return line.unicodeScalars.last == "\r" ? Substring(line.unicodeScalars.dropLast()) : line
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first?.drop(while: { $0 == " " || $0 == "\t" }) else { throw fail(1, .regFileHeader) }
        let format: RegFileFormat
        if headerLine.hasPrefix(version5Header) {
            // Importers tell Unicode by the BOM alone: without it a v5 file is read as ANSI text, and what a
            // reader makes of it depends on the machine's code page. reg export and regedit always write the BOM.
            guard bytes.starts(with: [0xff, 0xfe]) else { throw fail(1, .missingByteOrderMark) }
            format = .version5
        } else if headerLine.hasPrefix(regedit4Header) {
            format = .regedit4(codePage: converter?.codePage ?? codePage)
        } else {
            throw fail(1, .regFileHeader)
        }
        if converter == nil, case .regedit4 = format { converter = try CodePageConverter(codePage: codePage) }

        var file = RegFile(format: format)
        var lineIndex = 1
        while lineIndex < lines.count {
            let lineNumber = lineIndex + 1
            var line = Substring(lines[lineIndex].drop(while: { $0 == " " || $0 == "\t" }))
            lineIndex += 1
            guard let first = line.first else { continue }
            switch first {
            case "[":
                var deletes = false
                line = line.dropFirst()
                if line.first == "-" { deletes = true; line = line.dropFirst() }
                guard let close = line.lastIndex(of: "]") else { throw fail(lineNumber, .closingDelimiter("]")) }
                let pathText = String(line[..<close])
                let parts = RegistryKey.components(of: pathText)
                guard let rootName = parts.first else { throw fail(lineNumber, .keyPath) }
                guard let root = RegistryRoot(name: rootName) else { throw fail(lineNumber, .rootKey(rootName)) }
                file.sections.append(RegFileSection(path: RegistryPath(root: root, components: Array(parts.dropFirst())), deletesKey: deletes))
            case "@", "\"":
                guard !file.sections.isEmpty, !file.sections[file.sections.count - 1].deletesKey else {
                    throw fail(lineNumber, .valueWithoutKey)
                }
                // Hex data may continue over following lines ending in `\`.
                var logical = String(line)
                while logical.trimmingCharacters(in: .whitespaces).hasSuffix("\\"), isHexValue(logical) {
                    logical = String(logical.trimmingCharacters(in: .whitespaces).dropLast())
                    guard lineIndex < lines.count else { throw fail(lineNumber, .truncatedContinuation) }
                    logical += lines[lineIndex].drop(while: { $0 == " " || $0 == "\t" })
                    lineIndex += 1
                }
                let operation = try parseValue(logical, format: format, converter: converter) { fail(lineNumber, $0) }
                file.sections[file.sections.count - 1].operations.append(operation)
            default:
                continue  // comments and anything else are ignored by regedit
            }
        }
        return file
    }

    private static func isHexValue(_ line: String) -> Bool {
        guard let equals = valueDataStart(line) else { return false }
        return line[equals...].hasPrefix("hex")
    }

    /// Index of the data after `=`, skipping the (possibly escaped) quoted name.
    private static func valueDataStart(_ line: String) -> String.Index? {
        var index = line.startIndex
        if line[index] == "@" {
            index = line.index(after: index)
        } else {
            index = line.index(after: index)
            var escaped = false
            while index < line.endIndex {
                let c = line[index]
                index = line.index(after: index)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break }
            }
        }
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        guard index < line.endIndex, line[index] == "=" else { return nil }
        index = line.index(after: index)
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        return index
    }

    private static func unescapeQuoted(_ text: Substring) -> (String, Substring)? {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            index = text.index(after: index)
            if c == "\"" { return (result, text[index...]) }
            if c == "\\", index < text.endIndex {
                let next = text[index]
                index = text.index(after: index)
                switch next {
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "0": result.append("\0")
                default: result.append(next)
                }
                continue
            }
            result.append(c)
        }
        return nil
    }

    private static func isTrailerAllowed(_ rest: Substring) -> Bool {
        let trimmed = rest.drop(while: { $0 == " " || $0 == "\t" })
        return trimmed.isEmpty || trimmed.first == ";"
    }

    private static func parseValue(
        _ line: String, format: RegFileFormat, converter: CodePageConverter?, fail: (MalformedRegistryInput) -> RegistryError
    ) throws -> RegFileOperation {
        let name: String
        if line.first == "@" {
            name = ""
        } else {
            guard let (unescaped, _) = unescapeQuoted(line.dropFirst()) else { throw fail(.closingDelimiter("\"")) }
            name = unescaped
        }
        guard let dataStart = valueDataStart(line) else { throw fail(.valueType) }
        let data = line[dataStart...]
        if data.first == "-" {
            guard isTrailerAllowed(data.dropFirst()) else { throw fail(.endOfLine) }
            return .delete(valueName: name)
        }
        if data.first == "\"" {
            guard let (text, rest) = unescapeQuoted(data.dropFirst()) else { throw fail(.closingDelimiter("\"")) }
            guard isTrailerAllowed(rest) else { throw fail(.endOfLine) }
            return .set(RegistryValue(name: name, string: text))
        }
        if data.hasPrefix("dword:") {
            let digits = data.dropFirst(6).prefix(while: \.isHexDigit)
            guard (1...8).contains(digits.count), let value = UInt32(digits, radix: 16),
                  isTrailerAllowed(data.dropFirst(6 + digits.count))
            else { throw fail(.dword) }
            return .set(RegistryValue(name: name, dword: value))
        }
        var type = RegistryValueType.binary
        var hexText: Substring
        if data.hasPrefix("hex:") {
            hexText = data.dropFirst(4)
        } else if data.hasPrefix("hex(") {
            let number = data.dropFirst(4).prefix(while: \.isHexDigit)
            let after = data.dropFirst(4 + number.count)
            guard (1...8).contains(number.count), after.hasPrefix("):"), let raw = UInt32(number, radix: 16) else { throw fail(.valueType) }
            type = RegistryValueType(rawValue: raw)
            hexText = after.dropFirst(2)
        } else {
            throw fail(.valueType)
        }
        if let comment = hexText.firstIndex(of: ";") { hexText = hexText[..<comment] }
        var bytes: [UInt8] = []
        for piece in hexText.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty && bytes.isEmpty && hexText.trimmingCharacters(in: .whitespaces).isEmpty { break }
            guard (1...2).contains(trimmed.count), let byte = UInt8(trimmed, radix: 16) else { throw fail(.hexByte) }
            bytes.append(byte)
        }
        // REGEDIT4 stores string types as ANSI bytes; the model keeps UTF-16LE.
        if case .regedit4 = format, type == .expandString || type == .multiString || type == .string, let converter {
            guard let converted = converter.utf16LE(from: bytes) else { throw fail(.invalidText(encoding: converter.codePage)) }
            bytes = converted
        }
        return .set(RegistryValue(name: name, type: type, data: bytes))
    }

    // MARK: Writing

    public static func encode(_ file: RegFile) throws -> [UInt8] {
        var converter: CodePageConverter? = nil
        var text = ""
        switch file.format {
        case .version5: text = version5Header + "\r\n"
        case .regedit4(let codePage):
            converter = try CodePageConverter(codePage: codePage)
            text = regedit4Header + "\r\n"
        }
        for section in file.sections {
            text += "\r\n[" + (section.deletesKey ? "-" : "") + section.path.description + "]\r\n"
            for operation in section.operations {
                switch operation {
                case .delete(let name):
                    text += (name.isEmpty ? "@" : "\"" + escape(name) + "\"") + "=-\r\n"
                case .set(let value):
                    text += try valueLine(value, converter: converter)
                }
            }
        }
        text += "\r\n"
        if let converter {
            guard let bytes = converter.encode(text) else {
                let bad = text.first { converter.encode(String($0)) == nil }.map(String.init) ?? text
                throw RegistryError.unencodableText(encoding: converter.codePage, text: bad)
            }
            return bytes
        }
        return [0xff, 0xfe] + RegistryValue.utf16LEBytes(text, terminated: false)
    }

    /// One value as a v5 file writes it, without the line end (continuation breaks included): for messages
    /// that show a person the exact line a fix file holds.
    public static func line(for value: RegistryValue) throws -> String {
        // Scalars, not Characters: to a Swift String "\r\n" is one character.
        String(String.UnicodeScalarView(try valueLine(value, converter: nil).unicodeScalars.dropLast(2)))
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for c in text {
            switch c {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\r\n": result += "\\r\\n"
            default: result.append(c)
            }
        }
        return result
    }

    private static func valueLine(_ value: RegistryValue, converter: CodePageConverter?) throws -> String {
        var line = value.name.isEmpty ? "@=" : "\"" + escape(value.name) + "\"="
        let data = value.data
        if value.type == .string, data.count >= 2, data.count % 2 == 0, data[data.count - 1] == 0, data[data.count - 2] == 0 {
            let units = RegistryValue.utf16Units(data).dropLast()
            if !units.contains(0) {
                return line + "\"" + escape(String(decoding: units, as: UTF16.self)) + "\"\r\n"
            }
        }
        if value.type == .dword, data.count == 4 {
            let digits = String(value.dwordValue!, radix: 16)
            return line + "dword:" + String(repeating: "0", count: 8 - digits.count) + digits + "\r\n"
        }
        var bytes = data
        if let converter, value.type.isStringType {
            guard let ansi = converter.ansi(fromUTF16LE: data) else {
                throw RegistryError.unencodableText(encoding: converter.codePage, text: value.stringValue ?? value.name)
            }
            bytes = ansi
        }
        let prefix = value.type == .binary ? "hex:" : "hex(\(String(value.type.rawValue, radix: 16))):"
        line += prefix
        // Wrap like Wine's reg export: after a comma once the running column reaches 77.
        var column = line.count
        for (index, byte) in bytes.enumerated() {
            line += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            if index == bytes.count - 1 { break }
            line += ","
            column += 3
            if column >= 77 {
                line += "\\\r\n  "
                column = 2
            }
        }
        return line + "\r\n"
    }
}
