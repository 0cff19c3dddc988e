import Foundation
import Testing
@testable import Reporting

/// The redactor's byte search may say "yes" more often than Foundation's `contains`, never less: wherever
/// Foundation finds a value (a secret, a known user name, a pattern's label), the redactor still looks.
@Suite struct SubstringSearchTests {
    static let values = ["123456", "alice", "password", "PRIVATE KEY", "@", "/home/", "K1", "a;b", "密码", "张三", "é"]
    static let texts = [
        "", "12345", "the password 123456 was wrong", "pin=123456,", "x123456y", "/home/alice/cert",
        "口令：123456", "密码: 654321", "用户 张三 的证书", "-----BEGIN PRIVATE KEY-----", "mail me@example.com",
        "\u{212A}1 is a Kelvin sign then 1", "a\u{037E}b", "e\u{0301} decomposed", "\u{00E9} composed",
        "alice\u{0301}", "passwor", "PASSWORD",
    ]

    @Test(arguments: values)
    func findsEverythingFoundationFinds(value: String) {
        for text in Self.texts where text.contains(value) {
            #expect(SubstringSearch.mayContain(value, in: text), "\(value) in \(text)")
        }
    }

    @Test func answersNoWhereTheBytesAreNotThere() {
        #expect(!SubstringSearch.mayContain("123456", in: "12345"))
        #expect(!SubstringSearch.mayContain("PRIVATE KEY", in: "private key"))
        #expect(!SubstringSearch.mayContain("@", in: "no address here"))
        #expect(SubstringSearch.mayContain("123456", in: "x123456"))
    }
}
