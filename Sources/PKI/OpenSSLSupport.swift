import COpenSSL
import COpenSSLShims

/// Process-wide OpenSSL set-up. Loading any provider explicitly switches off the implicit load of
/// `default`, so both are loaded together. `legacy` is what opens RC2-40 PKCS#12 files (old OpenSSL,
/// `openssl pkcs12 -export -legacy`, many Windows XP-era exports); 3DES needs no legacy provider in 3.0.
/// Process-wide OpenSSL set-up that the executable does once, first thing.
public enum OpenSSLProcess {
    /// Asks OpenSSL not to tear itself down at exit: a check that ran out of time may still be inside
    /// libcrypto on its own thread when the process ends, and a cleanup under it crashed (SIGSEGV at exit).
    /// The kernel frees everything anyway.
    public static func keepAliveUntilExit() {
        OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }

    /// Reads OpenSSL's configuration, loads the providers and fills the cipher table: what opening the first
    /// PFX of a run would do first. Safe from any thread and done once; a command that will open one calls it
    /// on another core while its arguments are parsed.
    public static func prepareCiphers() {
        OpenSSLRuntime.loadProviders()
        OpenSSLRuntime.fillCipherTable()
    }
}

package enum OpenSSLRuntime {
    /// A `static let` is initialised once, atomically, on first use. The provider handles are kept
    /// loaded for the life of the process on purpose.
    private static let legacyProviderLoaded: Bool = {
        let defaultProvider = OSSL_PROVIDER_load(nil, "default")
        let legacyProvider = OSSL_PROVIDER_load(nil, "legacy")
        ERR_clear_error()
        return defaultProvider != nil && legacyProvider != nil
    }()

    /// Call at the top of every public entry point that may fetch an algorithm.
    @discardableResult
    package static func loadProviders() -> Bool { legacyProviderLoaded }

    /// OpenSSL fills its table of ciphers on the first fetch of any, and two threads fetching at once each
    /// filled it: a fetch made once, before any two can race.
    private static let cipherTableFilled: Bool = {
        EVP_CIPHER_free(EVP_CIPHER_fetch(nil, "AES-256-CBC", nil))
        ERR_clear_error()
        return true
    }()

    package static func fillCipherTable() {
        _ = cipherTableFilled
    }

    /// True when `cipherName` is only offered by the legacy provider (RC2, RC4, DES, …).
    static func cipherNeedsLegacyProvider(_ cipherName: String) -> Bool {
        loadProviders()
        defer { ERR_clear_error() }
        if let fromDefault = EVP_CIPHER_fetch(nil, cipherName, "provider=default") {
            EVP_CIPHER_free(fromDefault)
            return false
        }
        guard let fromLegacy = EVP_CIPHER_fetch(nil, cipherName, "provider=legacy") else { return false }
        EVP_CIPHER_free(fromLegacy)
        return true
    }
}

/// One entry of OpenSSL's per-thread error queue (P8: `ERR_get_error_all` keeps the detail text).
package struct OpenSSLError: Sendable, CustomStringConvertible {
    let code: UInt
    let library: Int32
    let reason: Int32
    package let description: String

    var isUnsupported: Bool { reason == cd_err_r_unsupported }

    /// Drains the calling thread's error queue, oldest first.
    package static func drain() -> [OpenSSLError] {
        var errors: [OpenSSLError] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var text = (ERR_reason_error_string(code)).map { String(cString: $0) } ?? "error \(code)"
            if let library = ERR_lib_error_string(code) { text = "\(String(cString: library)): \(text)" }
            if let data, flags & ERR_TXT_STRING != 0 {
                // Some data is a multi-line certificate dump: keep one line, bounded.
                let extra = String(cString: data).split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if !extra.isEmpty { text += " (\(extra.count > 500 ? extra.prefix(500) + "…" : extra))" }
            }
            errors.append(OpenSSLError(code: code, library: ERR_GET_LIB(code), reason: ERR_GET_REASON(code),
                                       description: text))
        }
        return errors
    }

    /// A one-line summary of drained errors, or `fallback` when the queue was empty.
    package static func summary(_ errors: [OpenSSLError], fallback: String) -> String {
        errors.isEmpty ? fallback : errors.map(\.description).orderedUnique().joined(separator: "; ")
    }
}

extension Array where Element: Equatable {
    /// The elements in order, each only at its first occurrence.
    func orderedUnique() -> [Element] {
        reduce(into: []) { kept, element in if !kept.contains(element) { kept.append(element) } }
    }
}

/// Small helpers for getting bytes and text out of OpenSSL.
package enum OpenSSLBytes {
    /// Runs an `i2d_*` function twice (length, then bytes).
    package static func der(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
        let length = encode(nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return encode(&cursor)
        }
        return written == length ? bytes : nil
    }

    /// Runs `body` with a `d2i_*`-style cursor over `bytes` and reports how many bytes it consumed, so that
    /// trailing data after a valid structure is noticed (`d2i_*` ignores it silently).
    package static func decode<T>(_ bytes: [UInt8],
                          _ body: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> T?) -> (value: T, consumed: Int)? {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let value = body(&cursor, buffer.count), let end = cursor else { return nil }
            return (value, end - base)
        }
    }

    /// Collects what `body` writes into a memory BIO.
    package static func bio(_ body: (OpaquePointer) -> Bool) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = cd_bio_get_mem_data(bio, &data)
        guard length >= 0 else { return nil }
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    package static func bioString(_ body: (OpaquePointer) -> Bool) -> String? {
        bio(body).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A read-only memory BIO over `bytes`, valid only inside `body` (P4).
    package static func withReadBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) rethrows -> T? {
        try bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// PEM text for DER bytes under `label` (64-column base64, trailing newline).
    package static func pem(label: String, der: [UInt8]) -> String {
        bioString { bio in PEM_write_bio(bio, label, "", der, der.count) > 0 } ?? ""
    }

    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The UTF-8 text of an ASN.1 string of any type (BMPString, PrintableString, UTF8String, …).
    package static func utf8(_ string: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let string else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, string)
        guard length >= 0, let out else { return nil }
        defer { cd_openssl_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    package static func octets(_ string: UnsafePointer<ASN1_OCTET_STRING>?) -> [UInt8]? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }
}
