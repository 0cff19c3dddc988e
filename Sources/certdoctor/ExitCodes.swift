import CertDoctorCore

/// The documented exit codes (DESIGN.md), sysexits-style. The layers below say how a command ends; only the
/// command line has exit codes, so the numbers and their explanation for `--help` live here.
extension CommandEnding {
    var exitCode: Int32 {
        switch self {
        case .success: 0
        case .failure: 1
        case .usage: 64
        case .dataError: 65
        case .noInput: 66
        case .unavailable: 69
        case .software: 70
        case .cannotCreate: 73
        case .temporaryFailure: 75
        }
    }

    var meaning: Localized {
        switch self {
        case .success: Localized(zh: "所有必需检查通过（或命令已完成）", en: "all required checks pass (or the command did its job)")
        case .failure: Localized(zh: "有必需检查未通过或无法判定，或更新被拦截", en: "a required check failed or could not be evaluated, or renewal was refused")
        case .usage: Localized(zh: "用法错误", en: "usage error")
        case .dataError: Localized(zh: "输入数据格式错误", en: "malformed input data")
        case .noInput: Localized(zh: "输入文件不存在或不可读", en: "input not found or unreadable")
        case .unavailable: Localized(zh: "服务（CA、pcscd）不可用", en: "a service (CA, pcscd) is unavailable")
        case .software: Localized(zh: "内部错误", en: "internal error")
        case .cannotCreate: Localized(zh: "无法写入输出", en: "cannot write output")
        case .temporaryFailure: Localized(zh: "暂时失败，请稍后重试", en: "temporary failure, try again")
        }
    }
}
