import CertDoctorCore
import PKI
import SmartCard
import XMLSupport

/// What `certdoctor --version` says: this program's version and commit, and the C libraries it runs with — a
/// support ticket needs the OpenSSL that opened the file, not the one on the build machine.
public enum VersionReport {
    public static var lines: [Localized] {
        [
            Localized(verbatim: "certdoctor \(Doctor.version)"),
            BuildInfo.commit.map { Localized(zh: "提交 \($0)", en: "commit \($0)") }
                ?? Localized(
                    zh: "提交 unknown（未写入此构建；scripts/package.sh 打包时写入）",
                    en: "commit unknown (not written into this build; scripts/package.sh writes it when packaging)"),
            Localized(zh: "\(OpenSSLVersion.text)（运行时）", en: "\(OpenSSLVersion.text) (at run time)"),
            Localized(
                zh: "libxml2 \(LibXMLVersion.libxml2)，libxslt \(LibXMLVersion.libxslt)（运行时）",
                en: "libxml2 \(LibXMLVersion.libxml2), libxslt \(LibXMLVersion.libxslt) (at run time)"),
            Localized(
                zh: "pcsc-lite \(PCSCLiteVersion.compiledAgainst)（编译时所用版本：libpcsclite 没有运行时查询版本的接口）",
                en: "pcsc-lite \(PCSCLiteVersion.compiledAgainst) (compiled against: libpcsclite has no call that tells its version at run time)"),
        ]
    }

    public static func text(_ language: Language) -> String {
        lines.map { $0.text(language) }.joined(separator: "\n")
    }
}
