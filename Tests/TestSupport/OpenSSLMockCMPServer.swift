import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// NOT FOR PRODUCTION. OpenSSL's own CMP mock server (`openssl cmp -port`): an independent peer for the client,
/// answering with the fixed certificate `response` and publishing `publications` as caPubs. Ready when an
/// initializer returns (its port accepts connections); it serves until ``stop()``, as every client's connection
/// probe is one more connection to it.
public final class OpenSSLMockCMPServer {
    public let port: Int
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/pkix/")! }
    private let process = Process()

    /// Accepting initialization requests protected by a password-based MAC with `reference` and `secret`. The
    /// secret reaches it through the environment.
    public convenience init(reference: String, secret: String, response: String, publications: String) throws(TestPKIError) {
        try self.init(protection: ["-srv_ref", reference, "-srv_secret", "env:MOCK_CMP_SECRET"], environment: ["MOCK_CMP_SECRET": secret],
                      response: response, publications: publications)
    }

    /// Accepting requests signed by a certificate that chains to `trusted` (a key update signed with the old key),
    /// signing its answers with `certificate` and `key`. It answers only a request naming the issuer and serial of
    /// `response`'s predecessor as the old certificate's.
    public convenience init(certificate: String, key: String, trusted: String, response: String, publications: String) throws(TestPKIError) {
        try self.init(protection: ["-srv_cert", certificate, "-srv_key", key, "-srv_trusted", trusted], environment: [:],
                      response: response, publications: publications)
    }

    private init(protection: [String], environment: [String: String], response: String, publications: String) throws(TestPKIError) {
        port = Int.random(in: 20_000...60_000)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["cmp", "-config", "", "-port", String(port), "-max_msgs", "0"] + protection
            + ["-rsp_cert", response, "-rsp_capubs", publications]
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw TestPKIError("openssl cmp mock: \(error)") }
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw TestPKIError("openssl cmp mock did not listen on \(port)")
            }
            usleep(50_000)
        }
    }

    deinit { stop() }

    /// SIGKILL: the mock, blocked in its HTTP server loop, does not end on SIGTERM.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
