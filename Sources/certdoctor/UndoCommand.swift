import ArgumentParser
import CertDoctorCore
import Foundation

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: Help.text("Restore the files of the last fix byte for byte.", "逐字节恢复上一次修复改动的文件。"),
        discussion: ExitStatusHelp.text)

    @Flag(help: Help.argument("List the journal's entries instead.", "列出修复日志记录。"))
    var list = false

    @Option(help: Help.argument("Language of messages: zh or en (default from LANG).", "消息语言：zh 或 en（默认取自 LANG）。"))
    var lang: Language?

    func run() throws {
        let language = lang ?? Language.fromEnvironment()
        try Console.run(language: language) {
            let journal = Journal(directory: Journal.defaultDirectory())
            if list {
                let entries = try journal.entries()
                if entries.isEmpty {
                    Console.say(language == .zh ? "修复日志为空。" : "The journal is empty.")
                }
                for entry in entries {
                    Console.say("\(entry.id)  \(entry.state.rawValue)  \(entry.command)  " + entry.files.map(\.path).joined(separator: ", "))
                    for change in entry.changes { Console.say("    ~ \(change)") }
                }
                return .success
            }
            let entry = try journal.undoLast()
            Console.say((language == .zh ? "已撤销 " : "undone ") + entry.id + ":")
            for file in entry.files {
                Console.say("    " + file.path + (file.backup == nil ? (language == .zh ? "（已删除，原本不存在）" : " (removed; it did not exist before)") : ""))
            }
            return .success
        }
    }
}
