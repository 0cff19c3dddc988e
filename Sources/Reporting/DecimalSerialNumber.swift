/// A certificate serial number in decimal, as the x509-certificate-exporter labels it (Go's `big.Int.String()`),
/// where OpenSSL and the rest of certdoctor print it in hexadecimal. Serials run to 20 bytes, beyond any fixed-width
/// integer, so the digits are converted by long division.
enum DecimalSerialNumber {
    /// `hex` as OpenSSL's `i2a_ASN1_INTEGER` writes it ("1000", "00", "-0A"); nil when it is not hexadecimal, such
    /// as a redaction placeholder.
    static func fromHex(_ hex: String) -> String? {
        let negative = hex.hasPrefix("-")
        let digits = negative ? hex.dropFirst() : Substring(hex)
        var value: [UInt8] = []
        for character in digits {
            guard let digit = character.hexDigitValue, character.isASCII else { return nil }
            value.append(UInt8(digit))
        }
        guard !value.isEmpty else { return nil }
        value = Array(value.drop { $0 == 0 })
        guard !value.isEmpty else { return "0" }

        var decimal: [Character] = []
        while !value.isEmpty {
            var quotient: [UInt8] = []
            var remainder = 0
            for digit in value {
                let accumulated = remainder * 16 + Int(digit)
                let next = accumulated / 10
                remainder = accumulated % 10
                if !(quotient.isEmpty && next == 0) { quotient.append(UInt8(next)) }
            }
            decimal.append(Character(String(remainder)))
            value = quotient
        }
        return (negative ? "-" : "") + String(decimal.reversed())
    }
}
