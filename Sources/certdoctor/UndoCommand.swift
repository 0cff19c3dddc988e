import ArgumentParser
import CertDoctorCore
import Foundation

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Restore the files of the last fix byte for byte.",
        discussion: ExitStatusHelp.text)

    @Flag(help: "List the journal's entries instead.")
    var list = false

    @Option(help: "Language of messages: zh or en (default from LANG).")
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
