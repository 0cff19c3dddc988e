import Foundation

/// A registry value type as Windows numbers it. Any 32-bit number is legal (Wine stores
/// DEVPROPTYPE-typed values such as `hex(ffff0007)`), so this is a number with names, not a closed enum.
public struct RegistryValueType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let none = RegistryValueType(rawValue: 0)
    public static let string = RegistryValueType(rawValue: 1)
    public static let expandString = RegistryValueType(rawValue: 2)
    public static let binary = RegistryValueType(rawValue: 3)
    public static let dword = RegistryValueType(rawValue: 4)
    public static let dwordBigEndian = RegistryValueType(rawValue: 5)
    public static let link = RegistryValueType(rawValue: 6)
    public static let multiString = RegistryValueType(rawValue: 7)
    public static let resourceList = RegistryValueType(rawValue: 8)
    public static let fullResourceDescriptor = RegistryValueType(rawValue: 9)
    public static let resourceRequirementsList = RegistryValueType(rawValue: 10)
    public static let qword = RegistryValueType(rawValue: 11)

    /// The `REG_…` name, or the number in hex for types Windows has no name for.
    public var name: String {
        switch rawValue {
        case 0: return "REG_NONE"
        case 1: return "REG_SZ"
        case 2: return "REG_EXPAND_SZ"
        case 3: return "REG_BINARY"
        case 4: return "REG_DWORD"
        case 5: return "REG_DWORD_BIG_ENDIAN"
        case 6: return "REG_LINK"
        case 7: return "REG_MULTI_SZ"
        case 8: return "REG_RESOURCE_LIST"
        case 9: return "REG_FULL_RESOURCE_DESCRIPTOR"
        case 10: return "REG_RESOURCE_REQUIREMENTS_LIST"
        case 11: return "REG_QWORD"
        default: return "0x" + String(rawValue, radix: 16)
        }
    }

    /// Parses a `REG_…` name or a hex number such as `0xffff0007`.
    public init?(name: String) {
        let upper = name.uppercased()
        for raw in UInt32(0)...11 where RegistryValueType(rawValue: raw).name == upper {
            self.init(rawValue: raw)
            return
        }
        if upper.hasPrefix("0X"), let raw = UInt32(upper.dropFirst(2), radix: 16) {
            self.init(rawValue: raw)
            return
        }
        return nil
    }

    public var isStringType: Bool { self == .string || self == .expandString || self == .multiString }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One named value. `data` holds the bytes exactly as Windows stores them (strings are UTF-16LE
/// with their terminating NUL), so that every codec can reproduce what it read, including strings
/// that are not NUL-terminated and odd-sized DWORDs that Wine and regedit keep as hex.
public struct RegistryValue: Hashable, Sendable {
    /// Empty for the key's default value.
    public var name: String
    public var type: RegistryValueType
    public var data: [UInt8]

    public init(name: String, type: RegistryValueType, data: [UInt8]) {
        self.name = name
        self.type = type
        self.data = data
    }

    public init(name: String, string: String, type: RegistryValueType = .string) {
        self.init(name: name, type: type, data: RegistryValue.utf16LEBytes(string, terminated: true))
    }

    public init(name: String, dword: UInt32) {
        self.init(name: name, type: .dword, data: withUnsafeBytes(of: dword.littleEndian) { Array($0) })
    }

    public init(name: String, qword: UInt64) {
        self.init(name: name, type: .qword, data: withUnsafeBytes(of: qword.littleEndian) { Array($0) })
    }

    public init(name: String, multiString: [String]) {
        var data: [UInt8] = []
        for item in multiString { data += RegistryValue.utf16LEBytes(item, terminated: true) }
        data += [0, 0]
        self.init(name: name, type: .multiString, data: data)
    }

    /// The text of a REG_SZ/REG_EXPAND_SZ/REG_LINK value, without the terminating NUL.
    public var stringValue: String? {
        guard type.isStringType || type == .link, data.count % 2 == 0 else { return nil }
        var units = RegistryValue.utf16Units(data)
        if type != .link, let last = units.last, last == 0 { units.removeLast() }
        if type == .multiString { return nil }
        return String(decoding: units, as: UTF16.self)
    }

    /// The strings of a REG_MULTI_SZ value (an empty final string is the list terminator).
    public var multiStringValue: [String]? {
        guard type == .multiString, data.count % 2 == 0 else { return nil }
        var units = RegistryValue.utf16Units(data)
        while let last = units.last, last == 0 { units.removeLast() }
        if units.isEmpty { return [] }
        return units.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF16.self) }
    }

    public var dwordValue: UInt32? {
        guard data.count == 4, type == .dword || type == .dwordBigEndian else { return nil }
        let value = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
        return type == .dwordBigEndian ? value.byteSwapped : value
    }

    public var qwordValue: UInt64? {
        guard data.count == 8, type == .qword else { return nil }
        return data.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    static func utf16LEBytes(_ string: String, terminated: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf16.count * 2 + 2)
        for unit in string.utf16 { bytes.append(UInt8(unit & 0xff)); bytes.append(UInt8(unit >> 8)) }
        if terminated { bytes += [0, 0] }
        return bytes
    }

    static func utf16Units(_ bytes: [UInt8]) -> [UInt16] {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = 0
        while index + 1 < bytes.count {
            units.append(UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
            index += 2
        }
        return units
    }
}

/// Registry names compare case-insensitively, code unit by code unit, the way Wine's
/// `memicmp_strW` does: the common prefix first, then the shorter name sorts first.
public enum RegistryName {
    @inline(__always)
    static func fold(_ unit: UInt16) -> UInt16 {
        if unit < 0x80 {
            return unit >= 0x41 && unit <= 0x5a ? unit + 0x20 : unit
        }
        return foldNonASCII(unit)
    }

    static func foldNonASCII(_ unit: UInt16) -> UInt16 {
        guard let scalar = Unicode.Scalar(unit) else { return unit }
        let lower = scalar.properties.lowercaseMapping.utf16
        return lower.count == 1 ? lower.first! : unit
    }

    /// Negative, zero or positive like `memicmp_strW` followed by a length comparison.
    public static func compare(_ lhs: String, _ rhs: String) -> Int {
        // Fast path for the common all-ASCII names: compare the UTF-8 storage directly.
        var lhs = lhs, rhs = rhs
        if let result = lhs.withUTF8({ left in rhs.withUTF8({ right in compareASCII(left, right) }) }) { return result }
        var left = lhs.utf16.makeIterator()
        var right = rhs.utf16.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (l?, r?):
                if l == r { continue }
                let fl = fold(l), fr = fold(r)
                if fl != fr { return Int(fl) - Int(fr) }
            }
        }
    }

    public static func equal(_ lhs: String, _ rhs: String) -> Bool { compare(lhs, rhs) == 0 }

    /// Whether the key path `prefix` is `path` or one of its ancestors, each name compared as the registry does.
    public static func isPrefix(_ prefix: [String], of path: [String]) -> Bool {
        prefix.count <= path.count && zip(prefix, path).allSatisfy { equal($0, $1) }
    }

    /// nil as soon as a non-ASCII byte is met before the names differ (UTF-16 order then decides).
    @inline(__always)
    static func compareASCII(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = min(left.count, right.count)
        var index = 0
        while index < count {
            var l = left[index], r = right[index]
            if l >= 0x80 || r >= 0x80 { return nil }
            if l != r {
                if l >= 0x41 && l <= 0x5a { l += 0x20 }
                if r >= 0x41 && r <= 0x5a { r += 0x20 }
                if l != r { return Int(l) - Int(r) }
            }
            index += 1
        }
        return left.count - right.count
    }
}

/// A registry key: case-preserving name, values and subkeys kept in Wine's sort order, and the
/// metadata Wine keeps on disk (`#time`, `#class`, `#link`).
public struct RegistryKey: Sendable, Equatable {
    public var name: String
    public private(set) var values: [RegistryValue]
    public private(set) var subkeys: [RegistryKey]
    /// Last write time as a FILETIME (100 ns ticks since 1601-01-01 UTC).
    public var lastWriteTime: UInt64
    /// The key's class string (`#class=` in a Wine hive).
    public var className: String?
    /// A symbolic link key (`#link`); its target is the REG_LINK value `SymbolicLinkValue`.
    public var isSymbolicLink: Bool

    public init(name: String, lastWriteTime: UInt64 = 0) {
        self.name = name
        self.values = []
        self.subkeys = []
        self.lastWriteTime = lastWriteTime
        self.className = nil
        self.isSymbolicLink = false
    }

    /// Now as a FILETIME.
    public static func currentFileTime() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 10_000_000 + UInt64(spec.tv_nsec / 100) + fileTimeOf1970
    }

    /// FILETIME ticks between 1601-01-01 and 1970-01-01.
    public static let fileTimeOf1970: UInt64 = 116_444_736_000_000_000

    // MARK: Values

    public func value(named name: String) -> RegistryValue? {
        let (found, index) = RegistryKey.search(values, name, \.name)
        return found ? values[index] : nil
    }

    public var defaultValue: RegistryValue? { value(named: "") }

    /// Sets a value (replacing one of the same name regardless of case, keeping the new spelling)
    /// and marks the key written at `time`.
    public mutating func setValue(_ value: RegistryValue, at time: UInt64? = nil) {
        insertValue(value)
        lastWriteTime = time ?? RegistryKey.currentFileTime()
    }

    /// Inserts without touching the write time (codecs use this while loading).
    mutating func insertValue(_ value: RegistryValue) {
        if let last = values.last {
            let order = RegistryName.compare(last.name, value.name)
            if order < 0 { values.append(value); return }
            if order == 0 { values[values.count - 1] = value; return }
        } else {
            values.append(value)
            return
        }
        let (found, index) = RegistryKey.search(values, value.name, \.name)
        if found { values[index] = value } else { values.insert(value, at: index) }
    }

    @discardableResult
    public mutating func removeValue(named name: String, at time: UInt64? = nil) -> RegistryValue? {
        let (found, index) = RegistryKey.search(values, name, \.name)
        guard found else { return nil }
        lastWriteTime = time ?? RegistryKey.currentFileTime()
        return values.remove(at: index)
    }

    public mutating func removeAllValues(at time: UInt64? = nil) {
        guard !values.isEmpty else { return }
        values.removeAll()
        lastWriteTime = time ?? RegistryKey.currentFileTime()
    }

    // MARK: Subkeys

    public func subkey(named name: String) -> RegistryKey? {
        let (found, index) = RegistryKey.search(subkeys, name, \.name)
        return found ? subkeys[index] : nil
    }

    /// The key at a relative path (components separated by `\`), or nil.
    public func key(at path: String) -> RegistryKey? {
        key(atComponents: RegistryKey.components(of: path)[...])
    }

    public func key<C: Collection>(atComponents components: C) -> RegistryKey? where C.Element == String {
        var current = self
        for component in components {
            guard let next = current.subkey(named: component) else { return nil }
            current = next
        }
        return current
    }

    /// Runs `body` on the key at `components`, creating missing keys (stamped `time`) on the way.
    @discardableResult
    public mutating func withKey<R>(
        creating components: ArraySlice<String>, at time: UInt64? = nil,
        _ body: (inout RegistryKey) throws -> R
    ) rethrows -> R {
        guard let first = components.first else { return try body(&self) }
        let index = subkeyIndex(creating: first, time: time)
        return try subkeys[index].withKey(creating: components.dropFirst(), at: time, body)
    }

    /// Runs `body` on an existing key; returns nil when the path does not exist.
    @discardableResult
    public mutating func withExistingKey<R>(
        _ components: ArraySlice<String>, _ body: (inout RegistryKey) throws -> R
    ) rethrows -> R? {
        guard let first = components.first else { return try body(&self) }
        let (found, index) = RegistryKey.search(subkeys, first, \.name)
        guard found else { return nil }
        return try subkeys[index].withExistingKey(components.dropFirst(), body)
    }

    /// Index of the named subkey, created if missing. Creating a subkey touches this key, as in Wine.
    mutating func subkeyIndex(creating name: String, time: UInt64?) -> Int {
        if let last = subkeys.last {
            let order = RegistryName.compare(last.name, name)
            if order == 0 { return subkeys.count - 1 }
            if order < 0 {
                appendNewSubkey(name, time: time)
                return subkeys.count - 1
            }
        } else {
            appendNewSubkey(name, time: time)
            return 0
        }
        let (found, index) = RegistryKey.search(subkeys, name, \.name)
        if found { return index }
        let stamp = time ?? RegistryKey.currentFileTime()
        subkeys.insert(RegistryKey(name: name, lastWriteTime: stamp), at: index)
        lastWriteTime = max(lastWriteTime, stamp)
        return index
    }

    private mutating func appendNewSubkey(_ name: String, time: UInt64?) {
        let stamp = time ?? RegistryKey.currentFileTime()
        subkeys.append(RegistryKey(name: name, lastWriteTime: stamp))
        lastWriteTime = max(lastWriteTime, stamp)
    }

    /// Adds a subkey tree read from a file; a key of the same name already present is merged,
    /// the added one winning for values and (when set) for its write time, as a later section
    /// of a Wine hive does.
    public mutating func mergeSubkey(_ key: RegistryKey) {
        if let last = subkeys.last, RegistryName.compare(last.name, key.name) < 0 {
            subkeys.append(key)
            return
        }
        let (found, index) = RegistryKey.search(subkeys, key.name, \.name)
        guard found else {
            subkeys.insert(key, at: index)
            return
        }
        for value in key.values { subkeys[index].insertValue(value) }
        if key.lastWriteTime != 0 { subkeys[index].lastWriteTime = key.lastWriteTime }
        if let className = key.className { subkeys[index].className = className }
        if key.isSymbolicLink { subkeys[index].isSymbolicLink = true }
        for child in key.subkeys { subkeys[index].mergeSubkey(child) }
    }

    /// Inserts or replaces a whole subkey tree.
    public mutating func setSubkey(_ key: RegistryKey) {
        let (found, index) = RegistryKey.search(subkeys, key.name, \.name)
        if found { subkeys[index] = key } else { subkeys.insert(key, at: index) }
    }

    @discardableResult
    public mutating func removeSubkey(named name: String, at time: UInt64? = nil) -> RegistryKey? {
        let (found, index) = RegistryKey.search(subkeys, name, \.name)
        guard found else { return nil }
        lastWriteTime = time ?? RegistryKey.currentFileTime()
        return subkeys.remove(at: index)
    }

    /// Removes the key at a relative path with its whole tree; false when it did not exist.
    @discardableResult
    public mutating func removeKey(at components: ArraySlice<String>, at time: UInt64? = nil) -> Bool {
        guard let last = components.last else { return false }
        let removed = withExistingKey(components.dropLast()) { $0.removeSubkey(named: last, at: time) != nil }
        return removed ?? false
    }

    /// Keys and values in this tree, this key included.
    public var treeCounts: (keys: Int, values: Int) {
        var keys = 1, valueCount = values.count
        for subkey in subkeys {
            let counts = subkey.treeCounts
            keys += counts.keys
            valueCount += counts.values
        }
        return (keys, valueCount)
    }

    /// Splits `A\B\C` into its components, ignoring empty ones (leading/trailing/double `\`).
    public static func components(of path: String) -> [String] {
        path.split(separator: "\\", omittingEmptySubsequences: true).map(String.init)
    }

    /// Binary search in a Wine-sorted array: (found, index or insertion point).
    static func search<T>(_ items: [T], _ name: String, _ keyPath: KeyPath<T, String>) -> (Bool, Int) {
        var low = 0, high = items.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let order = RegistryName.compare(items[mid][keyPath: keyPath], name)
            if order == 0 { return (true, mid) }
            if order < 0 { low = mid + 1 } else { high = mid - 1 }
        }
        return (false, low)
    }
}
