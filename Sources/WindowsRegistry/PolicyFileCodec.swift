import Foundation

/// Which hive a Registry.pol applies to; Windows decides by the file's folder (`Machine`/`User`).
public enum PolicyScope: String, Sendable, CaseIterable {
    case machine
    case user

    /// `HKEY_LOCAL_MACHINE` or `HKEY_CURRENT_USER`.
    public var root: RegistryRoot { self == .machine ? .localMachine : .currentUser }

    /// The scope a path implies (`…/Machine/Registry.pol`, `…/User/Registry.pol`), if any.
    public init?(filePath: String) {
        let parent = URL(fileURLWithPath: filePath).deletingLastPathComponent().lastPathComponent.lowercased()
        switch parent {
        case "machine": self = .machine
        case "user": self = .user
        default: return nil
        }
    }
}

/// One record of a Registry.pol file: `[key;value;type;size;data]`.
public struct PolicyRecord: Hashable, Sendable {
    public var key: String
    public var valueName: String
    public var type: RegistryValueType
    public var data: [UInt8]

    public init(key: String, valueName: String, type: RegistryValueType, data: [UInt8]) {
        self.key = key
        self.valueName = valueName
        self.type = type
        self.data = data
    }

    public init(key: String, value: RegistryValue) {
        self.init(key: key, valueName: value.name, type: value.type, data: value.data)
    }

    /// What applying the record does, after decoding the `**` markers of [MS-POL]
    /// (compared case-insensitively, as Group Policy does).
    public enum Action: Hashable, Sendable {
        case setValue(RegistryValue)
        /// `**soft.Name`: set only when the value does not exist yet.
        case setValueIfAbsent(RegistryValue)
        /// `**del.Name`
        case deleteValue(String)
        /// `**delvals.`
        case deleteAllValues
        /// `**DeleteValues` with `;`-separated names.
        case deleteValues([String])
        /// `**DeleteKeys` with `;`-separated subkey names.
        case deleteKeys([String])
        /// Key-only record (empty value name, type 0, no data): the key exists, nothing else.
        case createKey
        /// `**SecureKey` and other markers that change no value.
        case noValueChange(String)
    }

    public var action: Action {
        let lower = valueName.lowercased()
        if valueName.isEmpty && data.isEmpty { return .createKey }
        if lower.hasPrefix("**del.") { return .deleteValue(String(valueName.dropFirst(6))) }
        if lower.hasPrefix("**delvals") { return .deleteAllValues }
        if lower == "**deletevalues" { return .deleteValues(listedNames) }
        if lower == "**deletekeys" { return .deleteKeys(listedNames) }
        if lower.hasPrefix("**soft.") {
            return .setValueIfAbsent(RegistryValue(name: String(valueName.dropFirst(7)), type: type, data: data))
        }
        if lower.hasPrefix("**") { return .noValueChange(valueName) }
        return .setValue(RegistryValue(name: valueName, type: type, data: data))
    }

    private var listedNames: [String] {
        let text = RegistryValue(name: "", type: .string, data: data).stringValue ?? ""
        return text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A Registry.pol file: its records in file order.
public struct PolicyFile: Hashable, Sendable {
    public var records: [PolicyRecord]
    public init(records: [PolicyRecord] = []) { self.records = records }

    /// Applies the records in order to a hive root (the HKLM or HKCU key tree).
    public func apply(to root: inout RegistryKey, at time: UInt64? = nil) {
        for record in records {
            let path = RegistryKey.components(of: record.key)[...]
            switch record.action {
            case .setValue(let value):
                root.withKey(creating: path, at: time) { $0.setValue(value, at: time) }
            case .setValueIfAbsent(let value):
                root.withKey(creating: path, at: time) { key in
                    if key.value(named: value.name) == nil { key.setValue(value, at: time) }
                }
            case .deleteValue(let name):
                root.withExistingKey(path) { $0.removeValue(named: name, at: time) }
            case .deleteAllValues:
                root.withExistingKey(path) { $0.removeAllValues(at: time) }
            case .deleteValues(let names):
                root.withExistingKey(path) { key in for name in names { key.removeValue(named: name, at: time) } }
            case .deleteKeys(let names):
                root.withExistingKey(path) { key in for name in names { key.removeSubkey(named: name, at: time) } }
            case .createKey:
                root.withKey(creating: path, at: time) { _ in }
            case .noValueChange:
                break
            }
        }
    }
}

/// The PReg format of [MS-GPREG]: `PReg`, version 1, then UTF-16LE records.
public enum PolicyFileCodec {
    static let signature: [UInt8] = [0x50, 0x52, 0x65, 0x67]

    public static func decode(_ bytes: [UInt8], fileName: String) throws -> PolicyFile {
        func fail(_ problem: MalformedRegistryInput) -> RegistryError { .malformed(file: fileName, line: 0, problem: problem) }
        guard bytes.count >= 8, Array(bytes[0..<4]) == signature else { throw fail(.policySignature) }
        let version = readUInt32(bytes, at: 4)
        if version != 1 {
            // A text-mode conversion turns every NUL into a space: version 01 00 00 00 → 01 20 20 20.
            if bytes[5] == 0x20 && bytes[6] == 0x20 && bytes[7] == 0x20 { throw fail(.policyNulBytesReplacedBySpaces) }
            throw fail(.policyVersion(version))
        }
        var records: [PolicyRecord] = []
        var index = 8
        while index < bytes.count {
            let recordStart = index
            func expect(_ character: UInt8, _ name: String) throws {
                guard index + 1 < bytes.count else { throw fail(.policyRecordTruncated(offset: recordStart)) }
                guard bytes[index] == character, bytes[index + 1] == 0 else {
                    throw fail(.policyRecordSyntax(offset: index, expected: name))
                }
                index += 2
            }
            func string() throws -> String {
                var units: [UInt16] = []
                while true {
                    guard index + 1 < bytes.count else { throw fail(.policyRecordTruncated(offset: recordStart)) }
                    let unit = UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
                    index += 2
                    if unit == 0 { return String(decoding: units, as: UTF16.self) }
                    units.append(unit)
                }
            }
            func number() throws -> UInt32 {
                guard index + 4 <= bytes.count else { throw fail(.policyRecordTruncated(offset: recordStart)) }
                defer { index += 4 }
                return readUInt32(bytes, at: index)
            }
            try expect(0x5b, "'[' (5B 00)")
            let key = try string()
            try expect(0x3b, "';' (3B 00) after the key")
            let valueName = try string()
            try expect(0x3b, "';' (3B 00) after the value name")
            let type = try number()
            try expect(0x3b, "';' (3B 00) after the type")
            let size = Int(try number())
            try expect(0x3b, "';' (3B 00) after the size")
            guard size <= bytes.count - index else { throw fail(.policyRecordTruncated(offset: recordStart)) }
            let data = Array(bytes[index..<(index + size)])
            index += size
            try expect(0x5d, "']' (5D 00) closing the record")
            records.append(PolicyRecord(key: key, valueName: valueName, type: RegistryValueType(rawValue: type), data: data))
        }
        return PolicyFile(records: records)
    }

    public static func encode(_ file: PolicyFile) -> [UInt8] {
        var output = signature + [1, 0, 0, 0]
        func string(_ text: String) { output += RegistryValue.utf16LEBytes(text, terminated: true) }
        func number(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { output += $0 } }
        for record in file.records {
            output += [0x5b, 0]
            string(record.key)
            output += [0x3b, 0]
            string(record.valueName)
            output += [0x3b, 0]
            number(record.type.rawValue)
            output += [0x3b, 0]
            number(UInt32(record.data.count))
            output += [0x3b, 0]
            output += record.data
            output += [0x5d, 0]
        }
        return output
    }

    /// Records that set every value of `key`'s tree (key paths relative to the hive root),
    /// and a key-free tree yields nothing: MS-GPREG requires a value name.
    public static func records(for key: RegistryKey, path: String) -> [PolicyRecord] {
        var records = key.values.map { PolicyRecord(key: path, value: $0) }
        for subkey in key.subkeys {
            records += Self.records(for: subkey, path: path.isEmpty ? subkey.name : path + "\\" + subkey.name)
        }
        return records
    }

    static func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
    }
}
