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

    /// The byte search for Chinese values rests on this table: each character in it is its own canonical
    /// decomposition and has combining class 0, so text made of them is equivalent only to equal text.
    @Test func inertCharactersAreTheirOwnCanonicalForm() {
        for range in SearchedText.inertScalars {
            for value in range {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let text = String(Character(scalar))
                #expect(scalar.properties.canonicalCombiningClass == .notReordered, "U+\(String(value, radix: 16))")
                #expect(text.decomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(text.unicodeScalars),
                        "U+\(String(value, radix: 16))")
            }
        }
    }

    @Test func chineseValuesAreSearchedByTheirBytesInInertText() {
        #expect(SearchedText("口令：123456，密码").isCanonicallyInert)
        #expect(!SearchedText("e\u{0301}").isCanonicallyInert)
        #expect(!SearchedText("\u{F9FC}").isCanonicallyInert)  // a CJK compatibility ideograph
        #expect(SubstringSearch.mayContain("密码", in: SearchedText("请输入密码：")))
        #expect(!SubstringSearch.mayContain("密码", in: SearchedText("请输入口令：")))
        // Not inert: Foundation decides, and finds the decomposed spelling of a composed value.
        #expect(SubstringSearch.mayContain("caf\u{00E9}", in: SearchedText("cafe\u{0301}!")))
    }

    /// The redactor's gate for "password: …" patterns answers as lower-casing the text and searching did.
    @Test(arguments: texts + ["PassWord=1", "PIN码 12", "Ｐａｓｓｗｏｒｄ: x", "\u{0130}NFO pin", "AUTH CODE 1", "Secret"])
    func labelSearchIgnoringCaseAnswersAsLowerCasing(text: String) {
        let lower = text.lowercased()
        let expected = Redactor.secretLabels.contains { lower.contains($0) }
        #expect(Redactor.mayLabelASecret(text) == expected, "\(text)")
    }

    /// Whether evidence is masked by its name answers exactly as Foundation's `contains` did.
    @Test(arguments: texts + ["Password", "PIN", "pin code", "spinner", "私钥文件", "密\u{0301}码", "Auth Code",
                              "reference\u{212A}code", "privatekey\r\n", "file", "subject"])
    func secretNamesAnswerAsFoundation(name: String) {
        let lower = name.lowercased()
        let expected = Redactor.secretNameWords.contains { lower.contains($0) }
            || (lower.contains("pin") && lower.contains(#/\bpin\b/#))
        #expect(Redactor.namesASecret(name) == expected, "\(name)")
    }

    @Test func answersNoWhereTheBytesAreNotThere() {
        #expect(!SubstringSearch.mayContain("123456", in: "12345"))
        #expect(!SubstringSearch.mayContain("PRIVATE KEY", in: "private key"))
        #expect(!SubstringSearch.mayContain("@", in: "no address here"))
        #expect(SubstringSearch.mayContain("123456", in: "x123456"))
    }
}
