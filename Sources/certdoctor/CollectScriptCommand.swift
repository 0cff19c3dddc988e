import ArgumentParser
import CertDoctorCore
import Foundation
import Doctor
import Renewal
import SSCCProfile
import WindowsTarget

struct CollectScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect-script",
        abstract: Help.text(
            zh: "生成供客户在 Windows 上运行的 .cmd 脚本：导出 Windows 端检查读取的注册表键，复制 IE 模式站点列表，并打包为 zip。",
            en: "Write a .cmd script for the customer to run on Windows: it exports the registry keys the Windows-side checks read, copies the IE-mode site list, and zips them."))

    @Option(help: Help.argument(zh: "将脚本写入此文件而非标准输出。", en: "Write the script to this file instead of standard output."))
    var output: String?

    @OptionGroup var profile: ProfileOption

    @OptionGroup var lang: LanguageOption

    func run() throws {
        let language = lang.language
        try Console.run(language: language) {
            let data = DataDirectory.locate()
            let doctor = try Doctor(profile: profile.name, dataDirectory: data, pluginDirectories: Doctor.pluginDirectories())
            let script = try CollectScript.render(for: doctor, manifestDirectories: Doctor.pluginDirectories())
            try Console.write(Array(script.utf8), to: output)
            return .success
        }
    }
}
