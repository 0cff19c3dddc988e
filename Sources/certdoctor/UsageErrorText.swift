import ArgumentParser
import CertDoctorCore
import Foundation

/// The argument parser's own usage errors ("Unknown option …", "Missing value for …") in the language `--lang`
/// asks for. The parser words them in English only; its sentences are few and fixed, so each is matched and said
/// again in Chinese, and anything not recognised is left as the parser wrote it rather than guessed at.
enum UsageErrorText {
    /// `text` (the parser's full message) in `language`.
    static func localized(_ text: String, language: Language) -> String {
        guard language == .zh else { return text }
        let sentences = Self.sentences
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = String(line)
            for (pattern, replacement) in sentences {
                if let match = line.wholeMatch(of: pattern) {
                    line = replacement(match.output.map { $0.substring.map(String.init) ?? "" })
                    break
                }
            }
            return line
        }.joined(separator: "\n")
    }

    /// Each sentence the parser writes, with what it says in Chinese; `$0` is the whole line, `$1…` its parts.
    /// Made when needed (only on the way out with a usage error), so that no regex is global state.
    private static var sentences: [(Regex<AnyRegexOutput>, ([String]) -> String)] { [
        (try! Regex(#"Error: Unknown option '(.+)'"#), { "错误：未知的选项“\($0[1])”" }),
        (try! Regex(#"Error: Missing value for '(.+)'"#), { "错误：“\($0[1])”缺少值" }),
        (try! Regex(#"Error: Missing expected argument '(.+)'"#), { "错误：缺少参数“\($0[1])”" }),
        (try! Regex(#"Error: The value '(.*)' is invalid for '(.+)'\. Please provide one of (.+)\."#),
         { "错误：“\($0[2])”不接受“\($0[1])”，可用的值：\($0[3].replacingOccurrences(of: " and ", with: "、"))" }),
        (try! Regex(#"Error: The value '(.*)' is invalid for '(.+)'"#), { "错误：“\($0[2])”不接受“\($0[1])”" }),
        (try! Regex(#"Error: Unexpected argument '(.+)'"#), { "错误：多余的参数“\($0[1])”" }),
        (try! Regex(#"Error: (\d+) unexpected arguments: (.+)"#), { "错误：\($0[1]) 个多余的参数：\($0[2])" }),
        (try! Regex(#"Error: (.+)"#), { "错误：\($0[1])" }),
        (try! Regex(#"Help:  (.+)"#), { "说明：\($0[1])" }),
        (try! Regex(#"Usage: (.+)"#), { "用法：\($0[1])" }),
        (try! Regex(#"  See '(.+)' for more information\."#), { "  详见“\($0[1])”。" }),
    ] }
}
