import SSCCProfile
import CertDoctorCore
import Foundation
import ZIPFoundation

/// The zip that `collect-script` makes on the customer's machine, read in memory: the support engineer gives
/// it to `--registry` as it came with the ticket, and its members are read as if each had been given.
public enum CollectedArchive {
    /// Far above what the script collects (a few hundred kB), far below what would exhaust memory.
    public static let maximumTotalSize: UInt64 = 256 << 20
    public static let maximumMembers = 2000

    public static func members(of file: URL, bytes: [UInt8]) throws -> [ExportedFile] {
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw WindowsSideError.archive(path: file.path, reason: Localized(zh: "不是 zip 文件", en: "expected a zip file"))
        }
        var members: [ExportedFile] = []
        var total: UInt64 = 0
        var count = 0
        // Sorted by path: the script names its exports 01.reg, 02.reg, … and a later one wins, as on import.
        for entry in archive.sorted(by: { $0.path < $1.path }) where entry.type == .file {
            count += 1
            total += entry.uncompressedSize
            guard count <= maximumMembers, total <= maximumTotalSize else {
                throw WindowsSideError.archive(
                    path: file.path,
                    reason: Localized(zh: "内容超过 \(maximumMembers) 个文件或 256 MiB", en: "expected at most \(maximumMembers) files and 256 MiB"))
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
            } catch {
                throw WindowsSideError.archive(
                    path: file.path, reason: Localized(zh: "成员 \(entry.path) 已损坏", en: "member \(entry.path) is damaged"))
            }
            let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            members.append(ExportedFile(name: name, displayPath: file.path + ":" + entry.path, bytes: Array(data)))
        }
        return members
    }
}
