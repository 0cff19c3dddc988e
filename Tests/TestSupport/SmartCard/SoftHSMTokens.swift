import Foundation

/// SoftHSM2 tokens for the PKCS#11 tests, made with softhsm2-util, openssl and pkcs11-tool in a
/// private SOFTHSM2_CONF. SoftHSM reads SOFTHSM2_CONF at C_Initialize and the module is shared
/// by the whole test process, so every test target in the process uses one set of tokens in a
/// directory named by the process id, made once under a file lock.
///
/// The PINs are throwaway values for throwaway tokens; softhsm2-util and pkcs11-tool accept them
/// only as arguments (pkcs11-tool's prompt needs a terminal).
package struct SoftHSMTokens: Sendable {
    package static let gatewayNumber = "F000504Y0007"
    /// A token holding the gateway certificate and its private key, as a renewed token should.
    package static let gatewayLabel = "gateway-ok"
    /// A token whose certificate is named with `#0`, the file-certificate convention (E5).
    package static let hashZeroLabel = "gateway-hash0"
    /// A token holding the certificate without its key.
    package static let noKeyLabel = "gateway-nokey"
    /// A token holding an expired gateway certificate (2020–2021) and its key.
    package static let expiredLabel = "gateway-expired"
    /// A token holding the certificate and only its private key, marked private (CKA_PRIVATE), as a pair imported
    /// from a PFX leaves it: without login the token shows the certificate and nothing else.
    package static let privateKeyLabel = "gateway-private"
    /// A token whose gateway certificate expires in 11 days and some hours: inside the 30-day renewal window.
    package static let expiringLabel = "gateway-expiring"

    /// A token whose only gateway certificate is a renewal's new one not yet in place (`<gateway>.pending`).
    package static let pendingLabel = "gateway-pending"
    /// A token after a renewal: the working certificate under the gateway number, the old expired pair set aside
    /// as `<gateway>.old-<serial>`.
    package static let renewedLabel = "gateway-renewed"
    /// A token as a hardware renewal killed between its two renamings leaves it: the old pair set aside as
    /// `<gateway>.old-<serial>`, the new one still `<gateway>.pending`; no certificate bears the gateway's name.
    package static let interruptedLabel = "gateway-interrupted"
    /// A token with two working certificates named by the gateway number (CKA_ID 01 and 02).
    package static let twoCandidatesLabel = "gateway-two"

    /// A token with seven certificates and their public keys (fourteen objects visible without login): full by
    /// `token.room`'s object count.
    package static let fullLabel = "gateway-full"

    /// Empty tokens that renewal tests write to, one per test so none sees another's keys.
    package static let scratchLabels = ["scratch-session", "scratch-request", "scratch-cmp", "scratch-install", "scratch-keys", "scratch-mock", "scratch-removed", "scratch-update", "scratch-pin", "scratch-renew-cli", "scratch-enroll-cli", "scratch-renew-kill", "scratch-enroll-kill"]

    package static let userPIN = "1234"

    package let directory: URL
    package let configuration: URL
    package let certificate: URL

    package static let shared: Result<SoftHSMTokens, ExternalProcess.Failure> = {
        do {
            return .success(try make())
        } catch let failure as ExternalProcess.Failure {
            return .failure(failure)
        } catch {
            return .failure(ExternalProcess.Failure(command: "SoftHSM set-up", status: -1, output: "\(error)"))
        }
    }()

    private static func make() throws -> SoftHSMTokens {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certdoctor-softhsm-\(getpid())")
        let configuration = directory.appendingPathComponent("softhsm2.conf")
        let certificate = directory.appendingPathComponent("cert.der")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lock = open(directory.path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw ExternalProcess.Failure(command: "open lock", status: errno, output: directory.path) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        setenv("SOFTHSM2_CONF", configuration.path, 1)
        let ready = directory.appendingPathComponent("ready")
        if !FileManager.default.fileExists(atPath: ready.path) {
            try makeTokens(in: directory, configuration: configuration, certificate: certificate)
            _ = FileManager.default.createFile(atPath: ready.path, contents: nil)
        }
        return SoftHSMTokens(directory: directory, configuration: configuration, certificate: certificate)
    }

    private static func makeTokens(in directory: URL, configuration: URL, certificate: URL) throws {
        let tokens = directory.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(to: configuration, atomically: true, encoding: .utf8)
        let environment = ["SOFTHSM2_CONF": configuration.path]

        let key = directory.appendingPathComponent("key.pem")
        let certificatePEM = directory.appendingPathComponent("cert.pem")
        let keyDER = directory.appendingPathComponent("key.der")
        try ExternalProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", certificatePEM.path,
            "-days", "365", "-subj", "/CN=\(gatewayNumber)/O=SSCC test gateway",
        ])
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", certificatePEM.path, "-outform", "DER", "-out", certificate.path])
        let publicKeyDER = directory.appendingPathComponent("pub.der")
        try ExternalProcess.run("/usr/bin/openssl", ["pkey", "-in", key.path, "-pubout", "-outform", "DER", "-out", publicKeyDER.path])
        try ExternalProcess.run("/usr/bin/openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", key.path, "-outform", "DER", "-out", keyDER.path])

        // Twelve days from now at creation: 11 whole days left while the tests run.
        let expiringPEM = directory.appendingPathComponent("expiring-cert.pem")
        let expiringCertificate = directory.appendingPathComponent("expiring-cert.der")
        try ExternalProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-key", key.path, "-out", expiringPEM.path,
            "-days", "12", "-subj", "/CN=\(gatewayNumber)/O=SSCC test gateway",
        ])
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", expiringPEM.path, "-outform", "DER", "-out", expiringCertificate.path])

        // The expired pair comes from the file-certificate fixtures (their password is a test value).
        let expiredPFX = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/pfx/expired/F000504Y0007#0.pfx")
        let passwordFile = directory.appendingPathComponent("pfx-password")
        try "123456".write(to: passwordFile, atomically: true, encoding: .utf8)
        let expiredPEM = directory.appendingPathComponent("expired.pem")
        let expiredCertificate = directory.appendingPathComponent("expired-cert.der")
        let expiredKey = directory.appendingPathComponent("expired-key.der")
        let expiredPublicKey = directory.appendingPathComponent("expired-pub.der")
        try ExternalProcess.run("/usr/bin/openssl", [
            "pkcs12", "-in", expiredPFX.path, "-passin", "file:" + passwordFile.path, "-nodes", "-out", expiredPEM.path,
        ])
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", expiredPEM.path, "-outform", "DER", "-out", expiredCertificate.path])
        try ExternalProcess.run("/usr/bin/openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", expiredPEM.path, "-outform", "DER", "-out", expiredKey.path])
        try ExternalProcess.run("/usr/bin/openssl", ["pkey", "-in", expiredPEM.path, "-pubout", "-outform", "DER", "-out", expiredPublicKey.path])

        enum Keys { case pair, privateOnly, none }
        let objects: [(token: String, certificateLabel: String, keys: Keys, files: (URL, URL, URL))] = [
            (gatewayLabel, gatewayNumber, .pair, (certificate, keyDER, publicKeyDER)),
            (hashZeroLabel, gatewayNumber + "#0", .pair, (certificate, keyDER, publicKeyDER)),
            (noKeyLabel, gatewayNumber, .none, (certificate, keyDER, publicKeyDER)),
            (expiredLabel, gatewayNumber, .pair, (expiredCertificate, expiredKey, expiredPublicKey)),
            (privateKeyLabel, gatewayNumber, .privateOnly, (certificate, keyDER, publicKeyDER)),
            (expiringLabel, gatewayNumber, .pair, (expiringCertificate, keyDER, publicKeyDER)),
        ]
        // Tokens holding more than one pair, each pair under its own CKA_ID.
        let pairs: [(token: String, objects: [(label: String, id: String, files: (URL, URL, URL))])] = [
            (pendingLabel, [(gatewayNumber + ".pending", "01", (certificate, keyDER, publicKeyDER))]),
            (renewedLabel, [
                (gatewayNumber + ".old-0A1B", "01", (expiredCertificate, expiredKey, expiredPublicKey)),
                (gatewayNumber, "02", (certificate, keyDER, publicKeyDER)),
            ]),
            (fullLabel, (1...7).map { index in
                (gatewayNumber + ".old-0\(index)", "0\(index)", (certificate, keyDER, publicKeyDER))
            }),
            (interruptedLabel, [
                (gatewayNumber + ".old-0A1B", "01", (expiredCertificate, expiredKey, expiredPublicKey)),
                (gatewayNumber + ".pending", "02", (certificate, keyDER, publicKeyDER)),
            ]),
            (twoCandidatesLabel, [
                (gatewayNumber, "01", (certificate, keyDER, publicKeyDER)),
                (gatewayNumber, "02", (expiringCertificate, keyDER, publicKeyDER)),
            ]),
        ]
        for token in pairs {
            try ExternalProcess.run("/usr/bin/softhsm2-util", [
                "--init-token", "--free", "--label", token.token, "--so-pin", "12345678", "--pin", userPIN,
            ], environment: environment)
            let common = ["--module", TestEnvironment.softHSMModule, "--token-label", token.token, "--login", "--pin", userPIN]
            for object in token.objects {
                for (file, type) in [(object.files.0, "cert"), (object.files.1, "privkey"), (object.files.2, "pubkey")] {
                    try ExternalProcess.run("/usr/bin/pkcs11-tool", common + [
                        "--write-object", file.path, "--type", type, "--id", object.id, "--label", object.label,
                    ] + (type == "privkey" ? ["--private"] : []), environment: environment)
                }
            }
        }
        for label in scratchLabels {
            try ExternalProcess.run("/usr/bin/softhsm2-util", [
                "--init-token", "--free", "--label", label, "--so-pin", "12345678", "--pin", userPIN,
            ], environment: environment)
        }
        for object in objects {
            try ExternalProcess.run("/usr/bin/softhsm2-util", [
                "--init-token", "--free", "--label", object.token, "--so-pin", "12345678", "--pin", "1234",
            ], environment: environment)
            let common = ["--module", TestEnvironment.softHSMModule, "--token-label", object.token, "--login", "--pin", "1234"]
            try ExternalProcess.run("/usr/bin/pkcs11-tool", common + [
                "--write-object", object.files.0.path, "--type", "cert", "--id", "01", "--label", object.certificateLabel,
            ], environment: environment)
            // The private key is visible only after login (--private sets CKA_PRIVATE); the public key, as on a
            // token that generated its pair, is visible without.
            let keyObjects: [(URL, String)] = switch object.keys {
            case .pair: [(object.files.1, "privkey"), (object.files.2, "pubkey")]
            case .privateOnly: [(object.files.1, "privkey")]
            case .none: []
            }
            for (file, type) in keyObjects {
                try ExternalProcess.run("/usr/bin/pkcs11-tool", common + [
                    "--write-object", file.path, "--type", type, "--id", "01", "--label", object.certificateLabel,
                ] + (type == "privkey" ? ["--private"] : []), environment: environment)
            }
        }
    }
}
