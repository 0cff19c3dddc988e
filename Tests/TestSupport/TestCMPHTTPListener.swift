import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PKI

/// NOT FOR PRODUCTION. Serves a ``TestCMPServer`` over HTTP/1.0 (`POST`, `application/pkixcmp`) on
/// 127.0.0.1 at an ephemeral port, from one background thread, one connection at a time. The loop is
/// bounded: it ends after `maxConnections` connections, after `lifetime`, or on ``stop()``.
/// OpenSSL's own CMP HTTP server is application code (apps/), not part of libcrypto, hence this.
public final class TestCMPHTTPListener: @unchecked Sendable {
    public let port: UInt16
    /// `http://127.0.0.1:<port>/pkix/`
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/pkix/")! }

    private let state = State()

    /// Shared with the serving thread. `@unchecked Sendable`: `stopRequested` is only used under `lock`.
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var stopRequested = false
        let finished = DispatchSemaphore(value: 0)
        var shouldStop: Bool { lock.withLock { stopRequested } }
    }

    public init(server: TestCMPServer, maxConnections: Int = 32, lifetime: TimeInterval = 60) throws(TestPKIError) {
        #if os(Linux)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let socketFD = socket(AF_INET, stream, 0)
        guard socketFD >= 0 else { throw TestPKIError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketFD, generic, length) == 0 && listen(socketFD, 8) == 0
                    && getsockname(socketFD, generic, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(socketFD)
            throw TestPKIError("bind/listen on 127.0.0.1: \(reason)")
        }
        port = UInt16(bigEndian: address.sin_port)
        let state = self.state
        let thread = Thread {
            Self.serve(socketFD, server: server, state: state, maxConnections: maxConnections,
                       deadline: Date().addingTimeInterval(lifetime))
        }
        thread.name = "TestCMPHTTPListener:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// Ends the loop and waits for the serving thread (at most about 0.1 s plus a request in progress).
    public func stop() {
        let first = state.lock.withLock { () -> Bool in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
        if first { state.finished.wait() }
    }

    private static func serve(_ socketFD: Int32, server: TestCMPServer, state: State, maxConnections: Int, deadline: Date) {
        defer {
            close(socketFD)
            state.finished.signal()
        }
        var served = 0
        while served < maxConnections, Date() < deadline, !state.shouldStop {
            var descriptor = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let connection = accept(socketFD, nil, nil)
            guard connection >= 0 else { continue }
            served += 1
            handle(connection, server: server, state: state, deadline: deadline)
            close(connection)
        }
    }

    private static func handle(_ connection: Int32, server: TestCMPServer, state: State, deadline: Date) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let body = readRequestBody(connection) else {
            sendAll(connection, Array("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            return
        }
        if server.behaviour == .neverAnswer {
            while !state.shouldStop, Date() < deadline {
                var descriptor = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
                // The client gives up and closes: readable with nothing to read.
                if poll(&descriptor, 1, 100) > 0 { break }
            }
            return
        }
        guard let response = server.respond(to: body) else {
            sendAll(connection, Array("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            return
        }
        let header = "HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: \(response.count)\r\nConnection: close\r\n\r\n"
        sendAll(connection, Array(header.utf8) + response)
    }

    /// Reads the header (at most 64 KiB) and a body of Content-Length bytes (at most 1 MiB).
    private static func readRequestBody(_ connection: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        var contentLength: Int?
        while true {
            if headerEnd == nil, let end = data.indices.first(where: { data[$0...].starts(with: separator) }) {
                headerEnd = end + separator.count
                let header = String(decoding: data[..<end], as: UTF8.self)
                for line in header.split(separator: "\r\n") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces))
                    }
                }
                guard let length = contentLength, length <= 1 << 20 else { return nil }
            }
            if let start = headerEnd, let length = contentLength, data.count - start >= length {
                return Array(data[start..<start + length])
            }
            if headerEnd == nil, data.count > 65_536 { return nil }
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            data += chunk[..<count]
        }
    }

    private static func sendAll(_ connection: Int32, _ bytes: [UInt8]) {
        // A client that hung up must not kill the test process with SIGPIPE.
        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        var on: Int32 = 1
        setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        let flags: Int32 = 0
        #endif
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, flags) }
            guard written > 0 else { return }
            offset += written
        }
    }
}
