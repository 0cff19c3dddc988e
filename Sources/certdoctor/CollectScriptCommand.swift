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
            en: "Write a .cmd script for the customer to run on Windows: it exports the registry keys the Windows-side checks read, copies the IE-mode site list, and zips them."),
        discussion: Help.text(
            zh: "脚本的提示语言取自 --lang，否则取配置中客户的语言（深证通为中文，以代码页 936 写出）。双击运行时结束前等待按键；zip 文件写在脚本旁（不可写时写到桌面），并显示完整路径；没有 PowerShell 时保留文件夹并说明。",
            en: "The script speaks the --lang language, else the profile's customer language (Chinese for SSCC, written in code page 936). Double-clicked, it waits for a key before its window closes; the zip goes beside the script (the Desktop when that folder cannot be written) and its full path is printed; without PowerShell the folder stays, and the script says so."))

    @Option(help: Help.argument(zh: "将脚本写入此文件而非标准输出。", en: "Write the script to this file instead of standard output."), completion: .file())
    var output: String?

    @OptionGroup var profile: ProfileOption

    @OptionGroup var lang: LanguageOption

    func run() throws {
        try Console.run(language: lang.language) {
            let data = try DataDirectory.locate()
            let doctor = try Doctor(profile: profile.name, dataDirectory: data, pluginDirectories: Doctor.pluginDirectories())
            // The script speaks to the customer: in the profile's customer language unless --lang says otherwise.
            let language = lang.value ?? doctor.profile.customerLanguage ?? lang.language
            let script = try CollectScript.render(for: doctor, manifestDirectories: Doctor.pluginDirectories(), language: language)
            try Console.write(try CollectScript.encoded(script, language: language), to: output)
            return .success
        }
    }
}
