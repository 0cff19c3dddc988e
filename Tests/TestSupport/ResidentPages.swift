import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether this process has a page of its memory in place (`/proc/self/pagemap`, bit 63: present), which is
/// what a mapping's share of the resident set counts: a page given back with `MADV_DONTNEED` is not, a page
/// read since is again.
public enum ResidentPages {
    public static func isResident(_ address: UnsafeRawPointer) throws -> Bool {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var entry: UInt64 = 0
        let offset = off_t(UInt(bitPattern: address) / UInt(pageSize) * 8)
        guard pread(fd, &entry, 8, offset) == 8 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return entry & (1 << 63) != 0
    }

    /// How many of the pages that hold `bytes` are in place.
    public static func count(in bytes: UnsafeRawBufferPointer) throws -> Int {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let base = bytes.baseAddress else { return 0 }
        return try stride(from: 0, to: bytes.count, by: pageSize).filter { try isResident(base + $0) }.count
    }
}
