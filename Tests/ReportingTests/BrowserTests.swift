import CertDoctorCore
import Foundation
import Reporting
import Testing

/// The HTML report opened in a real headless Chromium (Debian package `chromium`, with
/// `fonts-noto-cjk` so Chinese renders). Serialized: each run starts a browser on 2 cores.
@Suite(.serialized) struct BrowserTests {
    static let chromium = "/usr/bin/chromium"

    @Test(arguments: [Language.zh, Language.en])
    func renderedPageShowsEveryCheckAndMakesNoRequest(language: Language) throws {
        try #require(toolExists(Self.chromium), "apt-get install chromium fonts-noto-cjk")
        let directory = try TemporaryDirectory()
        var options = SampleReports.options
        options.language = language
        let written = try ReportOutput.writeReports(
            SampleReports.mixed(), options: options, formats: ["html"], to: directory.url)
        let page = try #require(written.first)

        let proxy = try RequestRecorder()
        defer { proxy.stop() }
        let dom = try Browser.run(["--dump-dom", page.absoluteString], proxy: proxy, profile: directory.file("profile"))
        #expect(dom.status == 0, "\(dom.output.prefix(500))")
        for result in SampleReports.mixed().results {
            #expect(dom.output.contains("data-check=\"\(result.id)\" data-outcome=\"\(result.outcome.rawValue)\""),
                    "\(result.id) missing from the rendered DOM")
        }
        #expect(dom.output.contains(language == .en ? "The certificate cannot be renewed yet" : "暂时不能更新证书"))
        try Self.expectOrderForAPerson(dom.output)

        let screenshot = Artefacts.directory.appendingPathComponent("report-\(language.rawValue).png")
        try? FileManager.default.removeItem(at: screenshot)
        let shot = try Browser.run(
            ["--window-size=1280,2400", "--screenshot=\(screenshot.path)", page.absoluteString],
            proxy: proxy, profile: directory.file("profile"))
        #expect(shot.status == 0)
        let png = try #require(FileManager.default.contents(atPath: screenshot.path))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))

        // The printed form (print stylesheet) is kept as an artefact too.
        let pdf = Artefacts.directory.appendingPathComponent("report-\(language.rawValue).pdf")
        try? FileManager.default.removeItem(at: pdf)
        let printed = try Browser.run(
            ["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString],
            proxy: proxy, profile: directory.file("profile"))
        #expect(printed.status == 0)
        #expect(FileManager.default.contents(atPath: pdf.path)?.starts(with: Array("%PDF".utf8)) == true)
        try Self.expectPrintedForPaper(pdf)

        #expect(proxy.pageRequests.isEmpty, "the report page asked for \(proxy.pageRequests)")
    }

    /// The page as a support engineer reads it: the title names the gateway, the (redacted) host and the day; the
    /// verdict leads, then the required problems with their evidence open, then advisory findings, then what passed;
    /// what was not examined comes last, folded into one line per area.
    static func expectOrderForAPerson(_ dom: String) throws {
        let title = try #require(dom.firstMatch(of: #/<title>([^<]*)</title>/#)?.output.1, "no title")
        let day = String(SampleReports.started.formatted(.iso8601).prefix(10))
        #expect(title.contains("F000504Y0007") && title.contains("&lt;host-1&gt;") && title.contains(day), "\(title)")
        func first(_ text: String) -> String.Index? { dom.range(of: text)?.lowerBound }
        func last(_ text: String) -> String.Index? { dom.range(of: text, options: .backwards)?.lowerBound }
        let verdict = try #require(first(#"id="verdict""#))
        let requiredProblem = try #require(first(#"data-check="browser.trusted-site" data-outcome="fail""#))
        let erring = try #require(first(#"data-check="token.single" data-outcome="error""#))
        let passed = try #require(first(#"data-outcome="pass""#))
        let lastPassed = try #require(last(#"data-outcome="pass""#))
        let folded = try #require(first(#"data-outcome="notapplicable""#))
        #expect(verdict < requiredProblem && requiredProblem < passed && erring < passed, "problems before passes")
        #expect(lastPassed < folded, "not-applicable checks after every pass")
        #expect(dom.contains(#"<li data-area="token""#) && dom.contains(#"<li data-area="windows""#), "one line per area")
        // Evidence is open for the problems only.
        let opened = dom.ranges(of: "<details open").map(\.lowerBound)
        #expect(opened.count == 2, "\(opened.count) open")
        #expect(opened.allSatisfy { $0 < passed })
        // The command line, its home directory redacted like every other path.
        #expect(dom.contains("certdoctor check --pfx") && !dom.contains(Canary.user), "command line missing or unredacted")
    }

    /// Printed, every piece of evidence is on paper (a collapsed one too), and the page count is what the content needs.
    static func expectPrintedForPaper(_ pdf: URL) throws {
        try #require(toolExists("/usr/bin/pdftotext"), "apt-get install poppler-utils")
        let text = try runTool("/usr/bin/pdftotext", ["-layout", pdf.path, "-"]).output
        // The passing name check's evidence is collapsed on screen; its serial placeholder is printed all the same.
        #expect(text.contains("<serial-1>"), "\(text.prefix(2000))")
        let info = try runTool("/usr/bin/pdfinfo", [pdf.path]).output
        let pages = info.firstMatch(of: #/Pages:\s+(\d+)/#).flatMap { Int($0.output.1) } ?? 0
        #expect((1...4).contains(pages), "\(pages) A4 pages for seven checks")
        #expect(info.contains("(A4)"), "A4: \(info)")
    }

    /// Proves the recorder would see a page's request: without this, an empty list proves nothing.
    @Test func recorderCatchesARequestingPage() throws {
        try #require(toolExists(Self.chromium), "apt-get install chromium fonts-noto-cjk")
        let directory = try TemporaryDirectory()
        let page = try directory.write(
            Array(#"<!DOCTYPE html><html><body><img src="http://certdoctor-canary.invalid/x.png"></body></html>"#.utf8),
            to: "leaky.html")
        let proxy = try RequestRecorder()
        defer { proxy.stop() }
        _ = try Browser.run(["--dump-dom", page.absoluteString], proxy: proxy, profile: directory.file("profile"))
        #expect(proxy.pageRequests.contains("certdoctor-canary.invalid"))
    }
}

enum Artefacts {
    /// Screenshots land here for people (and CI) to look at; `CERTDOCTOR_TEST_ARTIFACTS` overrides.
    static let directory: URL = {
        let base = ProcessInfo.processInfo.environment["CERTDOCTOR_TEST_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.appendingPathComponent(".build/test-artifacts")
        let url = base.appendingPathComponent("reporting", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
}

enum Browser {
    static func run(_ arguments: [String], proxy: RequestRecorder, profile: URL) throws -> ToolRun {
        try runTool(BrowserTests.chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps",
            // Every request, the page's and the browser's own, goes to the recorder.
            "--proxy-server=http://127.0.0.1:\(proxy.port)", "--proxy-bypass-list=<-loopback>",
            "--user-data-dir=\(profile.path)",
        ] + arguments, stderrToNull: true)
    }
}

/// A fake HTTP proxy that records which hosts a browser asked for and answers nothing.
final class RequestRecorder: @unchecked Sendable {
    /// Chromium's own service traffic (updates, sign-in, clock), which no flag fully stops.
    static let browserServiceHosts: Set<String> = [
        "update.googleapis.com", "accounts.google.com", "clients2.google.com", "clients2.googleusercontent.com",
        "optimizationguide-pa.googleapis.com", "content-autofill.googleapis.com", "redirector.gvt1.com",
        "safebrowsingohttpgateway.googleapis.com", "edgedl.me.gvt1.com",
    ]

    let port: UInt16
    private let descriptor: Int32
    private let lock = NSLock()
    private var hosts: [String] = []
    private var stopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 32) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit {
        close(descriptor)
    }

    /// Hosts requested other than the browser's own services.
    var pageRequests: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return Set(hosts).subtracting(Self.browserServiceHosts)
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private func serve() {
        while true {
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { return }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 1024)
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let count = recv(client, &buffer, buffer.count, 0)
            close(client)
            guard count > 0 else { continue }
            let line = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\r\n").first ?? ""
            // "CONNECT host:443 HTTP/1.1" or "GET http://host/path HTTP/1.1"
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { continue }
            var target = String(parts[1])
            if let range = target.range(of: "://") { target = String(target[range.upperBound...]) }
            let host = String(target.split(separator: "/").first?.split(separator: ":").first ?? "")
            lock.lock()
            hosts.append(host)
            lock.unlock()
        }
    }
}
