import ArgumentParser
import CertDoctorCore
import Foundation
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: Help.text(zh: "逐字节恢复上一次修复改动的文件。", en: "Restore the files of the last fix byte for byte."),
        discussion: ExitStatusHelp.text)

    @Flag(help: Help.argument(zh: "列出修复日志记录。", en: "List the journal's entries instead."))
    var list = false

    @Flag(help: Help.argument(
        zh: "即使文件在修复后又被改动也恢复（较新的内容会丢失）。", en: "Restore even files that changed after the fix (their newer content is lost)."))
    var force = false

    @Option(help: Help.argument(
        zh: "撤销硬件证书更新时，存放 USB Key 用户 PIN 的文件（否则读 CERTDOCTOR_TOKEN_PIN，再否则提示输入）。",
        en: "When undoing a hardware renewal: a file holding the token's user PIN (else CERTDOCTOR_TOKEN_PIN, else a prompt)."), completion: .file())
    var tokenPinFile: String?

    @OptionGroup var lang: LanguageOption

    func run() throws {
        let language = lang.language
        try Console.run(language: language) {
            let journal = Journal(directory: Journal.defaultDirectory())
            let damaged = journal.listing().damaged
            for entry in damaged {
                Console.warn(Localized(zh: "跳过损坏的修复日志记录 \(entry.path)：\(entry.reason)", en: "skipping the damaged journal entry \(entry.path): \(entry.reason)").text(language))
            }
            if list {
                let entries = journal.entries()
                if entries.isEmpty && damaged.isEmpty {
                    Console.say(Localized(zh: "修复日志为空。", en: "The journal is empty.").text(language))
                }
                for entry in entries {
                    Console.say("\(entry.id)  \(entry.state.rawValue)  \(entry.command)  " + entry.files.map(\.path).joined(separator: ", "))
                    for change in entry.changes { Console.say("    ~ \(change)") }
                }
                return .success
            }
            // Checked under the journal's lock for the entry it chose, so that the refusal is about the very files
            // undo would write; --force does not override it, since a running wineserver would lose them anyway.
            // The PIN is asked only when the entry holds a renaming on the token.
            let tokenUndoer = TokenRelabelRecord.undoer(pin: { [tokenPinFile] in
                try RenewCommand.tokenPIN(file: tokenPinFile, language: language)
            })
            let entry = try journal.undoLast(
                force: force, preflight: WineServerGuard.requireStopped(forUndoing:), undoers: [TokenRelabelRecord.kind: tokenUndoer])
            Console.say((Localized(zh: "已撤销 ", en: "undone ").text(language)) + entry.id + ":")
            for action in entry.actions ?? [] where action.kind == TokenRelabelRecord.kind {
                if let saved = try? JSONDecoder().decode(TokenRelabelRecord.self, from: action.record) {
                    // An enrolment has no old certificate: its undo takes the new one off and leaves the pair pending.
                    Console.say("    " + (saved.steps.oldID.isEmpty
                        ? Localized(
                            zh: "令牌“\(saved.tokenLabel)”：证书 \(saved.steps.newSerial) 已删除，其密钥对恢复为 \(TokenLabels.pending(gateway: saved.steps.gateway))",
                            en: "token '\(saved.tokenLabel)': the certificate \(saved.steps.newSerial) is removed, its key pair is \(TokenLabels.pending(gateway: saved.steps.gateway)) again")
                        : Localized(
                            zh: "令牌“\(saved.tokenLabel)”：证书 \(saved.steps.oldSerial) 恢复名称 \(saved.steps.gateway)",
                            en: "token '\(saved.tokenLabel)': the certificate \(saved.steps.oldSerial) is \(saved.steps.gateway) again")).text(language))
                }
            }
            for file in entry.files {
                Console.say("    " + (file.link.map { $0 + " → " } ?? "") + file.path + (file.backup == nil ? (Localized(zh: "（已删除，原本不存在）", en: " (removed; it did not exist before)").text(language)) : ""))
            }
            return .success
        }
    }
}
