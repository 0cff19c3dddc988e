import Foundation

/// Failures of the core's own machinery (registry, journal, files), each mapped to a documented exit code.
public enum CoreError: LocalizedError, Sendable, Equatable {
    case duplicateCheckID(String)
    case invalidCheckID(String, source: String)
    case dependencyCycle([String])
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case journalEmpty
    case journalCorrupt(path: String, reason: String)
    case backupMismatch(path: String)
    case changedSinceFix(path: String)
    /// The file is no longer what the checks read when the fix was planned: another run (or a person) changed it.
    case changedSincePlanned(path: String)
    case journalBusy(path: String)
    /// The entry holds a change that only the command that made it can take back (`renew --token`'s renaming).
    case noUndoer(kind: String)

    public var errorDescription: String? { text(.en) }
    public var chineseDescription: String { text(.zh) }

    public func text(_ language: Language) -> String {
        let words: Localized
        switch self {
        case .duplicateCheckID(let id):
            words = Localized(zh: "检查项 ID 重复：\(id)", en: "duplicate check id: \(id)")
        case .invalidCheckID(let id, let source):
            words = Localized(
                zh: "\(source)：检查项 ID 无效“\(id)”（应为小写点分形式，如 cert.pfx-name）",
                en: "\(source): invalid check id '\(id)' (expected lower-case dotted words such as cert.pfx-name)")
        case .dependencyCycle(let ids):
            words = Localized(verbatim: ids.joined(separator: " → "))
                + Localized(zh: "：检查项依赖成环", en: ": checks depend on each other in a cycle")
        case .cannotWrite(let path, let reason):
            words = Localized(zh: "无法写入 \(path)：\(reason)", en: "cannot write \(path): \(reason)")
        case .cannotRead(let path, let reason):
            words = Localized(zh: "无法读取 \(path)：\(reason)", en: "cannot read \(path): \(reason)")
        case .journalEmpty:
            words = Localized(zh: "修复日志中没有可撤销的记录", en: "the fix journal has no entry to undo")
        case .journalCorrupt(let path, let reason):
            words = Localized(zh: "修复日志记录损坏 \(path)：\(reason)", en: "fix journal entry \(path) is damaged: \(reason)")
        case .changedSinceFix(let path):
            words = Localized(
                zh: "\(path) 在修复之后又被改动过；撤销会丢失这些改动。确认要恢复修复前的版本，请用 certdoctor undo --force",
                en: "\(path) changed after the fix; undoing would lose that change. To restore the version from before the fix anyway, run certdoctor undo --force")
        case .changedSincePlanned(let path):
            words = Localized(
                zh: "\(path) 在检查之后被改动过（另一个程序或另一次 certdoctor 运行）；修复计划基于旧内容，未做任何修改。请重新运行 certdoctor fix",
                en: "\(path) changed after the checks read it (another program or certdoctor run changed it); the plan was made for the old contents, so nothing was changed. Run certdoctor fix again")
        case .journalBusy(let path):
            words = Localized(
                zh: "另一个 certdoctor 正在修改（\(path) 已锁定），请稍后重试",
                en: "another certdoctor is making changes (\(path) is locked); try again when it has finished")
        case .backupMismatch(let path):
            words = Localized(
                zh: "恢复后的 \(path) 与备份不一致", en: "\(path) does not match its backup after restoring")
        case .noUndoer(let kind):
            words = Localized(
                zh: "最近的修复日志记录包含此处无法撤销的改动（\(kind)），未做任何恢复",
                en: "the newest journal entry holds a change that cannot be taken back here (\(kind)); nothing was restored")
        }
        return words.text(language)
    }

    public var ending: CommandEnding {
        switch self {
        case .duplicateCheckID, .invalidCheckID, .dependencyCycle: .dataError
        case .cannotWrite: .cannotCreate
        case .cannotRead: .noInput
        case .journalEmpty, .changedSinceFix, .noUndoer: .failure
        case .journalBusy, .changedSincePlanned: .temporaryFailure
        case .journalCorrupt, .backupMismatch: .dataError
        }
    }
}

/// How a command ends, in the categories of BSD's sysexits. Only the command line gives an ending its number
/// and its explanation (`certdoctor --help` lists them); everything below it says which kind of ending it means.
public enum CommandEnding: Sendable, CaseIterable {
    /// All required checks pass, or the command did its job.
    case success
    /// A required check failed or could not be evaluated, or the gate refused renewal.
    case failure
    case usage
    case dataError
    case noInput
    case unavailable
    case software
    case cannotCreate
    case temporaryFailure
}

/// An error that knows how the command it stops ends.
public protocol CommandEndingProviding: Error {
    var ending: CommandEnding { get }
}

extension CoreError: CommandEndingProviding {}

extension SecretReader.Failure: CommandEndingProviding {
    public var ending: CommandEnding {
        if case .unreadableFile = self { return .noInput }
        return .usage
    }
}
