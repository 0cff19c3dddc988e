import CertDoctorCore
import Foundation
import WindowsRegistry

/// A `.reg` file as `reg export`/regedit write it (v5: UTF-16LE with BOM and CRLF; REGEDIT4: 8-bit text),
/// reduced to what the checks need: which keys are set or deleted, with which values.
///
/// The WindowsRegistry module's own `.reg` codec was not yet available on the branch this was built on;
/// this reader and writer cover the subset the checks read and the fixes write, and can be replaced by it.
public struct ExportedRegistryFile: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case setValue(RegistryValue)
        case deleteValue(String)
    }

    public struct Section: Sendable, Equatable {
        public var root: RegistryRoot
        public var path: String
        public var deletesKey: Bool
        public var changes: [Change]

        public init(root: RegistryRoot, path: String, deletesKey: Bool = false, changes: [Change] = []) {
            self.root = root
            self.path = path
            self.deletesKey = deletesKey
            self.changes = changes
        }
    }

    public var sections: [Section]

    public init(sections: [Section] = []) {
        self.sections = sections
    }

    static let unicodeHeader = "Windows Registry Editor Version 5.00"
    static let ansiHeader = "REGEDIT4"

    public static func looksLikeRegFile(_ bytes: [UInt8]) -> Bool {
        let text = decodeText(Array(bytes.prefix(160)))
        let first = physicalLines(text).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return first == unicodeHeader || first.hasPrefix(ansiHeader)
    }

    /// Lines split on LF with a trailing CR removed. Works on scalars: to a Swift String "\r\n" is one
    /// character, so splitting on "\n" would find no line ends in a CRLF file.
    static func physicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if current.last == "\r" { current.removeLast() }
        lines.append(String(current))
        return lines
    }

    static func decodeText(_ bytes: [UInt8]) -> String {
        if bytes.starts(with: [0xff, 0xfe]) {
            var units: [UInt16] = []
            var index = 2
            while index + 1 < bytes.count {
                units.append(UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Reading

    public static func decode(_ bytes: [UInt8], fileName: String) throws -> ExportedRegistryFile {
        let unicode = bytes.starts(with: [0xff, 0xfe])
        let text = decodeText(bytes)
        var lines: [(number: Int, text: String)] = []
        var pending = ""
        var pendingStart = 0
        for (index, raw) in physicalLines(text).enumerated() {
            var line = raw
            if !pending.isEmpty { line = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
            let trimmed = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if trimmed.hasSuffix("\\") && !trimmed.hasPrefix("[") {
                if pending.isEmpty { pendingStart = index + 1 }
                pending += String(trimmed.dropLast())
                continue
            }
            if !pending.isEmpty {
                lines.append((pendingStart, pending + line))
                pending = ""
            } else {
                lines.append((index + 1, line))
            }
        }
        var file = ExportedRegistryFile()
        var sawHeader = false
        for (number, raw) in lines {
            let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if !sawHeader {
                if line.isEmpty { continue }
                guard line == unicodeHeader || line.hasPrefix(ansiHeader) else {
                    throw WindowsSideError.malformedRegFile(path: fileName, line: number, reason: "expected '\(unicodeHeader)' or 'REGEDIT4'")
                }
                sawHeader = true
                continue
            }
            if line.hasPrefix("[") {
                guard let close = line.lastIndex(of: "]") else {
                    throw WindowsSideError.malformedRegFile(path: fileName, line: number, reason: "expected ']'")
                }
                var name = String(line[line.index(after: line.startIndex)..<close])
                let deletes = name.hasPrefix("-")
                if deletes { name.removeFirst() }
                let parts = RegistryKey.components(of: name)
                guard let first = parts.first, let root = RegistryRoot(name: first) else {
                    throw WindowsSideError.malformedRegFile(path: fileName, line: number, reason: "unknown root key in '\(name)'")
                }
                file.sections.append(Section(root: root, path: parts.dropFirst().joined(separator: "\\"), deletesKey: deletes))
                continue
            }
            guard line.hasPrefix("\"") || line.hasPrefix("@") else { continue }
            guard !file.sections.isEmpty else {
                throw WindowsSideError.malformedRegFile(path: fileName, line: number, reason: "value before any key")
            }
            do {
                let change = try parseValueLine(line, unicode: unicode)
                file.sections[file.sections.count - 1].changes.append(change)
            } catch let reason as ValueSyntax {
                throw WindowsSideError.malformedRegFile(path: fileName, line: number, reason: reason.text)
            }
        }
        guard sawHeader else {
            throw WindowsSideError.malformedRegFile(path: fileName, line: 1, reason: "expected '\(unicodeHeader)' or 'REGEDIT4'")
        }
        return file
    }

    struct ValueSyntax: Error {
        var text: String
    }

    static func parseValueLine(_ line: String, unicode: Bool) throws -> Change {
        var rest = Substring(line)
        let name: String
        if rest.hasPrefix("@") {
            name = ""
            rest = rest.dropFirst()
        } else {
            rest = rest.dropFirst()
            var parsed = ""
            var closed = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if character == "\\", let next = rest.first {
                    parsed.append(next)
                    rest = rest.dropFirst()
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    parsed.append(character)
                }
            }
            guard closed else { throw ValueSyntax(text: "expected a closing '\"' after the value name") }
            name = parsed
        }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { throw ValueSyntax(text: "expected '='") }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        if rest.hasPrefix("-") { return .deleteValue(name) }
        if rest.hasPrefix("\"") {
            rest = rest.dropFirst()
            var text = ""
            var closed = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if character == "\\", let next = rest.first {
                    switch next {
                    case "n": text.append("\n")
                    case "r": text.append("\r")
                    default: text.append(next)
                    }
                    rest = rest.dropFirst()
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    text.append(character)
                }
            }
            guard closed else { throw ValueSyntax(text: "expected a closing '\"' after the string") }
            return .setValue(RegistryValue(name: name, string: text))
        }
        let lower = rest.lowercased()
        if lower.hasPrefix("dword:") {
            let digits = rest.dropFirst(6).prefix { $0.isHexDigit }
            guard !digits.isEmpty, digits.count <= 8, let number = UInt32(digits, radix: 16) else {
                throw ValueSyntax(text: "expected 1 to 8 hex digits after 'dword:'")
            }
            return .setValue(RegistryValue(name: name, dword: number))
        }
        if lower.hasPrefix("hex") {
            var type = RegistryValueType.binary
            var body = rest.dropFirst(3)
            if body.hasPrefix("(") {
                guard let close = body.firstIndex(of: ")"), let raw = UInt32(body[body.index(after: body.startIndex)..<close], radix: 16) else {
                    throw ValueSyntax(text: "expected hex(N):")
                }
                type = RegistryValueType(rawValue: raw)
                body = body[body.index(after: close)...]
            }
            guard body.hasPrefix(":") else { throw ValueSyntax(text: "expected ':' after hex") }
            let content = body.dropFirst().split(separator: ";", maxSplits: 1).first ?? ""
            var data: [UInt8] = []
            for item in content.split(separator: ",") {
                let digits = item.trimmingCharacters(in: .whitespaces)
                if digits.isEmpty { continue }
                guard digits.count <= 2, let byte = UInt8(digits, radix: 16) else { throw ValueSyntax(text: "expected hex bytes separated by commas") }
                data.append(byte)
            }
            if !unicode, type == .expandString || type == .multiString {
                // REGEDIT4 stores these as 8-bit text; the model holds UTF-16LE.
                let text = String(decoding: data, as: UTF8.self)
                data = text.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
            }
            return .setValue(RegistryValue(name: name, type: type, data: data))
        }
        throw ValueSyntax(text: "expected a string, dword:, hex: or hex(N):")
    }

    /// Applies the sections to the machine and user trees, as `reg import` would. `HKEY_CLASSES_ROOT` is
    /// `HKLM\Software\Classes`; `HKEY_USERS\<SID>` is taken as the current user (an export names one user).
    public func apply(machine: inout RegistryKey, user: inout RegistryKey) {
        for section in sections {
            var parts = RegistryKey.components(of: section.path)
            let isMachine: Bool
            switch section.root {
            case .localMachine, .currentConfig:
                isMachine = true
            case .classesRoot:
                isMachine = true
                parts = ["Software", "Classes"] + parts
            case .currentUser:
                isMachine = false
            case .users:
                isMachine = false
                parts = Array(parts.dropFirst())
            }
            if section.deletesKey {
                if isMachine { machine.removeKey(at: parts[...]) } else { user.removeKey(at: parts[...]) }
                continue
            }
            func edit(_ key: inout RegistryKey) {
                for change in section.changes {
                    switch change {
                    case .setValue(let value): key.setValue(value)
                    case .deleteValue(let name): key.removeValue(named: name)
                    }
                }
            }
            if isMachine {
                machine.withKey(creating: parts[...]) { edit(&$0) }
            } else {
                user.withKey(creating: parts[...]) { edit(&$0) }
            }
        }
    }

    // MARK: - Writing

    /// A v5 `.reg` file exactly as regedit writes one: UTF-16LE with BOM, CRLF, a blank line before each key.
    public func encoded() -> [UInt8] {
        var text = Self.unicodeHeader + "\r\n"
        for section in sections {
            let full = ([section.root.rawValue] + RegistryKey.components(of: section.path)).joined(separator: "\\")
            text += "\r\n[" + (section.deletesKey ? "-" : "") + full + "]\r\n"
            for change in section.changes {
                switch change {
                case .setValue(let value): text += Self.line(for: value) + "\r\n"
                case .deleteValue(let name): text += Self.quotedName(name) + "=-\r\n"
                }
            }
        }
        text += "\r\n"
        var bytes: [UInt8] = [0xff, 0xfe]
        for unit in text.utf16 { bytes.append(UInt8(unit & 0xff)); bytes.append(UInt8(unit >> 8)) }
        return bytes
    }

    static func quotedName(_ name: String) -> String {
        name.isEmpty ? "@" : "\"" + escape(name) + "\""
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    static func line(for value: RegistryValue) -> String {
        let name = quotedName(value.name)
        if value.type == .string, let text = value.stringValue, !text.contains("\0") {
            return name + "=\"" + escape(text) + "\""
        }
        if let number = value.dwordValue, value.type == .dword {
            return name + "=dword:" + String(format: "%08x", number)
        }
        let prefix = value.type == .binary ? "hex:" : "hex(\(String(value.type.rawValue, radix: 16))):"
        var line = name + "=" + prefix
        var column = line.count
        for (index, byte) in value.data.enumerated() {
            line += String(format: "%02x", byte)
            column += 2
            if index < value.data.count - 1 {
                line += ","
                column += 1
                if column >= 77 {
                    line += "\\\r\n  "
                    column = 2
                }
            }
        }
        return line
    }
}
