internal import CSystemShims
import Foundation
import Synchronization

/// A file read through a mapping (`MappedFile`) that another program truncates or rewrites in place meanwhile
/// (a `cp` over a hive, an editor saving it) makes the read of a page past its new end a SIGBUS, as does a read
/// the disk or file system fails: the run would end as a crash, with no word of which file. While a mapping is
/// guarded, that fault ends the process instead with a message naming the file: exit 75 (temporary failure: run
/// again) when the file now ends before the page read, 66 (unreadable input) otherwise. The signal comes in the
/// middle of a read, where no Swift error can be thrown, so nothing more is said; what a fix had begun is as a
/// kill leaves it, which the journal is made for (its writes are renames, the file being read was not yet
/// replaced).
public enum ShrunkFileGuard {
    struct Settings {
        var language: Language
        var shrunkStatus: Int32
        var unreadableStatus: Int32
    }

    /// nil until the executable sets them, and no mapping is guarded before (exit codes are the command line's).
    private static let settings = Mutex<Settings?>(nil)

    /// Called by the executable first thing, before any file is mapped.
    public static func configure(language: Language, shrunkStatus: Int32, unreadableStatus: Int32) {
        settings.withLock { $0 = Settings(language: language, shrunkStatus: shrunkStatus, unreadableStatus: unreadableStatus) }
    }

    static func shrunkMessage(path: String, in language: Language) -> String {
        Localized(
            zh: "certdoctor：读取 \(path) 时，该文件被其他程序截短或就地改写；本次运行到此停止。请待该程序写完后重新运行",
            en: "certdoctor: \(path) was shortened or rewritten in place by another program while it was being read; the run stopped there. Run it again once that program is done"
        ).text(language) + "\n"
    }

    static func unreadableMessage(path: String, in language: Language) -> String {
        Localized(
            zh: "certdoctor：读取 \(path) 时磁盘或文件系统报告输入/输出错误；本次运行到此停止",
            en: "certdoctor: the disk or file system failed a read of \(path) (input/output error); the run stopped there"
        ).text(language) + "\n"
    }

    /// Guards `length` bytes mapped at `start` from `path`; the slot to forget before unmapping (-1: not guarded).
    static func guardMapping(_ start: UnsafeRawPointer, length: Int, path: String) -> Int32 {
        guard let settings = settings.withLock({ $0 }) else { return -1 }
        return cd_mapping_guard(
            start, length, path, shrunkMessage(path: path, in: settings.language), settings.shrunkStatus,
            unreadableMessage(path: path, in: settings.language), settings.unreadableStatus)
    }

    static func forget(_ slot: Int32) {
        cd_mapping_forget(slot)
    }
}
