import SSCCProfile
import CertDoctorCore
import Foundation
import PKI

/// The file certificate as every `cert.*` check sees it, opened once per run.
public struct OpenedPFX: Sendable {
    public var file: URL
    public var contents: PKCS12Contents
    public var certificate: X509Certificate

    /// Opens `--pfx` with its password, once per run; failures are remembered as well, so the checks that
    /// depend on `cert.pfx-readable` never ask OpenSSL twice.
    public static func load(_ context: CheckContext) throws -> OpenedPFX {
        try context.loads.value(of: OpenedPFX.self) {
            guard let file = context.environment.pfxFile else { throw PFXProblem.notGiven }
            guard let password = context.environment.pfxPassword else { throw PFXProblem.noPassword }
            let bytes = try readBytes(file)
            let contents = try PKCS12Archive.open(bytes, password: password.reveal())
            guard let certificate = contents.certificate else { throw PFXProblem.noCertificate }
            return OpenedPFX(file: file, contents: contents, certificate: certificate)
        }
    }

    /// Evidence every certificate check shows, so each result stands on its own in a report.
    public var certificateEvidence: [Evidence] {
        [
            Evidence("file", file.path, kind: .path),
            Evidence("subject", certificate.subject),
            Evidence("issuer", certificate.issuer),
            Evidence("serial", certificate.serialNumberHex, kind: .serialNumber),
            Evidence("notBefore", Self.timestamp(certificate.notBefore)),
            Evidence("notAfter", Self.timestamp(certificate.notAfter)),
            Evidence("sha1", certificate.sha1Thumbprint),
        ]
    }

    public var observation: CertificateObservation {
        CertificateObservation(
            subjectCommonName: certificate.subjectCommonName ?? "", issuerCommonName: certificate.issuerCommonName ?? "",
            serialNumber: certificate.serialNumberHex, notBefore: certificate.notBefore.timeIntervalSince1970,
            notAfter: certificate.notAfter.timeIntervalSince1970, filePath: file.path)
    }

    public static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// Why the file certificate could not be opened, apart from what PKCS#12 itself reports.
public enum PFXProblem: Error, LocalizedMessage {
    case notGiven
    case noPassword
    case noCertificate

    public var localizedMessage: Localized {
        switch self {
        case .notGiven: Localized(zh: "未指定文件证书", en: "no file certificate given")
        case .noPassword: Localized(zh: "未提供证书密码", en: "no certificate password given")
        case .noCertificate: Localized(zh: "PFX 文件中没有证书", en: "the PFX file holds no certificate")
        }
    }
}

extension PKCS12Protection {
    /// One line for evidence: `certificates pbeWithSHA1And3-KeyTripleDES-CBC, key …, MAC sha1 × 2048`.
    public var summary: String {
        let mac = macAlgorithm.map { "MAC \($0)" + (macIterations.map { " × \($0)" } ?? "") } ?? "no MAC"
        return "certificates \(certificateBagAlgorithm ?? "-"), key \(keyBagAlgorithm ?? "-"), \(mac)"
    }
}

extension PKCS12Error: LocalizedMessage {
    public var localizedMessage: Localized { Localized(zh: chineseDescription, en: errorDescription ?? "\(self)") }
}
