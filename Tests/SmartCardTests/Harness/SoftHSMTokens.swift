import Foundation

/// SoftHSM2 tokens for the PKCS#11 tests, made with softhsm2-util, openssl and pkcs11-tool in a
/// private SOFTHSM2_CONF. SoftHSM reads SOFTHSM2_CONF once per process at C_Initialize, so every
/// test shares this one set of tokens, made once.
///
/// The PINs are throwaway values for throwaway tokens; softhsm2-util and pkcs11-tool accept them
/// only as arguments (pkcs11-tool's prompt needs a terminal).
struct SoftHSMTokens: Sendable {
    static let gatewayNumber = "F000504Y0007"
    /// A token holding the gateway certificate and its private key, as a renewed token should.
    static let gatewayLabel = "gateway-ok"
    /// A token whose certificate is named with `#0`, the file-certificate convention (E5).
    static let hashZeroLabel = "gateway-hash0"
    /// A token holding the certificate without its key.
    static let noKeyLabel = "gateway-nokey"

    static let userPIN = "1234"

    let directory: URL
    let configuration: URL
    let certificate: URL

    static let shared: Result<SoftHSMTokens, ExternalProcess.Failure> = {
        do {
            return .success(try make())
        } catch let failure as ExternalProcess.Failure {
            return .failure(failure)
        } catch {
            return .failure(ExternalProcess.Failure(command: "SoftHSM set-up", status: -1, output: "\(error)"))
        }
    }()

    private static func make() throws -> SoftHSMTokens {
        let directory = try ExternalProcess.temporaryDirectory("certdoctor-softhsm")
        let tokens = directory.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("softhsm2.conf")
        try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(to: configuration, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", configuration.path, 1)
        let environment = ["SOFTHSM2_CONF": configuration.path]

        let key = directory.appendingPathComponent("key.pem")
        let certificatePEM = directory.appendingPathComponent("cert.pem")
        let certificate = directory.appendingPathComponent("cert.der")
        let keyDER = directory.appendingPathComponent("key.der")
        try ExternalProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", certificatePEM.path,
            "-days", "365", "-subj", "/CN=\(gatewayNumber)/O=SSCC test gateway",
        ])
        try ExternalProcess.run("/usr/bin/openssl", ["x509", "-in", certificatePEM.path, "-outform", "DER", "-out", certificate.path])
        let publicKeyDER = directory.appendingPathComponent("pub.der")
        try ExternalProcess.run("/usr/bin/openssl", ["pkey", "-in", key.path, "-pubout", "-outform", "DER", "-out", publicKeyDER.path])
        try ExternalProcess.run("/usr/bin/openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", key.path, "-outform", "DER", "-out", keyDER.path])

        let objects: [(token: String, certificateLabel: String, withKey: Bool)] = [
            (gatewayLabel, gatewayNumber, true),
            (hashZeroLabel, gatewayNumber + "#0", true),
            (noKeyLabel, gatewayNumber, false),
        ]
        for object in objects {
            try ExternalProcess.run("/usr/bin/softhsm2-util", [
                "--init-token", "--free", "--label", object.token, "--so-pin", "12345678", "--pin", "1234",
            ], environment: environment)
            let common = ["--module", TestEnvironment.softHSMModule, "--token-label", object.token, "--login", "--pin", "1234"]
            try ExternalProcess.run("/usr/bin/pkcs11-tool", common + [
                "--write-object", certificate.path, "--type", "cert", "--id", "01", "--label", object.certificateLabel,
            ], environment: environment)
            if object.withKey {
                // The private key is visible only after login; the public key, as on a token that
                // generated its pair, is visible without.
                for (file, type) in [(keyDER, "privkey"), (publicKeyDER, "pubkey")] {
                    try ExternalProcess.run("/usr/bin/pkcs11-tool", common + [
                        "--write-object", file.path, "--type", type, "--id", "01", "--label", object.certificateLabel,
                    ], environment: environment)
                }
            }
        }
        return SoftHSMTokens(directory: directory, configuration: configuration, certificate: certificate)
    }
}
