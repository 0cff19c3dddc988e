import ArgumentParser
import CertDoctorCore
import Foundation
import PKI
import Reporting
import SSCCChecks

#if canImport(Glibc)
import Glibc
#endif

struct RenewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew the file certificate — only when every required check passes.",
        discussion: """
            THE GATE
            renew first runs every check, as 'check' does. If any required check fails or cannot be evaluated, nothing is generated or sent: renew exits 1 and lists the failing checks with their remedies. --fix applies the available fixes first (asking, or --yes) and checks again. Nothing bypasses the gate.

            BACKENDS
            offline (default; the manual's 线下更新): makes a new key pair (--key-type, default rsa2048; or --new-key FILE) and a PKCS#10 request with the old certificate's subject, writes the request (--request-out, default <gateway>.csr.pem beside the certificate) for you to submit to the CA, and keeps the new key encrypted with the certificate password in $XDG_STATE_HOME/certdoctor/renewal/ (mode 0600). When the CA has issued the certificate, 'renew --import FILE' (.pem, .cer or .p7b) completes the renewal; the certificate must carry the pending key and the old subject.

            cmp: an RFC 4210 key update request to --ca-url, signed with the old certificate and key; the CA's answers must verify against --ca-cert; the new certificate is confirmed (certConf). --cmp-timeout limits every exchange.

            WRITING THE NEW CERTIFICATE (both backends)
            The new PFX is protected with the certificate password, in the Windows 7-compatible profile (PBE-SHA1-3DES, SHA-1 MAC) unless --pfx-profile modern. It is verified (opens with the password, key matches the certificate, same CN, later expiry, same issuer) before it replaces <gateway>#0.pfx by rename. The old file is archived first as archive/<gateway>#0.<old serial>.pfx and the new one as archive/<gateway>#0.<new serial>.pfx; archives are never overwritten or deleted. 'certdoctor undo' makes the old certificate the working one again; the new one stays archived.

            EXIT STATUS OF RENEW
              0   renewed and installed, or (offline) the request was written
              1   refused by the gate, or rejected by the CA (frozen, revoked: E7)
              64  usage error, or the backend lacks --ca-url/--ca-cert
              65  the CA's answer was refused (other key, untrusted, unverified)
              66  an input file is missing or unreadable
              69  the CA is unreachable (network, E7)
              73  the new file or its archive cannot be written (old one kept)
              75  the CA asks to try again later

            """ + ExitStatusHelp.text)

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case offline
        case cmp
    }

    enum PFXProfile: String, ExpressibleByArgument, CaseIterable {
        case windows7
        case modern

        var pkcs12: PKCS12Profile { self == .windows7 ? .windows7 : .modern }
    }

    @OptionGroup var targets: TargetOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "How to reach the CA: offline (a request to submit by hand) or cmp (RFC 4210 key update).")
    var backend: Backend = .offline

    @Option(name: .customLong("import"), help: "Complete an offline renewal with the issued certificate (.pem, .cer or .p7b).")
    var importFile: String?

    @Option(help: "The CMP server, e.g. http://ca.example:8080/pkix/ (cmp backend).")
    var caURL: String?

    @Option(help: "The CA certificate the CMP answers must be signed with (PEM or DER; cmp backend).")
    var caCert: String?

    @Option(help: "Seconds each CMP exchange may take.")
    var cmpTimeout: Double = 30

    @Option(help: "The new key pair to generate: \(RenewalKeyType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var keyType: String = RenewalKeyType.rsa2048.rawValue

    @Option(help: "Renew with a key pair made elsewhere (PEM, possibly encrypted) instead of a fresh one.")
    var newKey: String?

    @Option(help: "A file whose first line is --new-key's password (else CERTDOCTOR_NEW_KEY_PASSWORD, else a prompt).")
    var newKeyPasswordFile: String?

    @Option(help: "Protection of the new PFX: windows7 (PBE-SHA1-3DES, SHA-1 MAC; imports everywhere) or modern (AES/PBKDF2).")
    var pfxProfile: PFXProfile = .windows7

    @Option(help: "Where the offline backend writes the certificate request (default: <gateway>.csr.pem beside the certificate).")
    var requestOut: String?

    @Flag(help: "Apply the available fixes for failing checks first, then check again.")
    var fix = false

    @Flag(name: .shortAndLong, help: "With --fix: apply without asking.")
    var yes = false

    @Option(help: "Seconds each check of the gate may take.")
    var timeout: Double = 10

    func validate() throws {
        guard targets.pfx != nil else { throw ValidationError("renew needs --pfx, the file certificate to renew") }
        guard RenewalKeyType(rawValue: keyType) != nil else {
            throw ValidationError("--key-type takes \(RenewalKeyType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(keyType)'")
        }
        if importFile != nil, backend != .offline {
            throw ValidationError("--import completes an offline renewal; it does not go with --backend \(backend.rawValue)")
        }
        if importFile != nil, newKey != nil {
            throw ValidationError("--import uses the pending key of the offline request; --new-key does not apply")
        }
        guard timeout > 0, cmpTimeout > 0 else { throw ValidationError("--timeout and --cmp-timeout must be positive") }
    }

    func run() throws {
        let language = output.language
        try Console.run(language: language) {
            let session = try Session(targets: targets, output: output, timeout: timeout)
            let renewal = CertificateRenewal(
                doctor: session.doctor, environment: session.environment,
                journal: Journal(directory: Journal.defaultDirectory()),
                pending: PendingRenewalStore(directory: PendingRenewalStore.defaultDirectory()),
                profile: pfxProfile.pkcs12, checkTimeout: timeout, issuerCertificates: try caCertificate().map { [$0] } ?? [])
            let showProgress = isatty(STDERR_FILENO) == 1
            let progress: RenewalProgress = { line in
                if showProgress { FileHandle.standardError.write(Data(("  … " + line.text(language) + "\n").utf8)) }
            }
            let confirm: ([FixPlan]) -> Bool = { plans in
                Console.say(FixPlanText.render(plans, language: language))
                return yes || Console.confirm(language == .zh ? "执行以上修改？" : "Apply these changes?")
            }
            let result: CertificateRenewal.Result
            if let importFile {
                result = renewal.importIssued(URL(fileURLWithPath: importFile), fix: fix ? confirm : nil, progress: progress)
            } else {
                result = renewal.renew(
                    using: try makeBackend(pfx: session.environment.pfxFile), newKey: try loadNewKey(language: language),
                    keyType: RenewalKeyType(rawValue: keyType) ?? .rsa2048, fix: fix ? confirm : nil, progress: progress)
            }
            try emit(result, session: session)
            // On success the message is among the renewal steps already; stdout stays pure JSON with --format json.
            if let message = result.message, result.status != .success {
                Console.warn(message.text(language))
            }
            for blocking in result.blocking {
                Console.warn("\(blocking.id) [\(blocking.outcome.rawValue)]: \(blocking.message.text(language))"
                    + (blocking.remedy.map { " — " + $0.text(language) } ?? ""))
            }
            return result.status
        }
    }

    private func caCertificate() throws -> X509Certificate? {
        guard let caCert else { return nil }
        guard let data = FileManager.default.contents(atPath: caCert) else { throw TargetRequest.Failure.inputNotFound(caCert) }
        do {
            guard let first = try X509Certificate.load(Array(data)).first else { throw CertificateError.noCertificate }
            return first
        } catch {
            throw RenewalError.issuedFileUnreadable(path: caCert, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
    }

    private func makeBackend(pfx: URL?) throws -> any RenewalBackend {
        switch backend {
        case .offline:
            return OfflineBackend(
                pending: PendingRenewalStore(directory: PendingRenewalStore.defaultDirectory()),
                workingFile: pfx ?? URL(fileURLWithPath: "."), requestFile: requestOut.map { URL(fileURLWithPath: $0) })
        case .cmp:
            return CMPBackend(server: caURL.flatMap { URL(string: $0) }, caCertificate: try caCertificate(), timeout: cmpTimeout)
        }
    }

    /// `--new-key`: tried without a password first, so an unencrypted key never prompts.
    private func loadNewKey(language: Language) throws -> PrivateKey? {
        guard let newKey else { return nil }
        guard let data = FileManager.default.contents(atPath: newKey) else { throw TargetRequest.Failure.inputNotFound(newKey) }
        let text = String(decoding: data, as: UTF8.self)
        do {
            return try PrivateKey(pem: text)
        } catch PrivateKeyError.passwordRequired {
            let password = try SecretReader.read(
                file: newKeyPasswordFile, option: "--new-key-password-file", variable: "CERTDOCTOR_NEW_KEY_PASSWORD",
                prompt: language == .zh ? "新密钥的密码：" : "Password of the new key: ")
            do {
                return try PrivateKey(pem: text, password: password.reveal())
            } catch {
                throw RenewalError.newKeyUnreadable(path: newKey, reason: error.localizedDescription)
            }
        } catch {
            throw RenewalError.newKeyUnreadable(path: newKey, reason: error.localizedDescription)
        }
    }

    /// The report as `check` prints it (every format, `--report DIR`, redaction); the renewal steps are part of
    /// it, and after a text report they are listed for the person as well.
    private func emit(_ result: CertificateRenewal.Result, session: Session) throws {
        let language = output.language
        if !result.report.results.isEmpty || output.format != "text" { try session.emit(result.report) }
        guard output.format == "text" else { return }
        let lines = result.report.renewal.filter { $0.name != "progress" }.map { "  [\($0.outcome)] \($0.name): \($0.detail.text(language))" }
        if !lines.isEmpty {
            Console.say((language == .zh ? "证书更新：" : "Renewal:") + "\n" + lines.joined(separator: "\n"))
        }
    }
}
