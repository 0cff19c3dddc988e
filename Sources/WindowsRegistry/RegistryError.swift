import CertDoctorCore
import Foundation

/// What a parser expected and did not find. Each case has an English and a Chinese wording.
public enum MalformedRegistryInput: Equatable, Sendable {
    case wineHeader
    case valueWithoutKey
    case unrecognizedLine
    case closingDelimiter(Character)
    case valueType
    case hexByte
    case dword
    case truncatedContinuation
    case endOfLine
    case keyPath
    case lineTooLong(limit: Int)
    case regFileHeader
    case missingByteOrderMark
    case oddUTF16Length
    case invalidText(encoding: String)
    case rootKey(String)
    case policySignature
    case policyVersion(UInt32)
    case policyNulBytesReplacedBySpaces
    case policyRecordTruncated(offset: Int)
    case policyRecordSyntax(offset: Int, expected: String)

    public var english: String {
        switch self {
        case .wineHeader: return "expected the header 'WINE REGISTRY Version 2'"
        case .valueWithoutKey: return "value without key: expected a '[key]' line before the first value"
        case .unrecognizedLine: return "expected '[key]', a value ('\"name\"=' or '@='), '#option' or ';comment'"
        case .closingDelimiter(let c): return "expected a closing '\(c)'"
        case .valueType: return "expected a value type (\"text\", str(N):, dword:, hex:, hex(N):)"
        case .hexByte: return "expected hex bytes separated by commas"
        case .dword: return "expected 1 to 8 hex digits after 'dword:'"
        case .truncatedContinuation: return "expected a continuation line after '\\' but the file ends"
        case .endOfLine: return "expected the end of the line"
        case .keyPath: return "expected a key path"
        case .lineTooLong(let limit): return "expected a line shorter than \(limit) bytes"
        case .regFileHeader: return "expected 'Windows Registry Editor Version 5.00' or 'REGEDIT4'"
        case .missingByteOrderMark: return "expected a UTF-16LE byte order mark (FF FE) before UTF-16 text"
        case .oddUTF16Length: return "expected an even number of bytes of UTF-16 text"
        case .invalidText(let encoding): return "expected text in \(encoding)"
        case .rootKey(let name): return "expected a root key (HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, …), found '\(name)'"
        case .policySignature: return "expected the Registry.pol signature 'PReg'"
        case .policyVersion(let v): return "expected Registry.pol version 1, found \(v)"
        case .policyNulBytesReplacedBySpaces:
            return "expected Registry.pol version 1, but every NUL byte has become a space (the file was converted as text)"
        case .policyRecordTruncated(let offset): return "expected a complete record, but the file ends inside the record at byte \(offset)"
        case .policyRecordSyntax(let offset, let expected): return "expected \(expected) at byte \(offset)"
        }
    }

    public var chinese: String {
        switch self {
        case .wineHeader: return "应为文件头 'WINE REGISTRY Version 2'"
        case .valueWithoutKey: return "值前没有键：第一个值之前应有 '[键]' 行"
        case .unrecognizedLine: return "应为 '[键]'、值（'\"名称\"=' 或 '@='）、'#选项' 或 ';注释'"
        case .closingDelimiter(let c): return "缺少结束符 '\(c)'"
        case .valueType: return "应为值类型（\"文本\"、str(N):、dword:、hex:、hex(N):）"
        case .hexByte: return "应为以逗号分隔的十六进制字节"
        case .dword: return "'dword:' 之后应为 1 到 8 位十六进制数字"
        case .truncatedContinuation: return "'\\' 之后应有续行，但文件已结束"
        case .endOfLine: return "此处应为行尾"
        case .keyPath: return "应为键路径"
        case .lineTooLong(let limit): return "行长度应小于 \(limit) 字节"
        case .regFileHeader: return "应为 'Windows Registry Editor Version 5.00' 或 'REGEDIT4'"
        case .missingByteOrderMark: return "UTF-16 文本之前应有 UTF-16LE 字节序标记（FF FE）"
        case .oddUTF16Length: return "UTF-16 文本的字节数应为偶数"
        case .invalidText(let encoding): return "应为 \(encoding) 编码的文本"
        case .rootKey(let name): return "应为根键（HKEY_LOCAL_MACHINE、HKEY_CURRENT_USER 等），实际为 '\(name)'"
        case .policySignature: return "应为 Registry.pol 签名 'PReg'"
        case .policyVersion(let v): return "Registry.pol 版本应为 1，实际为 \(v)"
        case .policyNulBytesReplacedBySpaces:
            return "Registry.pol 版本应为 1，但所有 NUL 字节都变成了空格（文件被按文本转换过）"
        case .policyRecordTruncated(let offset): return "记录不完整：文件在第 \(offset) 字节处的记录中间结束"
        case .policyRecordSyntax(let offset, let expected): return "第 \(offset) 字节处应为 \(expected)"
        }
    }
}

/// Errors of the registry domain. `ending` says how a command they stop ends.
public enum RegistryError: Error, LocalizedError, Equatable, Sendable {
    /// `file:line: what was expected` (line is a byte offset for binary formats, see the message).
    case malformed(file: String, line: Int, problem: MalformedRegistryInput)
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case keyNotFound(path: String)
    case valueNotFound(key: String, name: String)
    case wineserverRunning(prefix: String, pid: Int32)
    case writeFailed(path: String, reason: String)
    case encodingUnavailable(name: String)
    case unencodableText(encoding: String, text: String)
    case invalidPath(String)
    case noHives(prefix: String)
    case unknownFileKind(path: String)
    /// A Registry.pol says nothing of whether it is the machine's or the user's; only its folder does.
    case policyScopeUnknown(path: String)

    public var errorDescription: String? {
        switch self {
        case .malformed(let file, let line, let problem):
            return line > 0 ? "\(file):\(line): \(problem.english)" : "\(file): \(problem.english)"
        case .fileNotFound(let path): return "\(path): no such file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .keyNotFound(let path): return "registry key not found: \(path)"
        case .valueNotFound(let key, let name):
            return "registry value not found: \(key) \(name.isEmpty ? "(Default)" : name)"
        case .wineserverRunning(let prefix, let pid):
            return "a wineserver (pid \(pid)) is running for the Wine prefix \(prefix); it would overwrite any change. "
                + "Stop it first with: WINEPREFIX='\(prefix)' wineserver -k"
        case .writeFailed(let path, let reason): return "\(path): cannot write: \(reason)"
        case .encodingUnavailable(let name): return "the character encoding \(name) is not available on this system"
        case .unencodableText(let encoding, let text): return "the text '\(text)' cannot be written in \(encoding)"
        case .invalidPath(let path): return "not a registry path: \(path)"
        case .noHives(let prefix): return "\(prefix): no Wine registry files (system.reg, user.reg) found"
        case .unknownFileKind(let path): return "\(path): neither a .reg file nor a Registry.pol file"
        case .policyScopeUnknown(let path):
            return "\(path): a Registry.pol outside a Machine/ or User/ folder; say which it is with --registry-hive HKLM or HKCU"
        }
    }

    public var chineseDescription: String {
        switch self {
        case .malformed(let file, let line, let problem):
            return line > 0 ? "\(file):\(line): \(problem.chinese)" : "\(file): \(problem.chinese)"
        case .fileNotFound(let path): return "\(path)：文件不存在"
        case .unreadable(let path, let reason): return "\(path)：无法读取：\(reason)"
        case .keyNotFound(let path): return "找不到注册表键：\(path)"
        case .valueNotFound(let key, let name): return "找不到注册表值：\(key) \(name.isEmpty ? "(默认)" : name)"
        case .wineserverRunning(let prefix, let pid):
            return "Wine 前缀 \(prefix) 的 wineserver（进程 \(pid)）正在运行，它会覆盖任何修改。"
                + "请先停止它：WINEPREFIX='\(prefix)' wineserver -k"
        case .writeFailed(let path, let reason): return "\(path)：无法写入：\(reason)"
        case .encodingUnavailable(let name): return "本系统不支持字符编码 \(name)"
        case .unencodableText(let encoding, let text): return "文本 '\(text)' 无法用 \(encoding) 编码写出"
        case .invalidPath(let path): return "不是注册表路径：\(path)"
        case .noHives(let prefix): return "\(prefix)：找不到 Wine 注册表文件（system.reg、user.reg）"
        case .unknownFileKind(let path): return "\(path)：既不是 .reg 文件也不是 Registry.pol 文件"
        case .policyScopeUnknown(let path):
            return "\(path)：Registry.pol 不在 Machine/ 或 User/ 目录下，请用 --registry-hive HKLM 或 HKCU 指明"
        }
    }

    /// How a command this error stops ends.
    public var ending: CommandEnding {
        switch self {
        case .malformed, .unknownFileKind: return .dataError
        case .policyScopeUnknown: return .usage
        case .fileNotFound, .unreadable, .noHives: return .noInput
        case .keyNotFound, .valueNotFound: return .failure
        case .wineserverRunning: return .temporaryFailure
        case .writeFailed: return .cannotCreate
        case .invalidPath: return .usage
        case .encodingUnavailable, .unencodableText: return .dataError
        }
    }
}
