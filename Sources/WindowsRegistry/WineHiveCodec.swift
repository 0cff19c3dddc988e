import Foundation

/// One Wine registry file (`system.reg`, `user.reg`, `userdef.reg`): the lines before the first
/// key exactly as read, and the key tree relative to the file's root.
public struct WineHive: Sendable, Equatable {
    /// Everything before the first key (format line, `;; All keys relative to …`, `#arch=`),
    /// without the blank line Wine writes before each key. Kept as bytes so that an unmodified
    /// hive is written back byte for byte.
    public var header: [UInt8]
    public var root: RegistryKey

    public init(header: [UInt8], root: RegistryKey) {
        self.header = header
        self.root = root
    }

    /// A new, empty hive with the header Wine 8 writes, e.g. `relativeTo: "REGISTRY\\Machine"`.
    public init(relativeTo: String, architecture: String = "win64") {
        var text = "WINE REGISTRY Version 2\n;; All keys relative to "
        text += relativeTo.replacingOccurrences(of: "\\", with: "\\\\")
        text += "\n\n#arch=\(architecture)\n"
        self.init(header: Array(text.utf8), root: RegistryKey(name: ""))
    }

    /// The `#arch=` global option, if the header has one.
    public var architecture: String? {
        for line in String(decoding: header, as: UTF8.self).split(separator: "\n") where line.hasPrefix("#arch=") {
            return String(line.dropFirst(6)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

/// Reads and writes Wine's registry text format the way Wine 8's wineserver does
/// (`server/registry.c` load_keys/save_all_subkeys, `server/unicode.c` dump_strW/parse_strW).
/// Works on bytes: a 40 MB `system.reg` must parse in well under a second.
public enum WineHiveCodec {
    /// Physical lines longer than this are refused rather than buffered without bound.
    public static let maximumLineLength = 4 * 1024 * 1024

    public static func decode(_ bytes: [UInt8], fileName: String) throws -> WineHive {
        try decode(bytes, fileName: fileName, onlyBelow: nil)
    }

    /// Decodes straight from (possibly memory-mapped) file data, without copying it.
    public static func decode(_ data: Data, fileName: String, onlyBelow: [String]? = nil) throws -> WineHive {
        try decode(data, fileName: fileName, onlyBelowAny: onlyBelow.map { [$0] })
    }

    /// Reads only the keys at or below `onlyBelow` (and their ancestors); the lines of other keys
    /// are skipped unparsed, so one key of a 40 MB hive is found at the speed of a line scan.
    public static func decode(_ bytes: [UInt8], fileName: String, onlyBelow: [String]?) throws -> WineHive {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = WineHiveParser(bytes: buffer, fileName: fileName)
            parser.filter = onlyBelow.map { [$0] }
            return try parser.parse()
        }
    }

    /// Reads only the keys at or below any of `onlyBelowAny` (and their ancestors, with their values but
    /// only the subkeys on the way). Lines of other keys are skipped unparsed and unchecked: a malformed line
    /// there is not reported, as it is not read. nil reads everything.
    public static func decode(_ data: Data, fileName: String, onlyBelowAny: [[String]]?) throws -> WineHive {
        try decode(data, fileName: fileName, onlyBelowAny: onlyBelowAny, excluding: [])
    }

    /// As above, leaving out the keys below any of `excluding` that lies inside a subtree read, unless one of
    /// `onlyBelowAny` lies at or below them: a large branch no reader needs (COM interfaces in
    /// `Software\Classes`) is skipped like a key outside the subtrees. The branch's own key is read (with its
    /// values), and exists whenever a key below it does, as in the whole tree: a lookup that passes it (the
    /// 32-bit view's fallback from `Classes\Wow6432Node` to `Classes`) finds what it would find there.
    ///
    /// `passed` is told, every few megabytes and at the end, how far into the file the parser has gone: it reads
    /// nothing before that offset again but for the header and an error's line number.
    public static func decode(
        _ data: Data, fileName: String, onlyBelowAny: [[String]]?, excluding: [[String]], passed: ((Int) -> Void)? = nil
    ) throws -> WineHive {
        try data.withUnsafeBytes { raw in
            var parser = WineHiveParser(bytes: raw.bindMemory(to: UInt8.self), fileName: fileName)
            parser.filter = onlyBelowAny
            parser.excluded = onlyBelowAny == nil ? [] : excluding
            parser.passed = passed
            let hive = try parser.parse()
            passed?(raw.count)
            return hive
        }
    }

    public static func encode(_ hive: WineHive) -> [UInt8] {
        var writer = WineHiveWriter()
        writer.output.reserveCapacity(hive.header.count + 1 << 16)
        writer.output += hive.header
        writer.writeSubkeys(of: hive.root, path: [])
        return writer.output
    }
}

// MARK: - Reading

enum ASCII {
    static let newline: UInt8 = 0x0a, carriageReturn: UInt8 = 0x0d, space: UInt8 = 0x20, tab: UInt8 = 0x09
    static let quote: UInt8 = 0x22, hash: UInt8 = 0x23, comma: UInt8 = 0x2c, semicolon: UInt8 = 0x3b
    static let equals: UInt8 = 0x3d, at: UInt8 = 0x40, openBracket: UInt8 = 0x5b, backslash: UInt8 = 0x5c
    static let closeBracket: UInt8 = 0x5d, colon: UInt8 = 0x3a, openParen: UInt8 = 0x28, closeParen: UInt8 = 0x29

    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    @inline(__always) static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
}

/// Decodes the escapes of Wine's `parse_strW` and UTF-8 raw bytes into UTF-16 code units.
struct WineStringScanner {
    /// Scans from `start` up to the unescaped `delimiter`; returns the index after it, or nil if missing.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, delimiter: UInt8, into units: inout [UInt16]
    ) -> Int? {
        var index = start
        while index < end {
            let byte = bytes[index]
            if byte == delimiter { return index + 1 }
            if byte == ASCII.backslash {
                index += 1
                guard index < end else { return nil }
                let escaped = bytes[index]
                switch escaped {
                case UInt8(ascii: "a"): units.append(7); index += 1
                case UInt8(ascii: "b"): units.append(8); index += 1
                case UInt8(ascii: "e"): units.append(27); index += 1
                case UInt8(ascii: "f"): units.append(12); index += 1
                case UInt8(ascii: "n"): units.append(10); index += 1
                case UInt8(ascii: "r"): units.append(13); index += 1
                case UInt8(ascii: "t"): units.append(9); index += 1
                case UInt8(ascii: "v"): units.append(11); index += 1
                case UInt8(ascii: "x"):
                    index += 1
                    var value: UInt16 = 0, digits = 0
                    while digits < 4, index < end, let digit = ASCII.hexValue(bytes[index]) {
                        value = value << 4 | UInt16(digit)
                        digits += 1
                        index += 1
                    }
                    // `\x` without digits stands for the letter itself, as in Wine.
                    units.append(digits == 0 ? UInt16(UInt8(ascii: "x")) : value)
                case 0x30...0x37:
                    var value: UInt16 = 0, digits = 0
                    while digits < 3, index < end, bytes[index] >= 0x30, bytes[index] <= 0x37 {
                        value = value << 3 | UInt16(bytes[index] - 0x30)
                        digits += 1
                        index += 1
                    }
                    units.append(value)
                default:
                    index = appendCharacter(bytes, at: index, end: end, into: &units)
                }
                continue
            }
            index = appendCharacter(bytes, at: index, end: end, into: &units)
        }
        return nil
    }

    /// Appends one character (ASCII or a UTF-8 sequence); invalid UTF-8 bytes are dropped like Wine does.
    @inline(__always)
    static func appendCharacter(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int, into units: inout [UInt16]) -> Int {
        let lead = bytes[index]
        if lead < 0x80 {
            units.append(UInt16(lead))
            return index + 1
        }
        let length: Int, initial: UInt32
        switch lead {
        case 0xc2...0xdf: length = 2; initial = UInt32(lead & 0x1f)
        case 0xe0...0xef: length = 3; initial = UInt32(lead & 0x0f)
        case 0xf0...0xf4: length = 4; initial = UInt32(lead & 0x07)
        default: return index + 1
        }
        guard index + length <= end else { return index + 1 }
        var scalar = initial
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xc0 == 0x80 else { return index + 1 }
            scalar = scalar << 6 | UInt32(continuation & 0x3f)
        }
        if scalar >= 0x10000 {
            let value = scalar - 0x10000
            units.append(UInt16(0xd800 + (value >> 10)))
            units.append(UInt16(0xdc00 + (value & 0x3ff)))
        } else {
            units.append(UInt16(scalar))
        }
        return index + length
    }
}

private struct WineHiveParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let fileName: String
    var position = 0
    var lineNumber = 0
    var units: [UInt16] = []
    /// Keys from the root down to the last section; a Wine-written file is in depth-first sorted
    /// order, so a finished key is appended to its parent once, without searching the tree.
    var openKeys: [RegistryKey] = [RegistryKey(name: "")]
    var openPath: [String] = []

    // The section being read; flushed into the tree at the next key line or the end.
    var sectionPath: [String]? = nil
    var sectionValues: [RegistryValue] = []
    var sectionTime: UInt64 = 0
    var sectionClass: String? = nil
    var sectionLink = false
    /// Told how far the parser has gone, each time it passes `nextPassed`.
    var passed: ((Int) -> Void)? = nil
    var nextPassed = WineHiveParser.passedStep
    static let passedStep = 4 << 20
    /// Subtrees to read (with their ancestors); nil reads everything.
    var filter: [[String]]? = nil {
        didSet {
            // A subtree below another one in the filter adds nothing to what the bytes can rule out: a line that
            // is neither an ancestor nor a descendant of the outer one is neither of the inner one.
            let outermost = filter?.filter { subtree in
                !(filter ?? []).contains { $0.count < subtree.count && RegistryName.isPrefix($0, of: subtree) }
            }
            guard let escaped = outermost?.map(WineHiveParser.escapedLowercasePath), !escaped.contains(nil) else {
                filterBytes = nil
                return
            }
            filterBytes = escaped.compactMap { $0 }
        }
    }
    /// The filter's paths as Wine writes them, lowercased, when all are plain ASCII: lets a key line be
    /// rejected by comparing bytes, before any String is made.
    var filterBytes: [[UInt8]]? = nil
    /// Branches left out of the filter's subtrees: the keys below one are skipped (the key itself is read, as
    /// the ancestor it is of anything read below it) unless a subtree of the filter lies at or below it.
    var excluded: [[String]] = [] {
        didSet {
            let filter = filter ?? []
            // A branch inside a subtree read that neither holds nor lies in another branch, spelled in names Wine
            // writes as they are (so that its bytes split into them at `\\`), is matched by bytes: a line below
            // it is skipped unless its bytes may match a subtree read below the branch, and the branch's own key
            // is read.
            excludedBytes = excluded.compactMap { branch in
                guard filter.contains(where: { $0.count < branch.count && RegistryName.isPrefix($0, of: branch) }),
                      !excluded.contains(where: { $0 != branch && (RegistryName.isPrefix($0, of: branch) || RegistryName.isPrefix(branch, of: $0)) }),
                      branch.allSatisfy({ name in
                          !name.isEmpty && name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != ASCII.backslash && $0 != ASCII.openBracket && $0 != ASCII.closeBracket }
                      }),
                      let bytes = WineHiveParser.escapedLowercasePath(branch)
                else { return nil }
                let within = filter.filter { $0.count >= branch.count && RegistryName.isPrefix(branch, of: $0) }.map(WineHiveParser.escapedLowercasePath)
                guard !within.contains(nil) else { return nil }
                return (bytes, within.compactMap { $0 })
            }
        }
    }
    /// Those branches that can be matched by bytes, as Wine writes them, lowercased, with the subtrees read
    /// below them: a key line below one that cannot match those is skipped before any String is made.
    var excludedBytes: [(branch: [UInt8], within: [[UInt8]])] = []
    var skipping = false
    /// Set when lines were skipped without counting them; `lineNumber` is then counted when an error needs it.
    var lineNumberStale = false
    /// Where the current line starts.
    var lineStart = 0
    var sawKey = false

    static func escapedLowercasePath(_ components: [String]) -> [UInt8]? {
        guard components.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
        var bytes: [UInt8] = []
        for (index, component) in components.enumerated() {
            if index > 0 { bytes += [ASCII.backslash, ASCII.backslash] }
            WineTextEscaper.append(component.lowercased().utf16, escaping: (ASCII.openBracket, ASCII.closeBracket), to: &bytes)
        }
        return bytes
    }

    enum Reading {
        case read
        case skipped
        /// Skipped as below a branch left out: the longest of its ancestors that is read (the branch's own key)
        /// must still exist, as in the whole tree, for lookups that pass it.
        case leftOut(readAncestor: [String])
    }

    /// Whether a key at `path` is read: it is an ancestor or a descendant of a subtree of the filter, and no
    /// branch left out below that subtree lies above it.
    func reading(_ path: [String]) -> Reading {
        guard let filter else { return .read }
        var leftOut = false
        for wanted in filter {
            let shared = min(wanted.count, path.count)
            guard zip(wanted.prefix(shared), path.prefix(shared)).allSatisfy({ RegistryName.equal($0, $1) }) else { continue }
            if excluded.contains(where: { $0.count > wanted.count && $0.count < path.count && RegistryName.isPrefix(wanted, of: $0) && RegistryName.isPrefix($0, of: path) }) {
                leftOut = true
            } else {
                return .read
            }
        }
        guard leftOut else { return .skipped }
        for count in stride(from: path.count - 1, to: 0, by: -1) {
            if case .read = reading(Array(path.prefix(count))) { return .leftOut(readAncestor: Array(path.prefix(count))) }
        }
        return .skipped
    }

    /// When the key line's path (its bytes from `start`) lies below `branch`: the bytes are the same (ASCII
    /// case aside) and are followed by a separator (`\\`; any other escape would continue the name). Returns
    /// the branch's components as the line spells them.
    func below(_ branch: [UInt8], from start: Int, to end: Int) -> [String]? {
        let next = start + branch.count
        guard next + 1 < end, bytes[next] == ASCII.backslash, bytes[next + 1] == ASCII.backslash else { return nil }
        for index in 0..<branch.count {
            var byte = bytes[start + index]
            if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
            if byte != branch[index] { return nil }
        }
        var components: [String] = []
        var componentStart = start, index = start
        while index <= next {
            if index == next || bytes[index] == ASCII.backslash {
                components.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[componentStart..<index]), as: UTF8.self))
                index += 2
                componentStart = index
            } else {
                index += 1
            }
        }
        return components
    }

    /// Opens the key at `path` (and its ancestors) as the whole parse would have created it on the way to a
    /// key below it: values and times come only from its own section.
    mutating func openKey(_ path: [String]) {
        var common = 0
        while common < path.count, common < openPath.count, RegistryName.equal(path[common], openPath[common]) { common += 1 }
        guard common < path.count else { return }
        closeKeys(to: common)
        for component in path[common...] {
            openKeys.append(RegistryKey(name: component))
            openPath.append(component)
        }
    }

    /// True when the key line's path can be neither an ancestor nor a descendant of any of `filters`.
    func cannotMatchAny(_ filters: [[UInt8]], from start: Int, to end: Int) -> Bool {
        filters.allSatisfy { cannotMatch($0, from: start, to: end) }
    }

    /// True when the key line's path can be neither an ancestor nor a descendant of the filter: the bytes
    /// differ (ASCII case aside) before either path ends, and the line has not stopped deciding by then (an
    /// unescaped `]`, a byte that is not ASCII). Eight bytes at a time: a 40 MB hive has tens of thousands of
    /// key lines, each asked about every filter.
    func cannotMatch(_ filter: [UInt8], from start: Int, to end: Int) -> Bool {
        let shared = min(filter.count, end - start)
        guard shared > 0, let base = bytes.baseAddress else { return false }
        let line = UnsafeRawPointer(base + start)
        let first = filter.withUnsafeBytes { wanted -> Int in
            var offset = 0
            while offset + 8 <= shared {
                let difference = Self.lowercased(line.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    ^ wanted.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if difference != 0 { return offset + difference.trailingZeroBitCount / 8 }
                offset += 8
            }
            while offset < shared {
                var byte = line.load(fromByteOffset: offset, as: UInt8.self)
                if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
                if byte != wanted[offset] { return offset }
                offset += 1
            }
            return shared
        }
        guard first < shared else { return false }
        // The filter holds neither an unescaped `]` nor a byte that is not ASCII, so where the line stops
        // deciding is a difference itself: it can only be this first one.
        let byte = bytes[start + first]
        if byte >= 0x80 { return false }
        return !(byte == ASCII.closeBracket && (first == 0 || bytes[start + first - 1] != ASCII.backslash))
    }

    /// The eight bytes with `A`–`Z` made lowercase and every other byte as it is.
    @inline(__always)
    static func lowercased(_ word: UInt64) -> UInt64 {
        let low7 = word & 0x7f7f_7f7f_7f7f_7f7f
        let aboveZ = low7 &+ 0x2525_2525_2525_2525, atLeastA = low7 &+ 0x3f3f_3f3f_3f3f_3f3f
        let upper = atLeastA & ~aboveZ & ~word & 0x8080_8080_8080_8080
        return word | (upper &>> 2)
    }

    init(bytes: UnsafeBufferPointer<UInt8>, fileName: String) {
        self.bytes = bytes
        self.fileName = fileName
    }

    func fail(_ problem: MalformedRegistryInput, line: Int? = nil) -> RegistryError {
        .malformed(file: fileName, line: line ?? currentLineNumber, problem: problem)
    }

    /// The current line's number; after a skip, counted from the start (only an error asks for it).
    var currentLineNumber: Int {
        guard lineNumberStale else { return lineNumber }
        return 1 + bytes[0..<lineStart].reduce(0) { $0 + ($1 == ASCII.newline ? 1 : 0) }
    }

    /// Moves to the next line that opens a key (`[` after blanks), without reading the lines between: the
    /// keys being skipped are not read, so their values need no line-by-line scan.
    mutating func skipToNextKeyLine() {
        guard let base = bytes.baseAddress else { return }
        var search = position
        while search < bytes.count, let found = memchr(base + search, Int32(ASCII.openBracket), bytes.count - search) {
            let bracket = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var start = bracket
            while start > position, ASCII.isBlank(bytes[start - 1]) { start -= 1 }
            if start == 0 || bytes[start - 1] == ASCII.newline {
                if start > position { lineNumberStale = true }
                position = max(start, position)
                return
            }
            search = bracket + 1
        }
        lineNumberStale = true
        position = bytes.count
    }

    /// Next physical line as [start, end) without `\n` and one trailing `\r`; nil at the end.
    mutating func nextLine() throws -> (start: Int, end: Int)? {
        guard position < bytes.count else { return nil }
        if position >= nextPassed, let passed {
            passed(position)
            nextPassed = position + Self.passedStep
        }
        lineNumber += 1
        let start = position
        lineStart = start
        var end: Int
        if let base = bytes.baseAddress, let found = memchr(base + start, Int32(ASCII.newline), bytes.count - start) {
            end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            position = end + 1
        } else {
            end = bytes.count
            position = bytes.count
        }
        if end - start > WineHiveCodec.maximumLineLength { throw fail(.lineTooLong(limit: WineHiveCodec.maximumLineLength)) }
        if end > start, bytes[end - 1] == ASCII.carriageReturn { end -= 1 }
        return (start, end)
    }

    mutating func parse() throws -> WineHive {
        guard let first = try nextLine(),
              Array(bytes[first.start..<first.end]) == Array("WINE REGISTRY Version 2".utf8)
        else { throw fail(.wineHeader, line: 1) }
        var headerEnd = bytes.count
        while let line = try nextLine() {
            var index = line.start
            while index < line.end, ASCII.isBlank(bytes[index]) { index += 1 }
            guard index < line.end else { continue }
            if skipping && bytes[index] != ASCII.openBracket {
                skipToNextKeyLine()
                continue
            }
            switch bytes[index] {
            case ASCII.openBracket:
                if !sawKey { headerEnd = line.start }
                sawKey = true
                flushSection()
                if let filterBytes, cannotMatchAny(filterBytes, from: index + 1, to: line.end) {
                    skipping = true
                    skipToNextKeyLine()
                    continue
                }
                var leftOutBranch: [String]? = nil
                for (branch, within) in excludedBytes {
                    leftOutBranch = below(branch, from: index + 1, to: line.end)
                    if leftOutBranch != nil {
                        if !cannotMatchAny(within, from: index + 1, to: line.end) { leftOutBranch = nil }
                        break
                    }
                }
                if let branch = leftOutBranch {
                    openKey(branch)
                    skipping = true
                    skipToNextKeyLine()
                    continue
                }
                try parseKeyLine(from: index + 1, to: line.end)
                if filter != nil, let path = sectionPath {
                    switch reading(path) {
                    case .read:
                        skipping = false
                    case .skipped:
                        skipping = true
                    case .leftOut(let ancestor):
                        skipping = true
                        openKey(ancestor)
                    }
                    if skipping { sectionPath = nil }
                }
            case ASCII.at, ASCII.quote:
                guard sectionPath != nil else { throw fail(.valueWithoutKey) }
                try parseValueLine(from: index, to: line.end)
            case ASCII.hash:
                if sectionPath != nil { try parseKeyOption(from: index + 1, to: line.end) }
            case ASCII.semicolon:
                continue
            default:
                throw fail(.unrecognizedLine)
            }
        }
        flushSection()
        closeKeys(to: 0)
        let root = openKeys[0]
        var header = Array(bytes[0..<headerEnd])
        // The blank line before the first key belongs to that key ("\n[" in Wine's writer); a file
        // without keys is all header.
        if headerEnd < bytes.count, header.count >= 2, header[header.count - 1] == ASCII.newline, header[header.count - 2] == ASCII.newline {
            header.removeLast()
        }
        return WineHive(header: header, root: root)
    }

    /// Closes open keys down to `depth`, attaching each to its parent.
    mutating func closeKeys(to depth: Int) {
        while openPath.count > depth {
            let finished = openKeys.removeLast()
            openPath.removeLast()
            openKeys[openKeys.count - 1].mergeSubkey(finished)
        }
    }

    mutating func flushSection() {
        guard let path = sectionPath else { return }
        var common = 0
        while common < path.count, common < openPath.count, RegistryName.equal(path[common], openPath[common]) { common += 1 }
        closeKeys(to: common)
        for component in path[common...] {
            openKeys.append(RegistryKey(name: component))
            openPath.append(component)
        }
        let index = openKeys.count - 1
        for value in sectionValues { openKeys[index].insertValue(value) }
        openKeys[index].lastWriteTime = sectionTime
        if let sectionClass { openKeys[index].className = sectionClass }
        if sectionLink { openKeys[index].isSymbolicLink = true }
        sectionValues.removeAll(keepingCapacity: true)
        sectionPath = nil
        sectionClass = nil
        sectionLink = false
    }

    /// A name made only of plain ASCII (no escapes) becomes a String straight from the bytes.
    func plainName(from start: Int, to end: Int, delimiter: UInt8) -> (String, Int)? {
        var index = start
        while index < end {
            let byte = bytes[index]
            if byte == delimiter {
                return (String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self), index + 1)
            }
            if byte == ASCII.backslash || byte >= 0x80 { return nil }
            index += 1
        }
        return nil
    }

    /// Components of a key path made of plain ASCII names joined by `\\`, straight from the bytes;
    /// nil when any other escape or a non-ASCII byte needs the full scanner.
    func plainKeyPath(from start: Int, to end: Int) -> ([String], Int)? {
        var components: [String] = []
        var componentStart = start, index = start
        while index < end {
            let byte = bytes[index]
            if byte == ASCII.closeBracket || byte == ASCII.backslash {
                if index > componentStart {
                    components.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[componentStart..<index]), as: UTF8.self))
                }
                if byte == ASCII.closeBracket { return (components, index + 1) }
                guard index + 1 < end, bytes[index + 1] == ASCII.backslash else { return nil }
                index += 2
                componentStart = index
                continue
            }
            if byte >= 0x80 { return nil }
            index += 1
        }
        return nil
    }

    mutating func parseKeyLine(from start: Int, to end: Int) throws {
        var components: [String]
        var index: Int
        if let (plain, after) = plainKeyPath(from: start, to: end) {
            components = plain
            index = after
        } else {
            units.removeAll(keepingCapacity: true)
            guard let after = WineStringScanner.scan(bytes, from: start, to: end, delimiter: ASCII.closeBracket, into: &units)
            else { throw fail(.closingDelimiter("]")) }
            components = units.split(separator: UInt16(ASCII.backslash)).map { String(decoding: $0, as: UTF16.self) }
            index = after
        }
        guard !components.isEmpty else { throw fail(.keyPath) }
        while index < end, ASCII.isBlank(bytes[index]) { index += 1 }
        var seconds: UInt64 = 0, sawDigits = false
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            seconds = seconds &* 10 &+ UInt64(bytes[index] - 0x30)
            sawDigits = true
            index += 1
        }
        while index < end, ASCII.isBlank(bytes[index]) { index += 1 }
        guard index == end else { throw fail(.endOfLine) }
        sectionPath = components
        sectionTime = sawDigits ? seconds &* 10_000_000 &+ RegistryKey.fileTimeOf1970 : 0
    }

    mutating func parseKeyOption(from start: Int, to end: Int) throws {
        let text = bytes[start..<end]
        if text.starts(with: "time=".utf8) {
            var value: UInt64 = 0, index = start + 5, digits = 0
            while index < end, let digit = ASCII.hexValue(bytes[index]) {
                value = value << 4 | UInt64(digit)
                index += 1
                digits += 1
            }
            if digits > 0 && digits <= 16 { sectionTime = value }
        } else if text.starts(with: "class=\"".utf8) {
            units.removeAll(keepingCapacity: true)
            guard WineStringScanner.scan(bytes, from: start + 7, to: end, delimiter: ASCII.quote, into: &units) != nil
            else { throw fail(.closingDelimiter("\"")) }
            sectionClass = String(decoding: units, as: UTF16.self)
        } else if text.elementsEqual("link".utf8) {
            sectionLink = true
        }
        // Other options are ignored, as Wine ignores them.
    }

    mutating func parseValueLine(from start: Int, to end: Int) throws {
        var index = start
        let name: String
        if bytes[index] == ASCII.at {
            name = ""
            index += 1
        } else {
            if let (plain, after) = plainName(from: index + 1, to: end, delimiter: ASCII.quote) {
                name = plain
                index = after
            } else {
                units.removeAll(keepingCapacity: true)
                guard let after = WineStringScanner.scan(bytes, from: index + 1, to: end, delimiter: ASCII.quote, into: &units)
                else { throw fail(.closingDelimiter("\"")) }
                name = String(decoding: units, as: UTF16.self)
                index = after
            }
        }
        while index < end, ASCII.isBlank(bytes[index]) { index += 1 }
        guard index < end, bytes[index] == ASCII.equals else { throw fail(.valueType) }
        index += 1
        while index < end, ASCII.isBlank(bytes[index]) { index += 1 }
        let rest = bytes[index..<end]
        if rest.first == ASCII.quote {
            sectionValues.append(try stringValue(name: name, type: .string, from: index + 1, to: end))
        } else if rest.starts(with: "str:\"".utf8) {
            sectionValues.append(try stringValue(name: name, type: .string, from: index + 5, to: end))
        } else if rest.starts(with: "str(".utf8) {
            let (type, after) = try typeNumber(from: index + 4, to: end)
            guard after < end, bytes[after] == ASCII.quote else { throw fail(.valueType) }
            sectionValues.append(try stringValue(name: name, type: type, from: after + 1, to: end))
        } else if rest.starts(with: "dword:".utf8) {
            var value: UInt32 = 0, digits = 0, cursor = index + 6
            while cursor < end, let digit = ASCII.hexValue(bytes[cursor]) {
                value = value << 4 | UInt32(digit)
                digits += 1
                cursor += 1
            }
            while cursor < end, ASCII.isBlank(bytes[cursor]) { cursor += 1 }
            guard digits >= 1, digits <= 8, cursor == end else { throw fail(.dword) }
            sectionValues.append(RegistryValue(name: name, dword: value))
        } else if rest.starts(with: "hex:".utf8) {
            sectionValues.append(RegistryValue(name: name, type: .binary, data: try hexData(from: index + 4, to: end)))
        } else if rest.starts(with: "hex(".utf8) {
            let (type, after) = try typeNumber(from: index + 4, to: end)
            sectionValues.append(RegistryValue(name: name, type: type, data: try hexData(from: after, to: end)))
        } else {
            throw fail(.valueType)
        }
    }

    /// Parses `N):` of `hex(N):`/`str(N):`; returns the type and the index after the colon.
    func typeNumber(from start: Int, to end: Int) throws -> (RegistryValueType, Int) {
        var value: UInt32 = 0, digits = 0, index = start
        while index < end, let digit = ASCII.hexValue(bytes[index]) {
            value = value << 4 | UInt32(digit)
            digits += 1
            index += 1
        }
        guard digits >= 1, digits <= 8, index + 1 < end || index + 1 == end,
              index < end, bytes[index] == ASCII.closeParen,
              index + 1 < end, bytes[index + 1] == ASCII.colon
        else { throw fail(.valueType) }
        return (RegistryValueType(rawValue: value), index + 2)
    }

    mutating func stringValue(name: String, type: RegistryValueType, from start: Int, to end: Int) throws -> RegistryValue {
        units.removeAll(keepingCapacity: true)
        guard var index = WineStringScanner.scan(bytes, from: start, to: end, delimiter: ASCII.quote, into: &units)
        else { throw fail(.closingDelimiter("\"")) }
        while index < end, ASCII.isBlank(bytes[index]) { index += 1 }
        guard index == end else { throw fail(.endOfLine) }
        var data = [UInt8](repeating: 0, count: units.count * 2 + 2)
        for (offset, unit) in units.enumerated() {
            data[offset * 2] = UInt8(truncatingIfNeeded: unit)
            data[offset * 2 + 1] = UInt8(truncatingIfNeeded: unit >> 8)
        }
        return RegistryValue(name: name, type: type, data: data)
    }

    /// Hex bytes (1–2 digits each) separated by commas, continued over lines ending in `\`.
    mutating func hexData(from start: Int, to end: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        var index = start, lineEnd = end
        while true {
            while index < lineEnd, ASCII.isBlank(bytes[index]) { index += 1 }
            if index == lineEnd { return data }
            if bytes[index] == ASCII.backslash {
                index += 1
                while index < lineEnd, ASCII.isBlank(bytes[index]) { index += 1 }
                guard index == lineEnd else { throw fail(.hexByte) }
                guard let next = try nextLine() else { throw fail(.truncatedContinuation) }
                index = next.start
                lineEnd = next.end
                continue
            }
            guard let high = ASCII.hexValue(bytes[index]) else { throw fail(.hexByte) }
            index += 1
            var byte = high
            if index < lineEnd, let low = ASCII.hexValue(bytes[index]) {
                byte = high << 4 | low
                index += 1
            }
            data.append(byte)
            while index < lineEnd, ASCII.isBlank(bytes[index]) { index += 1 }
            if index < lineEnd, bytes[index] == ASCII.comma {
                index += 1
            } else if index < lineEnd, bytes[index] != ASCII.backslash {
                throw fail(.hexByte)
            }
        }
    }
}

// MARK: - Writing

/// Escapes text the way Wine's `dump_strW` does, so that Wine's own files come back unchanged.
enum WineTextEscaper {
    private static let cEscapes: [UInt8] = Array(".......abtnvfr.............e....".utf8)

    /// Appends the escaped units; returns the number of bytes written (Wine counts them for wrapping).
    @discardableResult
    static func append<C: Collection>(_ units: C, escaping special: (UInt8, UInt8), to output: inout [UInt8]) -> Int
    where C.Element == UInt16 {
        let before = output.count
        var iterator = units.makeIterator()
        var current = iterator.next()
        while let unit = current {
            let next = iterator.next()
            if unit > 127 {
                let padded = next.map { $0 < 128 && ASCII.hexValue(UInt8($0)) != nil } ?? false
                output += Array("\\x".utf8)
                var digits = String(unit, radix: 16)
                if padded && digits.count < 4 { digits = String(repeating: "0", count: 4 - digits.count) + digits }
                output += Array(digits.utf8)
            } else if unit < 32 {
                let letter = cEscapes[Int(unit)]
                output.append(ASCII.backslash)
                if letter != UInt8(ascii: ".") {
                    output.append(letter)
                } else {
                    let padded = next.map { $0 >= 0x30 && $0 <= 0x37 } ?? false
                    var digits = String(unit, radix: 8)
                    if padded && digits.count < 3 { digits = String(repeating: "0", count: 3 - digits.count) + digits }
                    output += Array(digits.utf8)
                }
            } else {
                let byte = UInt8(unit)
                if byte == ASCII.backslash || byte == special.0 || byte == special.1 { output.append(ASCII.backslash) }
                output.append(byte)
            }
            current = next
        }
        return output.count - before
    }
}

struct WineHiveWriter {
    var output: [UInt8] = []
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func writeSubkeys(of key: RegistryKey, path: [UInt8]) {
        for subkey in key.subkeys {
            var subpath = path
            if !subpath.isEmpty { subpath += [ASCII.backslash, ASCII.backslash] }
            WineTextEscaper.append(subkey.name.utf16, escaping: (ASCII.openBracket, ASCII.closeBracket), to: &subpath)
            // Wine leaves out keys that only hold subkeys; loading recreates them implicitly.
            if !subkey.values.isEmpty || subkey.subkeys.isEmpty || subkey.className != nil || subkey.isSymbolicLink {
                writeSection(subkey, path: subpath)
            }
            writeSubkeys(of: subkey, path: subpath)
        }
    }

    mutating func writeSection(_ key: RegistryKey, path: [UInt8]) {
        output += [ASCII.newline, ASCII.openBracket]
        output += path
        output += [ASCII.closeBracket, ASCII.space]
        // Wrapping, as Wine's C arithmetic does: a hive may carry any 64-bit time (found by fuzzing).
        let seconds = (Int64(bitPattern: key.lastWriteTime) &- Int64(RegistryKey.fileTimeOf1970)) / 10_000_000
        output += Array(String(UInt32(truncatingIfNeeded: seconds)).utf8)
        output += Array("\n#time=".utf8)
        output += Array(String(UInt32(truncatingIfNeeded: key.lastWriteTime >> 32), radix: 16).utf8)
        let low = String(UInt32(truncatingIfNeeded: key.lastWriteTime), radix: 16)
        output += Array((String(repeating: "0", count: 8 - low.count) + low).utf8)
        output.append(ASCII.newline)
        if let className = key.className {
            output += Array("#class=\"".utf8)
            WineTextEscaper.append(className.utf16, escaping: (ASCII.quote, ASCII.quote), to: &output)
            output += [ASCII.quote, ASCII.newline]
        }
        if key.isSymbolicLink { output += Array("#link\n".utf8) }
        for value in key.values { writeValue(value) }
    }

    mutating func writeValue(_ value: RegistryValue) {
        var count: Int
        if value.name.isEmpty {
            output += [ASCII.at, ASCII.equals]
            count = 2
        } else {
            output.append(ASCII.quote)
            count = 1 + WineTextEscaper.append(value.name.utf16, escaping: (ASCII.quote, ASCII.quote), to: &output)
            output += [ASCII.quote, ASCII.equals]
            count += 2
        }
        let data = value.data
        switch value.type {
        case .string, .expandString, .multiString:
            // Only NUL-terminated, even-length strings are written as text (Wine's rule).
            guard data.count >= 2, data.count % 2 == 0, data[data.count - 1] == 0, data[data.count - 2] == 0 else { break }
            if value.type != .string { output += Array("str(\(String(value.type.rawValue, radix: 16))):".utf8) }
            output.append(ASCII.quote)
            let units = RegistryValue.utf16Units(data).dropLast()
            WineTextEscaper.append(units, escaping: (ASCII.quote, ASCII.quote), to: &output)
            output += [ASCII.quote, ASCII.newline]
            return
        case .dword:
            guard data.count == 4 else { break }
            let text = String(value.dwordValue!, radix: 16)
            output += Array(("dword:" + String(repeating: "0", count: 8 - text.count) + text + "\n").utf8)
            return
        default:
            break
        }
        let prefix = value.type == .binary ? "hex:" : "hex(\(String(value.type.rawValue, radix: 16))):"
        output += Array(prefix.utf8)
        count += prefix.utf8.count
        for (index, byte) in data.enumerated() {
            output.append(WineHiveWriter.hexDigits[Int(byte >> 4)])
            output.append(WineHiveWriter.hexDigits[Int(byte & 0xf)])
            count += 2
            if index < data.count - 1 {
                output.append(ASCII.comma)
                count += 1
                if count > 76 {
                    output += [ASCII.backslash, ASCII.newline, ASCII.space, ASCII.space]
                    count = 2
                }
            }
        }
        output.append(ASCII.newline)
    }
}
