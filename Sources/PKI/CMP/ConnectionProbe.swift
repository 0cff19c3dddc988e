import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connect to the CA before the CMP exchange: a refused connection (nothing listens, a firewall that
/// rejects) is known at once, where OpenSSL's HTTP client would retry it until the message timeout.
enum ConnectionProbe {
    static func connect(host: String, port: Int, timeout: TimeInterval) throws(CMPError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw .unreachable(detail: "\(host): " + String(cString: gai_strerror(resolved)))
        }
        defer { freeaddrinfo(first) }
        var lastError = ECONNREFUSED
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let candidate = address {
            address = candidate.pointee.ai_next
            let fd = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), candidate.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            defer { close(fd) }
            if Glibc.connect(fd, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 { return }
            guard errno == EINPROGRESS else { lastError = errno; continue }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(min(max(1, timeout * 1000), 86_400_000))
            let ready = poll(&poller, 1, milliseconds)
            guard ready > 0 else { lastError = ready == 0 ? ETIMEDOUT : errno; continue }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure == 0 { return }
            lastError = failure
        }
        throw .unreachable(detail: "\(host):\(port): " + String(cString: strerror(lastError)))
    }
}
