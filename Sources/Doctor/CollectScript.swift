import SSCCProfile
import SSCCChecks
import WindowsTarget
import CertDoctorCore
import Foundation
import WindowsRegistry

/// `certdoctor collect-script`: a `.cmd` the customer runs on Windows (nothing to install; HKCU needs no
/// administrator) that `reg export`s exactly the keys the Windows-side checks read, copies the IE-mode site
/// list the Edge policy names and Edge's Preferences, and zips it all for the ticket. Support then runs
/// `certdoctor check --registry <the unzipped files>`.
public enum CollectScript {
    /// The script for this doctor's profile: the keys every Windows-side check (built-in and manifest) reads.
    public static func render(for doctor: Doctor, manifestDirectories: [URL], language: Language) throws -> String {
        let checks = try Doctor.windowsSideChecks(
            profile: doctor.profile, dataDirectory: doctor.dataDirectory, manifestDirectories: manifestDirectories)
        return render(keys: keys(for: checks), controls: controls(of: checks), language: language)
    }

    /// The keys, as `reg export` names them, that the Swift checks read; manifest checks add their own, and
    /// each ActiveX check its control's.
    public static func keys(for checks: [any Check]) -> [String] {
        let settings = InternetZoneSettings.settingsPath
        let policySettings = InternetZoneSettings.policyPath
        var keys: [String] = []
        for hive in ["HKCU", "HKLM"] {
            keys += [
                "\(hive)\\\(settings)",
                "\(hive)\\\(policySettings)",
                "\(hive)\\Software\\Microsoft\\Internet Explorer\\New Windows",
                "\(hive)\\Software\\Policies\\Microsoft\\Internet Explorer",
                "\(hive)\\\(IEModeCheck.edgePolicy)",
                "\(hive)\\\(ActiveXControlCheck.extPolicyRoot)",
                "\(hive)\\Software\\Microsoft\\SystemCertificates\\MY",
            ]
        }
        keys.append("HKLM\\Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings")
        // Windows' version (ProductName, CurrentBuild, EditionID): Windows 7 has no Edge IE mode to check.
        keys.append("HKLM\\\(IEModeCheck.windowsVersion)")
        keys.append("HKCU\\\(ActiveXControlCheck.extSettings)")
        keys.append("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Ext\\Stats")
        for clsid in controls(of: checks) {
            keys += [
                "HKLM\\Software\\Classes\\CLSID\\\(clsid)",
                "HKLM\\Software\\Classes\\Wow6432Node\\CLSID\\\(clsid)",
                "HKCU\\Software\\Classes\\CLSID\\\(clsid)",
                "HKLM\\\(ActiveXControlCheck.codeStore)\\\(clsid)",
                "HKLM\\Software\\Wow6432Node\\Microsoft\\Code Store Database\\Distribution Units\\\(clsid)",
                "HKLM\\\(ActiveXControlCheck.compatibility)\\\(clsid)",
                "HKLM\\Software\\Wow6432Node\\Microsoft\\Internet Explorer\\ActiveX Compatibility\\\(clsid)",
            ]
        }
        for case let check as RegistrySettingCheck in checks {
            for requirement in check.spec.requirements {
                if case .value(let path, _, let policyPath, _) = requirement.setting {
                    keys += ["HKCU\\\(path)", "HKLM\\\(path)"]
                    if let policyPath { keys += ["HKCU\\\(policyPath)", "HKLM\\\(policyPath)"] }
                }
            }
        }
        var seen = Set<String>()
        let unique = keys.filter { seen.insert($0.lowercased()).inserted }
        // A key below another one in the list is exported with it already.
        return unique.filter { key in
            !unique.contains { other in other != key && key.lowercased().hasPrefix(other.lowercased() + "\\") }
        }
    }

    /// The class IDs of the controls the checks look at (the profile's, through its ActiveX checks).
    public static func controls(of checks: [any Check]) -> [String] {
        var seen = Set<String>()
        return checks.compactMap { ($0 as? ActiveXControlCheck)?.control.clsid }.filter { seen.insert($0.uppercased()).inserted }
    }

    /// The script, with CRLF line ends as `cmd.exe` expects, its messages in `language`. `controls` are the class
    /// IDs whose server file is copied as `{CLSID}.dll`, so that its version resource can be read on the support side.
    public static func render(keys: [String], controls: [String], language: Language = .en) -> String {
        func say(_ zh: String, _ en: String) -> String { Localized(zh: zh, en: en).text(language) }
        var lines = [
            "@echo off",
            "rem " + say(
                "certdoctor：收集深证通证书更新所需检查的注册表设置、IE 模式站点列表和 Edge 设置。",
                "certdoctor: collects the registry settings, IE-mode site list and Edge preferences that certdoctor"),
            "rem " + say(
                "本脚本不修改本机任何内容，也不需要管理员权限。完成后请将它显示的 zip 文件发送给技术支持。",
                "checks for the SSCC certificate renewal. It changes nothing here and needs no administrator rights."),
            "setlocal",
            // Explorer starts a double-clicked script as `cmd /c ""…\collect.cmd" "`: its window closes at the
            // end, so the script waits for a key then. From a console of one's own, cmdcmdline does not name it.
            // (String substitution rather than `echo | find`: Wine's cmd loses a pipe's errorlevel.)
            "set \"PAUSE_AT_END=\"",
            "set \"LAUNCH=%cmdcmdline%\"",
            "if not defined LAUNCH goto launched",
            "set \"LAUNCH=%LAUNCH:\"=%\"",
            "call set \"LAUNCH_OTHER=%%LAUNCH:%~nx0=%%\"",
            "if /i not \"%LAUNCH_OTHER%\"==\"%LAUNCH%\" set \"PAUSE_AT_END=1\"",
            ":launched",
            // Beside the script, where the customer will look; the Desktop when that folder cannot be written.
            "set \"OUT=%~dp0certdoctor-%COMPUTERNAME%\"",
            "mkdir \"%OUT%.probe\" >nul 2>&1",
            "if not exist \"%OUT%.probe\\\" set \"OUT=%USERPROFILE%\\Desktop\\certdoctor-%COMPUTERNAME%\"",
            "if exist \"%~dp0certdoctor-%COMPUTERNAME%.probe\\\" rmdir \"%~dp0certdoctor-%COMPUTERNAME%.probe\"",
            "if exist \"%OUT%\" rmdir /s /q \"%OUT%\"",
            "if exist \"%OUT%.zip\" del /q \"%OUT%.zip\"",
            "mkdir \"%OUT%\"",
            "echo " + say("正在收集 certdoctor 检查所需的设置（不会修改本机任何内容）……", "Collecting what certdoctor checks (nothing on this computer is changed)..."),
        ]
        for (index, key) in keys.enumerated() {
            let file = String(format: "%02d.reg", index + 1)
            // Keys that do not exist are skipped quietly: their absence is what the checks then report.
            // /reg:64: the native view, as 64-bit regedit shows it, even when a 32-bit program started this script.
            lines.append("reg export \"\(key)\" \"%OUT%\\\(file)\" /y /reg:64 >nul 2>&1")
        }
        lines.append("rem Each control's file, for the version IE reads from it (the 32-bit registration wins, copied last).")
        for clsid in controls {
            for classes in ["HKLM\\Software\\Classes\\CLSID", "HKLM\\Software\\Classes\\Wow6432Node\\CLSID"] {
                lines.append("for /f \"tokens=2,*\" %%A in ('reg query \"\(classes)\\\(clsid)\\InprocServer32\" /ve /reg:64 2^>nul ^| find \"REG_\"') do call copy /y \"%%B\" \"%OUT%\\\(clsid).dll\" >nul 2>&1")
            }
        }
        lines += [
            "rem The Enterprise Mode Site List the Edge policy names (a local path or a file share).",
            "for %%H in (HKLM HKCU) do for /f \"tokens=2,*\" %%A in ('reg query \"%%H\\\(IEModeCheck.edgePolicy)\" /v InternetExplorerIntegrationSiteList 2^>nul ^| find \"REG_\"') do copy /y \"%%B\" \"%OUT%\\\" >nul 2>&1",
            "rem The user's own IE-mode pages live in Edge's profile preferences.",
            "if exist \"%LOCALAPPDATA%\\Microsoft\\Edge\\User Data\\Default\\Preferences\" copy /y \"%LOCALAPPDATA%\\Microsoft\\Edge\\User Data\\Default\\Preferences\" \"%OUT%\\Preferences\" >nul",
            // No PowerShell (an old or locked-down Windows): the folder is what there is, and the message says so.
            "powershell -NoProfile -ExecutionPolicy Bypass -Command \"Compress-Archive -Path '%OUT%\\*' -DestinationPath '%OUT%.zip' -Force\" >nul 2>&1",
            "if not exist \"%OUT%.zip\" goto folder",
            "rmdir /s /q \"%OUT%\"",
            "echo " + say("完成。请将此文件发送给技术支持：", "Done. Send this file to support:"),
            "echo %OUT%.zip",
            "goto end",
            ":folder",
            "echo " + say("无法生成 zip 文件（本机没有 PowerShell），收集的文件在此文件夹中：", "No zip file could be made (PowerShell is missing); the collected files are in this folder:"),
            "echo %OUT%",
            "echo " + say("请将该文件夹压缩后发送给技术支持。", "Zip that folder and send it to support."),
            ":end",
            "if defined PAUSE_AT_END pause",
            "endlocal",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The script's bytes as `cmd.exe` reads them: Chinese in code page 936 (what a Chinese Windows console uses),
    /// English in ASCII.
    public static func encoded(_ script: String, language: Language) throws -> [UInt8] {
        language == .zh ? try WindowsCodePage.encode(script, codePage: "936") : Array(script.utf8)
    }
}
