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
    public static func render(for doctor: Doctor, manifestDirectories: [URL]) throws -> String {
        let checks = try Doctor.windowsSideChecks(
            profile: doctor.profile, dataDirectory: doctor.dataDirectory, manifestDirectories: manifestDirectories)
        return render(keys: keys(for: checks), controls: controls(of: checks))
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

    /// The script, with CRLF line ends as `cmd.exe` expects. `controls` are the class IDs whose server file is
    /// copied as `{CLSID}.dll`, so that its version resource can be read on the support side.
    public static func render(keys: [String], controls: [String]) -> String {
        var lines = [
            "@echo off",
            "rem certdoctor: collects the registry settings, IE-mode site list and Edge preferences that",
            "rem certdoctor checks for the SSCC certificate renewal. It changes nothing on this computer and",
            "rem needs no administrator rights. Send the zip file it names at the end to support.",
            "setlocal",
            "set \"OUT=%TEMP%\\certdoctor-%COMPUTERNAME%\"",
            "if exist \"%OUT%\" rmdir /s /q \"%OUT%\"",
            "mkdir \"%OUT%\"",
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
            "powershell -NoProfile -ExecutionPolicy Bypass -Command \"Compress-Archive -Path '%OUT%\\*' -DestinationPath '%OUT%.zip' -Force\"",
            "if exist \"%OUT%.zip\" (echo Done: %OUT%.zip) else (echo Done: the files are in %OUT%)",
            "endlocal",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
