import CertDoctorCore
import Foundation
import XMLSupport

/// Why a manifest could not be loaded; always names the file, and the line where there is one.
public enum ManifestError: Error, LocalizedMessage, LocalizedError, Sendable {
    case invalid(file: String, line: Int, reason: String)
    case xml(XMLError)

    public var localizedMessage: Localized {
        switch self {
        case .invalid(let file, let line, let reason):
            Localized(zh: "\(file):\(line)：检查清单不符合 check-manifest.xsd：\(reason)",
                      en: "\(file):\(line): the check manifest does not follow check-manifest.xsd: \(reason)")
        case .xml(let error):
            Localized(zh: error.chineseDescription, en: error.errorDescription ?? "\(error)")
        }
    }

    public var errorDescription: String? { localizedMessage.en }
    public var chineseDescription: String { localizedMessage.zh }
}

extension ManifestError: CommandEndingProviding {
    /// A manifest that does not follow its schema is malformed input (65), not an internal error.
    public var ending: CommandEnding { .dataError }
}
