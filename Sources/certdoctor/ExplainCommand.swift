import ArgumentParser
import CertDoctorCore
import Foundation
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: Help.text(zh: "解释门户错误（E1–E9 或提示原文）或检查项，以及相关检查。", en: "Explain a portal error (E1–E9 or its message) or a check, and which checks look into it."))

    @Argument(help: Help.argument(zh: "错误编号（E5）、门户提示原文（证书信息与CA系统不一致）或检查项 ID（cert.pfx-name）。", en: "An error id (E5), the portal's message (证书信息与CA系统不一致), or a check id (cert.pfx-name)."), completion: ExplainCompletion.kind)
    var query: String

    @OptionGroup var profile: ProfileOption

    @OptionGroup var lang: LanguageOption

    func run() throws {
        let language = lang.language
        try Console.run(language: language) {
            let doctor = try Doctor(profile: profile.name, dataDirectory: .locate(), pluginDirectories: Doctor.pluginDirectories())
            let explainer = Explainer(profile: doctor.profile, registry: doctor.registry)
            guard let explanation = explainer.explain(query) else {
                let near = explainer.suggestions(for: query)
                let message = near.isEmpty
                    ? Localized(
                        zh: "没有关于“\(query)”的解释；可用：E1–E9、门户提示原文或检查项 ID（certdoctor list-checks）",
                        en: "nothing explains '\(query)'; try E1–E9, the portal's message, or a check id (certdoctor list-checks)")
                    : Localized(
                        zh: "没有关于“\(query)”的解释——是否要查 \(near.joined(separator: ", "))？",
                        en: "nothing explains '\(query)' — did you mean \(near.joined(separator: ", "))?")
                Console.warn(message.text(language))
                return .failure
            }
            Console.say(explainer.render(explanation, language: language))
            return .success
        }
    }
}
