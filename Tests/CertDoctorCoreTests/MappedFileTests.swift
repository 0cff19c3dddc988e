import CertDoctorCore
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A hive mapped for a check or a fix is given back to the page cache as its readers pass it: the bytes read
/// the same afterwards, the process holds only what it is reading, and memory that is not a mapping of the
/// file is never touched (`MADV_DONTNEED` would zero it).
@Suite struct MappedFileTests {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// A file of `pages` pages, each filled with its number.
    static func file(pages: Int) throws -> (URL, Data) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mapped-\(UUID().uuidString)")
        var bytes = Data(count: pages * pageSize)
        for page in 0..<pages { bytes.replaceSubrange(page * pageSize..<(page + 1) * pageSize, with: Data(repeating: UInt8(page % 251), count: pageSize)) }
        try bytes.write(to: url)
        return (url, bytes)
    }

    @Test func releasedPagesLeaveTheProcessAndReadTheSameAgain() throws {
        let (url, bytes) = try Self.file(pages: 64)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try MappedFile(url)
        #expect(file.isMapping)
        let split = 40 * Self.pageSize
        let before = try file.data.withUnsafeBytes { try ResidentPages.count(in: $0) }
        file.releasePages(below: split + 100)
        let (below, above) = try file.data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            (try ResidentPages.count(in: UnsafeRawBufferPointer(rebasing: raw[0..<split])),
             try ResidentPages.count(in: UnsafeRawBufferPointer(rebasing: raw[split..<raw.count])))
        }
        #expect(before == 64, "populated at once")
        #expect(below == 0)
        #expect(above == 24, "the page holding the offset and those after it stay")
        #expect(file.data == bytes)
    }

    @Test func anUnpopulatedMappingHoldsOnlyWhatWasRead() throws {
        let (url, bytes) = try Self.file(pages: 64)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try MappedFile(url, populate: false)
        let (held, tenth, tenthHeld) = try file.data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws in
            let held = try ResidentPages.count(in: raw)
            let tenth = raw[10 * Self.pageSize]
            return (held, tenth, try ResidentPages.isResident(raw.baseAddress! + 10 * Self.pageSize))
        }
        #expect(held < 64)
        #expect(tenth == 10)
        #expect(tenthHeld)
        #expect(file.data == bytes)
    }

    /// Anonymous memory given back with `MADV_DONTNEED` reads as zeros: a copy must be left as it is.
    @Test func aCopyInMemoryIsLeftAlone() throws {
        let length = 16 * Self.pageSize
        let address = try #require(mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(address != MAP_FAILED)
        memset(address, 0x5a, length)
        let copy = MappedFile(copy: Data(bytesNoCopy: address, count: length, deallocator: .custom { munmap($0, $1) }))
        #expect(!copy.isMapping)
        copy.releasePages(below: length)
        #expect(copy.data.allSatisfy { $0 == 0x5a })
    }
}
