import Foundation
import COpenSSL
import COpenSSLShims

/// Opens and writes PKCS#12 (`.pfx`/`.p12`) files, telling a wrong password from a damaged file.
public enum PKCS12Archive {
    /// Opens a PKCS#12 file. The legacy provider is loaded first, so RC2-40 files open too.
    /// Error details come from OpenSSL and the file structure, never from the password.
    public static func open(_ bytes: [UInt8], password: String) throws(PKCS12Error) -> PKCS12Contents {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        defer { ERR_clear_error() }
        do throws(PKCS12Error) {
            return try PKCS12Reader.read(bytes, password: password, stepsAhead: true).contents
        } catch {
            throw error.redacting(password)
        }
    }

    /// Writes a PKCS#12 file holding `certificate`, its `privateKey` and `chain`, both bags labelled with
    /// `friendlyName` (UTF-8, stored as BMPString) and the certificate's SHA-1 as localKeyID, as
    /// `PKCS12_create` does.
    public static func create(certificate: X509Certificate, privateKey: PrivateKey, chain: [X509Certificate] = [],
                              password: String, friendlyName: String? = nil,
                              profile: PKCS12Profile = .modern) throws(PKCS12Error) -> [UInt8] {
        guard privateKey.matches(certificate) else { throw .keyDoesNotMatchCertificate }
        return try assemble(certificate: certificate, privateKey: privateKey, chain: chain, password: password,
                            friendlyName: friendlyName, profile: profile)
    }

    /// `create` without the key check: tests use it to build a file whose key is not the certificate's.
    static func assemble(certificate: X509Certificate, privateKey: PrivateKey, chain: [X509Certificate],
                         password: String, friendlyName: String?, profile: PKCS12Profile) throws(PKCS12Error) -> [UInt8] {
        OpenSSLRuntime.loadProviders()
        ERR_clear_error()
        defer { ERR_clear_error() }
        // PKCS12_create has no MAC digest parameter (it always uses SHA-256), so the bags are built here and
        // the MAC is set with PKCS12_set_mac. A cipher NID selects PBES2 with PBKDF2/hmacWithSHA256.
        let bagNID = profile == .windows7 ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc
        let macDigest = profile == .windows7 ? EVP_sha1() : EVP_sha256()
        let iterations: Int32 = 2048
        var localKeyID = certificate.sha1Digest

        func failure(_ step: String) -> PKCS12Error {
            .creationFailed(detail: "\(step): \(OpenSSLError.summary(OpenSSLError.drain(), fallback: "failed"))")
        }
        func label(_ bag: OpaquePointer) throws(PKCS12Error) {
            if let friendlyName, PKCS12_add_friendlyname_utf8(bag, friendlyName, -1) != 1 {
                throw failure("friendlyName")
            }
            guard PKCS12_add_localkeyid(bag, &localKeyID, Int32(localKeyID.count)) == 1 else { throw failure("localKeyID") }
        }

        var certificateBags: OpaquePointer?
        var keyBags: OpaquePointer?
        var safes: OpaquePointer?
        defer {
            if let certificateBags { cd_sk_PKCS12_SAFEBAG_pop_free(certificateBags) }
            if let keyBags { cd_sk_PKCS12_SAFEBAG_pop_free(keyBags) }
            if let safes { cd_sk_PKCS7_pop_free(safes) }
        }
        try certificate.withX509 { x509 throws(PKCS12Error) in
            guard let bag = PKCS12_add_cert(&certificateBags, x509) else { throw failure("certificate bag") }
            try label(bag)
        }
        for authority in chain {
            try authority.withX509 { x509 throws(PKCS12Error) in
                guard PKCS12_add_cert(&certificateBags, x509) != nil else { throw failure("chain certificate bag") }
            }
        }
        try privateKey.withEVPKey { key throws(PKCS12Error) in
            guard let bag = PKCS12_add_key(&keyBags, key, 0, iterations, bagNID, password) else { throw failure("key bag") }
            try label(bag)
        }
        guard PKCS12_add_safe(&safes, certificateBags, bagNID, iterations, password) == 1 else {
            throw failure("certificate safe")
        }
        // The key bag is already encrypted (shrouded), so its safe is plain data, as PKCS12_create does.
        guard PKCS12_add_safe(&safes, keyBags, -1, 0, nil) == 1 else { throw failure("key safe") }
        guard let p12 = PKCS12_add_safes(safes, 0) else { throw failure("AuthenticatedSafe") }
        defer { PKCS12_free(p12) }
        guard PKCS12_set_mac(p12, password, -1, nil, 0, iterations, macDigest) == 1 else { throw failure("MAC") }
        guard let der = OpenSSLBytes.der({ i2d_PKCS12(p12, $0) }) else { throw failure("encoding") }
        return der
    }
}

/// One pass over a PKCS#12 file: MAC, then each safe and bag, noting how each is protected.
struct PKCS12Reader {
    /// nil stands for OpenSSL's NULL password, which differs from "" (see `verifyMAC`).
    var password: String?
    var macVerified = false
    var usesLegacyProvider = false
    var certificateSafeAlgorithms: [String] = []
    var keyBagAlgorithm: String?
    var key: PrivateKey?
    var keyLocalID: [UInt8]?
    var keyFriendlyName: String?
    var certificates: [(certificate: X509Certificate, localKeyID: [UInt8]?, friendlyName: String?)] = []
    /// The password-based steps taken at the same time before the pass; nil when they were not.
    var ahead: PKCS12PasswordSteps?

    /// Reads the file; with `stepsAhead`, its password-based steps are taken at the same time first (the
    /// result is the same either way; `stepsTakenAhead` says how many of them the pass took over).
    static func read(_ bytes: [UInt8], password: String, stepsAhead: Bool)
        throws(PKCS12Error) -> (contents: PKCS12Contents, stepsTakenAhead: Int) {
        guard !bytes.isEmpty else { throw .corrupt(detail: "the file is empty") }
        guard let (p12, consumed) = OpenSSLBytes.decode(bytes, { d2i_PKCS12(nil, $0, $1) }) else {
            let summary = OpenSSLError.summary(OpenSSLError.drain(), fallback: "not a PKCS#12 structure")
            if X509Certificate.looksLikePEM(bytes) {
                throw .corrupt(detail: "the file is PEM text, not a binary (DER) PKCS#12 file")
            }
            throw .corrupt(detail: summary)
        }
        defer { PKCS12_free(p12) }
        // d2i_PKCS12 stops at the end of the structure and ignores what follows.
        guard consumed == bytes.count else {
            throw .corrupt(detail: "\(bytes.count - consumed) bytes of trailing data after the PKCS#12 structure")
        }
        var reader = PKCS12Reader(password: password)
        // Unpacked once for the steps ahead and the pass; when it fails the pass unpacks again, after the MAC,
        // and reports it as before.
        let safes = PKCS12_unpack_authsafes(p12)
        ERR_clear_error()
        defer { if let safes { cd_sk_PKCS7_pop_free(safes) } }
        if stepsAhead, !password.isEmpty, let safes {
            reader.ahead = PKCS12PasswordSteps(p12, safes: safes, password: password)
        }
        let mac = try reader.verifyMAC(p12)
        try reader.readSafes(p12, unpacked: safes)
        return (reader.contents(mac: mac), reader.ahead?.succeeded ?? 0)
    }

    /// Verifies the MAC and returns its digest name and iteration count (nil, nil when absent).
    /// In OpenSSL 3.0 a MAC mismatch returns 0 with an empty error queue: that is the wrong password.
    mutating func verifyMAC(_ p12: OpaquePointer) throws(PKCS12Error) -> (algorithm: String?, iterations: Int?) {
        guard PKCS12_mac_present(p12) == 1 else { return (nil, nil) }
        var algorithm: UnsafePointer<X509_ALGOR>?
        var iterations: UnsafePointer<ASN1_INTEGER>?
        PKCS12_get0_mac(nil, &algorithm, nil, &iterations, p12)
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        let nid = OBJ_obj2nid(object)
        let digest = nid == NID_undef ? Self.oid(object) : String(cString: OBJ_nid2ln(nid))
        let count = iterations.map { Int(ASN1_INTEGER_get($0)) } ?? 1

        let verified: Bool
        if password == "" {
            // Like PKCS12_parse: an empty password may have been applied as NULL or as "".
            if PKCS12_verify_mac(p12, nil, 0) == 1 {
                password = nil
                verified = true
            } else {
                verified = PKCS12_verify_mac(p12, "", 0) == 1
            }
        } else {
            verified = ahead?.macVerified == true || PKCS12_verify_mac(p12, password, -1) == 1
        }
        guard verified else {
            let errors = OpenSSLError.drain()
            let mismatch = errors.isEmpty || errors.contains {
                $0.library == ERR_LIB_PKCS12 && $0.reason == PKCS12_R_MAC_VERIFY_FAILURE
            }
            throw mismatch ? .wrongPassword : classify(errors, context: "MAC (\(digest))", decrypting: false)
        }
        macVerified = true
        return (digest, count)
    }

    mutating func readSafes(_ p12: OpaquePointer, unpacked: OpaquePointer?) throws(PKCS12Error) {
        guard let safes = unpacked ?? PKCS12_unpack_authsafes(p12) else {
            throw classify(OpenSSLError.drain(), context: "AuthenticatedSafe", decrypting: false)
        }
        defer { if unpacked == nil { cd_sk_PKCS7_pop_free(safes) } }
        for index in 0..<cd_sk_PKCS7_num(safes) {
            guard let safe = cd_sk_PKCS7_value(safes, index) else { continue }
            let type = cd_pkcs7_type_nid(safe)
            // Bags the steps ahead unpacked or decrypted are theirs to free.
            let bagsAhead = ahead?.bags(ofSafe: index)
            switch type {
            case NID_pkcs7_data:
                if let bagsAhead {
                    try readBags(bagsAhead, safeAlgorithm: PKCS12Protection.unencrypted)
                    continue
                }
                guard let bags = PKCS12_unpack_p7data(safe) else {
                    throw classify(OpenSSLError.drain(), context: "data safe", decrypting: false)
                }
                defer { cd_sk_PKCS12_SAFEBAG_pop_free(bags) }
                try readBags(bags, safeAlgorithm: PKCS12Protection.unencrypted)
            case NID_pkcs7_encrypted:
                let algorithm = noteAlgorithm(cd_pkcs7_encrypted_algorithm(safe))
                if let bagsAhead {
                    try readBags(bagsAhead, safeAlgorithm: algorithm)
                    continue
                }
                let bags = withPassword { PKCS12_unpack_p7encdata(safe, $0, $1) }
                guard let bags else {
                    throw classify(OpenSSLError.drain(), context: "encrypted safe (\(algorithm))", decrypting: true)
                }
                defer { cd_sk_PKCS12_SAFEBAG_pop_free(bags) }
                try readBags(bags, safeAlgorithm: algorithm)
            default:
                let name = type == NID_undef ? "unknown" : String(cString: OBJ_nid2ln(type))
                throw .unsupportedAlgorithm(detail: "AuthenticatedSafe content \(name) (public-key privacy mode)")
            }
        }
    }

    mutating func readBags(_ bags: OpaquePointer, safeAlgorithm: String) throws(PKCS12Error) {
        for index in 0..<cd_sk_PKCS12_SAFEBAG_num(bags) {
            guard let bag = cd_sk_PKCS12_SAFEBAG_value(bags, index) else { continue }
            switch PKCS12_SAFEBAG_get_nid(bag) {
            case NID_keyBag where key == nil:
                guard let info = PKCS12_SAFEBAG_get0_p8inf(bag) else { throw .corrupt(detail: "empty key bag") }
                try takeKey(info, bag: bag, algorithm: safeAlgorithm)
            case NID_pkcs8ShroudedKeyBag where key == nil:
                var algorithm: UnsafePointer<X509_ALGOR>?
                X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &algorithm, nil)
                let name = noteAlgorithm(algorithm)
                if let keyAhead = ahead?.key(of: bag) {
                    take(keyAhead, bag: bag, algorithm: name)
                    continue
                }
                let info = withPassword { PKCS12_decrypt_skey(bag, $0, $1) }
                guard let info else {
                    throw classify(OpenSSLError.drain(), context: "shrouded key bag (\(name))", decrypting: true)
                }
                defer { PKCS8_PRIV_KEY_INFO_free(info) }
                try takeKey(info, bag: bag, algorithm: name)
            case NID_certBag where PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate:
                guard let x509 = PKCS12_SAFEBAG_get1_cert(bag) else {
                    throw classify(OpenSSLError.drain(), context: "certificate bag", decrypting: false)
                }
                defer { X509_free(x509) }
                do {
                    let certificate = try X509Certificate(borrowing: x509)
                    certificates.append((certificate, Self.localKeyID(bag), Self.friendlyName(bag)))
                    certificateSafeAlgorithms.append(safeAlgorithm)
                } catch {
                    throw .corrupt(detail: "certificate bag: \(error.errorDescription ?? "unreadable")")
                }
            case NID_safeContentsBag:
                if let nested = PKCS12_SAFEBAG_get0_safes(bag) { try readBags(nested, safeAlgorithm: safeAlgorithm) }
            default:
                continue  // CRL, secret and further key bags: not used by certdoctor
            }
        }
    }

    mutating func takeKey(_ info: OpaquePointer, bag: OpaquePointer, algorithm: String) throws(PKCS12Error) {
        guard let evpKey = EVP_PKCS82PKEY(info) else {
            throw classify(OpenSSLError.drain(), context: "private key", decrypting: false)
        }
        defer { EVP_PKEY_free(evpKey) }
        let decoded: PrivateKey
        do {
            decoded = try PrivateKey(borrowing: evpKey, decodedFrom: info)
        } catch {
            throw .corrupt(detail: "private key: \(error.errorDescription ?? "unreadable")")
        }
        take(decoded, bag: bag, algorithm: algorithm)
    }

    mutating func take(_ decoded: PrivateKey, bag: OpaquePointer, algorithm: String) {
        key = decoded
        keyBagAlgorithm = algorithm
        keyLocalID = Self.localKeyID(bag)
        keyFriendlyName = Self.friendlyName(bag)
    }

    func contents(mac: (algorithm: String?, iterations: Int?)) -> PKCS12Contents {
        let endEntity = key.flatMap { key in certificates.firstIndex { key.matches($0.certificate) } }
            ?? keyLocalID.flatMap { id in certificates.firstIndex { $0.localKeyID == id } }
            ?? certificates.firstIndex { !$0.certificate.isCertificateAuthority }
            ?? certificates.indices.first
        let certificate = endEntity.map { certificates[$0] }
        let safeAlgorithms = certificateSafeAlgorithms.orderedUnique()
        return PKCS12Contents(
            certificate: certificate?.certificate,
            chain: certificates.indices.filter { $0 != endEntity }.map { certificates[$0].certificate },
            privateKey: key,
            keyMatchesCertificate: certificate.map { key?.matches($0.certificate) ?? false } ?? false,
            friendlyName: keyFriendlyName ?? certificate?.friendlyName,
            protection: PKCS12Protection(
                certificateBagAlgorithm: safeAlgorithms.isEmpty ? nil : safeAlgorithms.joined(separator: " + "),
                keyBagAlgorithm: keyBagAlgorithm,
                macAlgorithm: mac.algorithm,
                macIterations: mac.iterations,
                usesLegacyProvider: usesLegacyProvider))
    }

    /// Names a PBE algorithm ("pbeWithSHA1And3-KeyTripleDES-CBC", "PBES2/PBKDF2/AES-256-CBC") and records
    /// whether its cipher is one only the legacy provider has.
    mutating func noteAlgorithm(_ algorithm: UnsafePointer<X509_ALGOR>?) -> String {
        guard let algorithm else { return "unknown" }
        var object: OpaquePointer?
        var parameterType: Int32 = 0
        var parameter: UnsafeRawPointer?
        X509_ALGOR_get0(&object, &parameterType, &parameter, algorithm)
        let nid = OBJ_obj2nid(object)
        if nid == NID_pbes2, parameterType == V_ASN1_SEQUENCE,
           let encoded = OpenSSLBytes.octets(parameter?.assumingMemoryBound(to: ASN1_STRING.self)),
           let (parameters, _) = OpenSSLBytes.decode(encoded, { d2i_PBE2PARAM(nil, $0, $1) }) {
            defer { PBE2PARAM_free(parameters) }
            let keyDerivation = Self.shortName(parameters.pointee.keyfunc?.pointee.algorithm)
            let cipher = Self.shortName(parameters.pointee.encryption?.pointee.algorithm)
            if OpenSSLRuntime.cipherNeedsLegacyProvider(cipher) { usesLegacyProvider = true }
            return "PBES2/\(keyDerivation)/\(cipher)"
        }
        var cipherNID: Int32 = NID_undef
        if nid != NID_undef, EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, &cipherNID, nil, nil) == 1, cipherNID != NID_undef,
           OpenSSLRuntime.cipherNeedsLegacyProvider(String(cString: OBJ_nid2sn(cipherNID))) {
            usesLegacyProvider = true
        }
        ERR_clear_error()
        return nid == NID_undef ? Self.oid(object) : String(cString: OBJ_nid2ln(nid))
    }

    /// Calls an OpenSSL function with the password as (pointer, length); NULL when `password` is nil.
    func withPassword<T>(_ body: (UnsafePointer<CChar>?, Int32) -> T) -> T {
        guard let password else { return body(nil, 0) }
        return password.withCString { body($0, Int32(strlen($0))) }
    }

    /// Unsupported wins over everything (the legacy provider is already loaded, so nothing more can open
    /// it). Without a MAC, a failed decryption is the only sign of a wrong password.
    func classify(_ errors: [OpenSSLError], context: String, decrypting: Bool) -> PKCS12Error {
        let unsupportedEVP = [EVP_R_UNKNOWN_PBE_ALGORITHM, EVP_R_UNSUPPORTED_CIPHER, EVP_R_UNKNOWN_CIPHER,
                              EVP_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION, EVP_R_UNSUPPORTED_PRF,
                              EVP_R_UNSUPPORTED_ALGORITHM, EVP_R_UNKNOWN_DIGEST]
        let unsupportedPKCS12 = [PKCS12_R_UNKNOWN_DIGEST_ALGORITHM, PKCS12_R_UNSUPPORTED_PKCS12_MODE]
        let detail = "\(context): \(OpenSSLError.summary(errors, fallback: "failed"))"
        if errors.contains(where: {
            $0.isUnsupported || ($0.library == ERR_LIB_EVP && unsupportedEVP.contains($0.reason))
                || ($0.library == ERR_LIB_PKCS12 && unsupportedPKCS12.contains($0.reason))
        }) {
            return .unsupportedAlgorithm(detail: detail)
        }
        if decrypting && !macVerified { return .wrongPassword }
        return .corrupt(detail: detail)
    }

    static func localKeyID(_ bag: OpaquePointer) -> [UInt8]? {
        OpenSSLBytes.octets(cd_asn1_type_string(PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID), V_ASN1_OCTET_STRING))
    }

    /// The BMPString friendlyName as UTF-8. Not PKCS12_get_friendlyname: in OpenSSL 3.0.19 it returns NULL
    /// when the name ends in a character of three UTF-8 bytes ("abc证", "张三的证书"; "证abc" works).
    static func friendlyName(_ bag: OpaquePointer) -> String? {
        OpenSSLBytes.utf8(cd_asn1_type_string(PKCS12_SAFEBAG_get0_attr(bag, NID_friendlyName), V_ASN1_BMPSTRING))
    }

    static func shortName(_ object: OpaquePointer?) -> String {
        let nid = OBJ_obj2nid(object)
        return nid == NID_undef ? oid(object) : String(cString: OBJ_nid2sn(nid))
    }

    static func oid(_ object: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        guard let object, OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1) > 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension PKCS12Error {
    /// Belt and braces: OpenSSL's texts never contain the password, but a detail must not either.
    func redacting(_ password: String) -> PKCS12Error {
        guard password.count >= 4 else { return self }
        switch self {
        case .corrupt(let detail): return .corrupt(detail: detail.replacingOccurrences(of: password, with: "***"))
        case .unsupportedAlgorithm(let detail):
            return .unsupportedAlgorithm(detail: detail.replacingOccurrences(of: password, with: "***"))
        case .creationFailed(let detail):
            return .creationFailed(detail: detail.replacingOccurrences(of: password, with: "***"))
        case .wrongPassword, .keyDoesNotMatchCertificate: return self
        }
    }
}
