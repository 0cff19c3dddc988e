import CertDoctorCore
import Foundation

/// Edits one subtree of a Wine hive in the hive's bytes: the sections of the deepest existing key on the way to
/// the edited key are decoded, edited and encoded in Wine's format, and every other byte of the file is copied
/// as it is. A fix that sets a value in a 40 MB `user.reg` so neither decodes nor encodes the whole hive (which
/// was most of its time, and a model several times the file in memory).
///
/// Decoding the result gives what decoding the whole hive, editing it and encoding it gives (WineHiveSubtreeEditTests
/// compare the two on Wine's own hives). Where that cannot be told from the bytes alone (the subtree's sections
/// are not one run of lines, a key line's path is escaped so that it might name the subtree, no blank line before
/// a section, the edit reached outside the subtree), `edit` returns nil and the caller edits the whole hive.
public enum WineHiveSubtreeEdit {
    /// `bytes` with the keys at and below `path` (relative to the hive's root) edited by `edit`, which must change
    /// nothing outside that path (it gets the root, with the keys on the way to the subtree and nothing else); nil
    /// when the edit must be made on the whole hive instead.
    public static func edit(
        _ bytes: [UInt8], fileName: String, at path: [String], _ edit: (inout RegistryKey) throws -> Void
    ) throws -> [UInt8]? {
        var hive = SplicedHive(bytes)
        guard try hive.edit(fileName: fileName, at: path, edit) else { return nil }
        return hive.bytes
    }

    /// Where the subtree to edit for `path` lies in `bytes`: how deep its key is and its sections' bytes.
    static func locate(_ bytes: [UInt8], path: [String]) -> (depth: Int, range: Range<Int>)? {
        bytes.withUnsafeBufferPointer { locate($0, paths: [path])[path] ?? nil }
    }

    /// Where the subtree of each of `paths` lies, found in one pass over the file (each search reads all of it).
    /// `passed` is told, every few megabytes, how far the search has gone: it reads nothing before that again.
    static func locate(
        _ bytes: UnsafeBufferPointer<UInt8>, paths: [[String]], passed: (Int) -> Void = { _ in }
    ) -> [[String]: (depth: Int, range: Range<Int>)?] {
        var found: [[String]: (depth: Int, range: Range<Int>)?] = [:]
        var searched: [(path: [String], pattern: SubtreePattern)] = []
        for path in paths where found.index(forKey: path) == nil {
            found[path] = .some(nil)
            if !path.isEmpty, let pattern = SubtreePattern(path) { searched.append((path, pattern)) }
        }
        let runs = SubtreePattern.deepestRuns(of: searched.map(\.pattern), in: bytes, passed: passed)
        for (searchedPath, run) in zip(searched, runs) { found[searchedPath.path] = .some(run) }
        return found
    }

    /// `sections` (a subtree's key `depth` levels down along `path`, as `locate` found them) edited and encoded
    /// again; nil when the edit reached outside the subtree.
    static func edit(
        sections: ArraySlice<UInt8>, depth: Int, fileName: String, path: [String], _ edit: (inout RegistryKey) throws -> Void
    ) throws -> [UInt8]? {
        // The subtree's sections alone, as a hive: the keys above it come out as keys without values.
        var alone = Array("WINE REGISTRY Version 2\n".utf8)
        alone += sections
        var root = try WineHiveCodec.decode(alone, fileName: fileName).root
        guard let ancestors = chain(of: root, depth: depth, along: path) else { return nil }
        try edit(&root)
        // The edit may only have changed the subtree: the keys above it are not written back.
        guard let after = chain(of: root, depth: depth, along: path), after.names == ancestors.names,
              after.keys == ancestors.keys
        else { return nil }
        var writer = WineHiveWriter()
        var subtree = root
        var subpath: [UInt8] = []
        for name in after.names {
            guard let next = subtree.subkey(named: name) else { return nil }
            subtree = next
            if !subpath.isEmpty { subpath += [ASCII.backslash, ASCII.backslash] }
            WineTextEscaper.append(subtree.name.utf16, escaping: (ASCII.openBracket, ASCII.closeBracket), to: &subpath)
        }
        // As `WineHiveWriter.writeSubkeys` does for each key: one that only holds subkeys has no section.
        if !subtree.values.isEmpty || subtree.subkeys.isEmpty || subtree.className != nil || subtree.isSymbolicLink {
            writer.writeSection(subtree, path: subpath)
        }
        writer.writeSubkeys(of: subtree, path: subpath)
        return writer.output
    }

    /// What the subtree edit must leave as it was of a key above the subtree (its subkeys aside).
    private struct Ancestor: Equatable {
        var name: String
        var values: [RegistryValue]
        var className: String?
        var isSymbolicLink: Bool
        var lastWriteTime: UInt64
    }

    /// The keys from the root down to (not including) the subtree's key `depth` levels down along `path`, each
    /// without its subkeys, and the subtree key's name as the file spells it; nil when the decoded sections hold
    /// anything beside that one line of keys.
    private static func chain(of root: RegistryKey, depth: Int, along path: [String]) -> (keys: [Ancestor], names: [String])? {
        var keys: [Ancestor] = [], names: [String] = []
        var current = root
        for level in 0..<depth {
            guard current.subkeys.count == 1, RegistryName.equal(current.subkeys[0].name, path[level]) else { return nil }
            keys.append(Ancestor(
                name: current.name, values: current.values, className: current.className,
                isSymbolicLink: current.isSymbolicLink, lastWriteTime: current.lastWriteTime))
            current = current.subkeys[0]
            names.append(current.name)
        }
        return (keys, names)
    }
}

/// A hive file's bytes with edited subtrees standing in for their sections: the steps of a fix that edit one hive
/// each add theirs, and the file is written piece by piece (`forEachPiece`) from the original bytes, which may be
/// the file mapped, and the edited sections, instead of put together in memory.
public struct SplicedHive: Sendable {
    /// The file the edits are placed in; its pages are given back to the page cache as `locate` and
    /// `forEachPiece` go past them, so that a 40 MB hive is not held in memory whole while it is searched and
    /// written out.
    private var file: MappedFile
    /// The bytes the edits are placed in.
    private var base: Data { file.data }
    /// Edited sections, by the range of `base` they replace; disjoint, in no order.
    private var splices: [(range: Range<Int>, bytes: [UInt8])] = []
    /// Where `locate` found each path's sections in `base`, for every path asked for: the steps of one fix often
    /// edit the same key, and each search reads the whole file.
    private var located: [[String]: (depth: Int, range: Range<Int>)?] = [:]

    public init(_ bytes: [UInt8]) {
        file = MappedFile(copy: Data(bytes))
    }

    /// A whole file as mapped (or read).
    public init(_ file: MappedFile) {
        self.file = file.data.startIndex == 0 ? file : MappedFile(copy: Data(file.data))
    }

    /// The file with every edit in place.
    public var bytes: [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(base.count + splices.reduce(0) { $0 + $1.bytes.count - $1.range.count })
        forEachPiece { result += $0 }
        return result
    }

    /// The file with every edit in place, in pieces in order: unchanged runs of the original and edited sections.
    public func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let ordered = splices.sorted { $0.range.lowerBound < $1.range.lowerBound }
        try base.withUnsafeBytes { original in
            // An unchanged run goes in chunks, each one's pages given back once written.
            func copy(_ run: Range<Int>) throws {
                var start = run.lowerBound
                repeat {
                    let end = min(run.upperBound, start + Self.chunk)
                    try body(UnsafeRawBufferPointer(rebasing: original[start..<end]))
                    file.releasePages(below: end)
                    start = end
                } while start < run.upperBound
            }
            var copied = 0
            for splice in ordered {
                try copy(copied..<splice.range.lowerBound)
                try splice.bytes.withUnsafeBytes { try body($0) }
                copied = splice.range.upperBound
            }
            try copy(copied..<original.count)
        }
    }

    private static let chunk = 4 << 20

    /// Finds the sections of every path in `paths` not found yet, in one pass over the file: a fix's steps that
    /// edit one hive each edit their own subtree, and a search reads the whole file.
    public mutating func locate(_ paths: [[String]]) {
        let missing = paths.filter { located.index(forKey: $0) == nil }
        guard !missing.isEmpty else { return }
        let file = file
        let found = base.withUnsafeBytes {
            WineHiveSubtreeEdit.locate($0.bindMemory(to: UInt8.self), paths: missing) { file.releasePages(below: $0) }
        }
        // The search read the whole file; the edit reads only the sections found, the write goes through it again.
        file.releasePages(below: base.count)
        located.merge(found) { _, new in new }
    }

    private mutating func locate(_ path: [String]) -> (depth: Int, range: Range<Int>)? {
        locate([path])
        return located[path] ?? nil
    }

    /// Edits the keys at and below `path` as `WineHiveSubtreeEdit.edit` does; false (nothing changed) when the
    /// edit must be made on the whole hive instead.
    public mutating func edit(fileName: String, at path: [String], _ edit: (inout RegistryKey) throws -> Void) throws -> Bool {
        guard var (depth, range) = locate(path) else { return false }
        var sections: ArraySlice<UInt8>
        if let earlier = splices.firstIndex(where: { $0.range == range }) {
            // An earlier step edited the same sections: this one edits what it left.
            sections = splices[earlier].bytes[...]
        } else if splices.contains(where: { $0.range.overlaps(range) }) {
            // Subtrees inside one another: put the file together and find the sections in it again.
            file = MappedFile(copy: Data(bytes))
            splices = []
            // Every path asked for so far, found again in the new file in one pass.
            let asked = Array(located.keys)
            located = [:]
            locate(asked)
            guard let found = locate(path) else { return false }
            (depth, range) = found
            sections = Array(base[range])[...]
        } else {
            sections = Array(base[range])[...]
        }
        guard let edited = try WineHiveSubtreeEdit.edit(sections: sections, depth: depth, fileName: fileName, path: path, edit)
        else { return false }
        splices.removeAll { $0.range == range }
        splices.append((range, edited))
        return true
    }
}

/// A key path as Wine writes it in a key line (`[A\\B\\C]`), lower-cased, and which key lines lie below how much
/// of it.
private struct SubtreePattern {
    /// `a\\b\\c`, escaped as Wine escapes key names.
    let bytes: [UInt8]
    /// Where each component ends in `bytes`.
    let ends: [Int]
    /// Whether a byte of `bytes` is the second of an escape (`\\`, `\]`).
    let secondOfEscape: [Bool]

    /// nil for a path with a name that is not plain ASCII (its key lines are left to the whole-hive edit).
    init?(_ path: [String]) {
        var bytes: [UInt8] = [], ends: [Int] = []
        for component in path {
            guard component.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
            if !bytes.isEmpty { bytes += [ASCII.backslash, ASCII.backslash] }
            WineTextEscaper.append(component.lowercased().utf16, escaping: (ASCII.openBracket, ASCII.closeBracket), to: &bytes)
            ends.append(bytes.count)
        }
        self.bytes = bytes
        self.ends = ends
        var second = [Bool](repeating: false, count: bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == ASCII.backslash, index + 1 < bytes.count {
                second[index + 1] = true
                index += 2
            } else {
                index += 1
            }
        }
        secondOfEscape = second
    }

    /// How many of the path's components the key line at `start` (just after `[`) lies at or below; nil when
    /// the bytes cannot tell (an escape or a non-ASCII byte where the line and the path part).
    func depth(ofKeyLineAt start: Int, in hive: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count, start + index < hive.count {
            var byte = hive[start + index]
            if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
            if byte != bytes[index] { break }
            index += 1
        }
        // The line and the path part at `index`: the line goes on with another name, or ends its name here.
        let position = start + index
        guard position < hive.count else { return nil }
        let next = hive[position]
        let endsName = next == ASCII.closeBracket
            || (next == ASCII.backslash && position + 1 < hive.count && hive[position + 1] == ASCII.backslash)
        if index < bytes.count {
            // An escape could stand for the path's own character; a non-ASCII byte could fold to it; the line
            // parting from the path inside one of the path's escapes (`\\` against `\x5c`) is an escape too.
            if next >= 0x80 { return nil }
            if secondOfEscape[index] { return nil }
            if next == ASCII.backslash, !endsName {
                // Only an escape for a character no plain-ASCII path holds is a real parting: a control
                // character, or one beyond ASCII that does not fold to ASCII (the Kelvin sign folds to `k`).
                var units: [UInt16] = []
                _ = WineStringScanner.scan(hive, from: position, to: min(hive.count, position + 6), delimiter: 0, into: &units)
                guard let unit = units.first, unit < 0x20 || (unit >= 0x80 && unit != 0x212a) else { return nil }
            }
        }
        var depth = 0
        for (level, end) in ends.enumerated() where end <= index {
            if end == index ? endsName : (bytes[end] == ASCII.backslash) { depth = level + 1 }
        }
        return depth
    }

    /// For each pattern, the deepest key on its path that has sections in the file, and the bytes of its sections
    /// (from the blank line before the first to the blank line before the next key outside it), found in one pass;
    /// nil for a path whose sections are not one run or whose key lines the bytes cannot tell apart, and for
    /// every path when the file is not laid out as Wine writes it.
    static func deepestRuns(
        of patterns: [SubtreePattern], in hive: UnsafeBufferPointer<UInt8>, passed: (Int) -> Void = { _ in }
    ) -> [(depth: Int, range: Range<Int>)?] {
        guard let base = hive.baseAddress, !patterns.isEmpty else { return patterns.map { _ in nil } }
        var runs = patterns.map(SectionRuns.init)
        var search = 0, nextPassed = 4 << 20
        while search < hive.count, let found = memchr(base + search, Int32(ASCII.openBracket), hive.count - search) {
            let bracket = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            search = bracket + 1
            if bracket >= nextPassed {
                // A key line's depth is read from its own bytes, and the two bytes before the bracket.
                passed(bracket - 2)
                nextPassed = bracket + 4 << 20
            }
            guard bracket == 0 || hive[bracket - 1] == ASCII.newline else { continue }
            // Wine writes a blank line before every key: the section's bytes start at that line's end.
            guard bracket >= 2, hive[bracket - 2] == ASCII.newline else { return patterns.map { _ in nil } }
            var searching = false
            for index in runs.indices where !runs[index].unknowable {
                runs[index].see(keyLineAt: bracket, in: hive)
                searching = searching || !runs[index].unknowable
            }
            // Every path met a key line the bytes cannot place: the rest of the file cannot change that.
            if !searching { break }
        }
        return runs.map { $0.deepestRun(fileSize: hive.count) }
    }
}

/// One path's runs of sections, per depth along it, as a pass over the hive meets its key lines.
private struct SectionRuns {
    let pattern: SubtreePattern
    /// Per depth: where its run of sections starts and ends.
    var starts: [Int?]
    var finishes: [Int?]
    /// A depth whose sections come in more than one run (not as Wine writes a hive).
    var broken: [Bool]
    /// A key line whose depth along the path its bytes cannot tell was met.
    var unknowable = false

    init(_ pattern: SubtreePattern) {
        self.pattern = pattern
        starts = [Int?](repeating: nil, count: pattern.ends.count + 1)
        finishes = starts
        broken = [Bool](repeating: false, count: pattern.ends.count + 1)
    }

    /// The key line whose `[` is at `bracket`, after a blank line.
    mutating func see(keyLineAt bracket: Int, in hive: UnsafeBufferPointer<UInt8>) {
        guard let depth = pattern.depth(ofKeyLineAt: bracket + 1, in: hive) else {
            unknowable = true
            return
        }
        for level in 1..<(pattern.ends.count + 1) {
            if level <= depth {
                if finishes[level] != nil { broken[level] = true }
                if starts[level] == nil { starts[level] = bracket - 1 }
            } else if starts[level] != nil, finishes[level] == nil {
                finishes[level] = bracket - 1
            }
        }
    }

    /// The deepest key on the path that has sections in the file, and the bytes of its sections; nil when those
    /// are not one run, or a key line could not be placed.
    func deepestRun(fileSize: Int) -> (depth: Int, range: Range<Int>)? {
        guard !unknowable else { return nil }
        for level in stride(from: pattern.ends.count, through: 1, by: -1) {
            guard let start = starts[level] else { continue }
            if broken[level] { return nil }
            return (level, start..<(finishes[level] ?? fileSize))
        }
        return nil
    }
}
