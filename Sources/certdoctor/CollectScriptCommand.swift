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
            "Write a .cmd script for the customer to run on Windows: it exports the registry keys the Windows-side checks read, copies the IE-mode site list, and zips them.",
            "生成供客户在 Windows 上运行的 .cmd 脚本：导出 Windows 端检查读取的注册表键，复制 IE 模式站点列表，并打包为 zip。"))

    @Option(help: Help.argument("Write the script to this file instead of standard output.", "将脚本写入此文件而非标准输出。"), completion: .file())
    var output: String?

    @Option(help: Help.argument("A profile name from Checks/profiles, or a profile file.", "Checks/profiles 中的配置名，或配置文件路径。"), completion: ProfileCompletion.kind)
    var profile = "sscc"

    @Option(help: Help.argument("Language of messages: zh or en (default from LANG).", "消息语言：zh 或 en（默认取自 LANG）。"))
    var lang: Language?

    func run() throws {
        let language = lang ?? Language.fromEnvironment()
        try Console.run(language: language) {
            let data = try DataDirectory.locate()
            let doctor = try Doctor(profile: profile, dataDirectory: data, pluginDirectories: Doctor.pluginDirectories())
            let script = try CollectScript.render(for: doctor, manifestDirectories: Doctor.pluginDirectories())
            try Console.write(Array(script.utf8), to: output)
            return .success
        }
    }
}
