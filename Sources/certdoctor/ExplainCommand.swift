import ArgumentParser
import CertDoctorCore
import Foundation
import SSCCChecks

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a portal error (E1–E9 or its message) or a check, and which checks look into it.")

    @Argument(help: "An error id (E5), the portal's message (证书信息与CA系统不一致), or a check id (cert.pfx-name).")
    var query: String

    @Option(help: "A profile name from Checks/profiles, or a profile file.")
    var profile = "sscc"

    @Option(help: "Language of messages: zh or en (default from LANG).")
    var lang: Language?

    func run() throws {
        let language = lang ?? Language.fromEnvironment()
        try Console.run(language: language) {
            let doctor = try Doctor(profile: profile, dataDirectory: .locate(), pluginDirectories: Doctor.pluginDirectories())
            let explainer = Explainer(profile: doctor.profile, registry: doctor.registry)
            guard let explanation = explainer.explain(query) else {
                Console.warn(language == .zh
                    ? "没有关于“\(query)”的解释；可用：E1–E9、门户提示原文或检查项 ID（certdoctor list-checks）"
                    : "nothing explains '\(query)'; try E1–E9, the portal's message, or a check id (certdoctor list-checks)")
                return .failure
            }
            Console.say(explainer.render(explanation, language: language))
            return .success
        }
    }
}
