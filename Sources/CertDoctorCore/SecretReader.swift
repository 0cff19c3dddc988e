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
        case unreadableFile(secret: Localized, path: String, reason: String?)
        case noSource(secret: Localized, option: String, variable: String)
        case empty(secret: Localized, source: String)

        /// Each message names the secret that was asked for: a missing PIN is not "a certificate password".
        public var localizedMessage: Localized {
            switch self {
            case .unreadableFile(let secret, let path, let reason):
                reason.map {
                    Localized(zh: "无法读取存放\(secret.zh)的文件 \(path)：\($0)", en: "cannot read \(path), the file with \(secret.en): \($0)")
                } ?? Localized(zh: "找不到存放\(secret.zh)的文件 \(path)", en: "\(path), the file with \(secret.en), does not exist")
            case .noSource(let secret, let option, let variable):
                Localized(
                    zh: "需要\(secret.zh)：请用 \(option) 文件或环境变量 \(variable) 提供，或在终端中运行以便输入",
                    en: "\(secret.en) is needed: give \(option) FILE or the environment variable \(variable), or run on a terminal to be asked")
            case .empty(let secret, let source):
                Localized(zh: "\(source) 中的\(secret.zh)为空", en: "\(secret.en) from \(source) is empty")
            }
        }
    }

    /// The names of the secrets certdoctor reads, as its messages speak of them.
    public enum Name {
        public static let certificatePassword = Localized(zh: "证书密码", en: "the certificate password")
        public static let newCertificatePassword = Localized(zh: "新证书密码", en: "the new certificate password")
        public static let newKeyPassword = Localized(zh: "新密钥的密码", en: "the new key's password")
        public static let tokenPIN = Localized(zh: "USB Key 的用户 PIN", en: "the token's user PIN")
        public static let referenceCode = Localized(zh: "参考码", en: "the reference code")
        public static let authorizationCode = Localized(zh: "授权码", en: "the authorization code")
    }

    /// `secret` names what is read (one of ``Name``), for the messages when it cannot be.
    public static func read(
        _ secret: Localized, file: String?, option: String, variable: String, prompt: String,
        environment: [String: String] = SecretVariables.processEnvironment
    ) throws(Failure) -> Secret {
        disableCoreDumps()
        if let file {
            // A FIFO or `<(…)` is read like a file; a failure says the system's reason.
            let data: [UInt8]
            do {
                data = try readBytes(URL(fileURLWithPath: file))
            } catch {
                guard FileManager.default.fileExists(atPath: file) else { throw .unreadableFile(secret: secret, path: file, reason: nil) }
                if case .cannotRead(_, let reason) = error { throw .unreadableFile(secret: secret, path: file, reason: reason) }
                throw .unreadableFile(secret: secret, path: file, reason: "\(error)")
            }
            // The first line only: a file written by `echo` ends with a newline that is not part of the password.
            let text = String(decoding: data, as: UTF8.self)
            let firstLine = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !firstLine.isEmpty else { throw .empty(secret: secret, source: file) }
            return Secret(firstLine)
        }
        if let value = environment[variable] {
            guard !value.isEmpty else { throw .empty(secret: secret, source: variable) }
            return Secret(value)
        }
        guard let typed = promptOnTerminal(prompt) else { throw .noSource(secret: secret, option: option, variable: variable) }
        guard !typed.isEmpty else { throw .empty(secret: secret, source: "/dev/tty") }
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
