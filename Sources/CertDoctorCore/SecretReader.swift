internal import CSystemShims
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret from a file, an environment variable, or a no-echo prompt on the terminal: never from argv,
/// where every user of the machine could read it in the process list.
public enum SecretReader {
    public enum Failure: Error, LocalizedMessage, Sendable {
        /// `reason` nil: the file does not exist.
        case unreadableFile(path: String, reason: String?)
        case noSource(option: String, variable: String)
        case empty(source: String)

        public var localizedMessage: Localized {
            switch self {
            case .unreadableFile(let path, let reason):
                reason.map { Localized(zh: "无法读取密码文件 \(path)：\($0)", en: "cannot read the password file \(path): \($0)") }
                    ?? Localized(zh: "找不到密码文件 \(path)", en: "the password file \(path) does not exist")
            case .noSource(let option, let variable):
                Localized(
                    zh: "需要证书密码：请用 \(option) 文件或环境变量 \(variable) 提供，或在终端中运行以便输入",
                    en: "a certificate password is needed: give \(option) FILE or the environment variable \(variable), or run on a terminal to be asked")
            case .empty(let source):
                Localized(zh: "\(source) 中的密码为空", en: "the password from \(source) is empty")
            }
        }
    }

    public static func read(
        file: String?, option: String, variable: String, prompt: String,
        environment: [String: String] = SecretVariables.processEnvironment
    ) throws(Failure) -> Secret {
        disableCoreDumps()
        if let file {
            // A FIFO or `<(…)` is read like a file; a failure says the system's reason.
            let data: [UInt8]
            do {
                data = try readBytes(URL(fileURLWithPath: file))
            } catch {
                guard FileManager.default.fileExists(atPath: file) else { throw .unreadableFile(path: file, reason: nil) }
                if case .cannotRead(_, let reason) = error { throw .unreadableFile(path: file, reason: reason) }
                throw .unreadableFile(path: file, reason: "\(error)")
            }
            // The first line only: a file written by `echo` ends with a newline that is not part of the password.
            let text = String(decoding: data, as: UTF8.self)
            let firstLine = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !firstLine.isEmpty else { throw .empty(source: file) }
            return Secret(firstLine)
        }
        if let value = environment[variable] {
            guard !value.isEmpty else { throw .empty(source: variable) }
            return Secret(value)
        }
        guard let typed = promptOnTerminal(prompt) else { throw .noSource(option: option, variable: variable) }
        guard !typed.isEmpty else { throw .empty(source: "/dev/tty") }
        return Secret(typed)
    }

    /// Asks on the controlling terminal with echo off; nil when there is no terminal.
    static func promptOnTerminal(_ prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        // Echo off until the answer is read; a signal meanwhile restores it before ending the process.
        guard cd_terminal_echo_off(fd) == 0 else { return nil }
        defer {
            cd_terminal_restore()
            _ = write(fd, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }

    /// A core dump would hold the secret; a doctor that has read one does not dump core.
    public static func disableCoreDumps() {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
        // Also keeps children (plugins, Wine) and other processes of the user out of /proc/PID/environ and mem.
        _ = cd_set_not_dumpable()
    }
}
