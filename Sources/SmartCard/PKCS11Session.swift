import CPKCS11
import Foundation

/// What kind of object a token holds, for listing and relabelling.
public enum PKCS11ObjectClass: Sendable, Equatable, CaseIterable {
    case certificate
    case privateKey
    case publicKey

    var code: UInt {
        switch self {
        case .certificate: UInt(CKO_CERTIFICATE)
        case .privateKey: UInt(CKO_PRIVATE_KEY)
        case .publicKey: UInt(CKO_PUBLIC_KEY)
        }
    }
}

/// One object as a renewal sees it: what it is, its label and its CKA_ID.
public struct PKCS11Object: Sendable, Equatable {
    public let objectClass: PKCS11ObjectClass
    public let label: String
    public let id: [UInt8]
}

/// The public half of an RSA key on the token (CKA_MODULUS, CKA_PUBLIC_EXPONENT, big-endian).
public struct PKCS11RSAPublicKey: Sendable, Equatable {
    public let modulus: [UInt8]
    public let publicExponent: [UInt8]
}

/// How a private key is protected on the token: a renewal key must never leave it.
public struct PKCS11KeyProtection: Sendable, Equatable {
    public let onToken: Bool
    public let isPrivate: Bool
    public let sensitive: Bool
    public let extractable: Bool
    public let canSign: Bool
    public let isRSA: Bool

    /// CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not extractable, and able to sign: what `C_GenerateKeyPair` is asked for.
    public var isRenewalKey: Bool { onToken && isPrivate && sensitive && !extractable && canSign && isRSA }
}

/// Room on the token for one more key pair and certificate (E3 "ukey 存储空间已满"). Tokens report free memory in
/// CK_TOKEN_INFO, or CK_UNAVAILABLE_INFORMATION (nil here) when they keep no such count.
public struct PKCS11TokenRoom: Sendable, Equatable {
    public let freePublicMemory: UInt?
    public let freePrivateMemory: UInt?
    /// The objects the caller can see: public ones, and private ones too while a session is logged in.
    public let objectCount: Int
    /// The token says its PIN is locked or nearly so: a renewal's login must not be tried.
    public let pinTriesLow: Bool

    public init(freePublicMemory: UInt?, freePrivateMemory: UInt?, objectCount: Int, pinTriesLow: Bool = false) {
        self.freePublicMemory = freePublicMemory
        self.freePrivateMemory = freePrivateMemory
        self.objectCount = objectCount
        self.pinTriesLow = pinTriesLow
    }
}

/// One read-write session logged in as the user, held open for one renewal: the key is generated, used for
/// signatures and written back through the same session, so no other caller's logout can invalidate its handles
/// between steps. Objects are addressed by CKA_ID, never by label (labels can collide). The PIN goes to the module
/// only; the token's retry guard of ``PKCS11Module`` applies before the one login.
public final class PKCS11Session: @unchecked Sendable {
    public let module: PKCS11Module
    public let slot: UInt
    private var handle: CK_SESSION_HANDLE?
    private var functions: UnsafeMutablePointer<CK_FUNCTION_LIST> { module.functions }

    public init(module: PKCS11Module, slot: UInt, pin: String) throws(PKCS11Error) {
        self.module = module
        self.slot = slot
        PKCS11Module.callLock.lock()
        defer { PKCS11Module.callLock.unlock() }
        var session = CK_SESSION_HANDLE(0)
        let flags = CK_FLAGS(CKF_SERIAL_SESSION) | CK_FLAGS(CKF_RW_SESSION)
        try module.check("C_OpenSession", module.functions.pointee.C_OpenSession?(CK_SLOT_ID(slot), flags, nil, nil, &session))
        do {
            try module.logIn(session, slot: slot, pin: pin)
        } catch {
            _ = module.functions.pointee.C_CloseSession?(session)
            throw error
        }
        handle = session
    }

    deinit { close() }

    /// Logs out and closes the session; later calls fail with CKR_SESSION_HANDLE_INVALID.
    public func close() {
        PKCS11Module.callLock.lock()
        defer { PKCS11Module.callLock.unlock() }
        guard let handle else { return }
        _ = functions.pointee.C_Logout?(handle)
        _ = functions.pointee.C_CloseSession?(handle)
        self.handle = nil
    }

    private func withHandle<T>(_ body: (CK_SESSION_HANDLE) throws(PKCS11Error) -> T) throws(PKCS11Error) -> T {
        PKCS11Module.callLock.lock()
        defer { PKCS11Module.callLock.unlock() }
        guard let handle else { throw .call(function: "C_OpenSession", code: UInt(CKR_SESSION_HANDLE_INVALID)) }
        return try body(handle)
    }

    // MARK: - Reading

    /// Every certificate and key object, private ones included (the session is logged in).
    public func objects() throws(PKCS11Error) -> [PKCS11Object] {
        try withHandle { session throws(PKCS11Error) in
            var objects: [PKCS11Object] = []
            for objectClass in PKCS11ObjectClass.allCases {
                for object in try module.findObjects(session, objectClass: objectClass.code) {
                    objects.append(PKCS11Object(
                        objectClass: objectClass,
                        label: String(decoding: try module.attribute(session, object, CKA_LABEL), as: UTF8.self),
                        id: try module.attribute(session, object, CKA_ID)))
                }
            }
            return objects
        }
    }

    /// True when the token generates RSA key pairs of `bits` and signs with them (PKCS#1 v1.5), as C_GetMechanismInfo says.
    public func supportsRSA(bits: Int) throws(PKCS11Error) -> Bool {
        try withHandle { _ throws(PKCS11Error) in
            func info(_ mechanism: UInt) throws(PKCS11Error) -> CK_MECHANISM_INFO? {
                var info = CK_MECHANISM_INFO()
                let code = functions.pointee.C_GetMechanismInfo?(CK_SLOT_ID(slot), CK_MECHANISM_TYPE(mechanism), &info)
                if code == CK_RV(CKR_MECHANISM_INVALID) { return nil }
                try module.check("C_GetMechanismInfo", code)
                return info
            }
            guard let generation = try info(UInt(CKM_RSA_PKCS_KEY_PAIR_GEN)), let signing = try info(UInt(CKM_RSA_PKCS)) else {
                return false
            }
            let size = CK_ULONG(bits)
            return generation.flags & CK_FLAGS(CKF_GENERATE_KEY_PAIR) != 0 && signing.flags & CK_FLAGS(CKF_SIGN) != 0
                && (generation.ulMinKeySize...generation.ulMaxKeySize).contains(size)
        }
    }

    /// The RSA public key with `id`: from the public key object, or from the private key's public attributes on a
    /// token that keeps no public object. Nil when no RSA key has that CKA_ID.
    public func rsaPublicKey(id: [UInt8]) throws(PKCS11Error) -> PKCS11RSAPublicKey? {
        try withHandle { session throws(PKCS11Error) in
            for objectClass in [PKCS11ObjectClass.publicKey, .privateKey] {
                guard let object = try uniqueObject(session, objectClass, id: id) else { continue }
                let modulus = try module.attribute(session, object, CKA_MODULUS)
                let exponent = try module.attribute(session, object, CKA_PUBLIC_EXPONENT)
                if !modulus.isEmpty, !exponent.isEmpty { return PKCS11RSAPublicKey(modulus: modulus, publicExponent: exponent) }
            }
            return nil
        }
    }

    /// The protection attributes of the private key with `id`, or nil when there is none.
    public func privateKeyProtection(id: [UInt8]) throws(PKCS11Error) -> PKCS11KeyProtection? {
        try withHandle { session throws(PKCS11Error) in
            guard let key = try uniqueObject(session, .privateKey, id: id) else { return nil }
            func flag(_ type: UInt) throws(PKCS11Error) -> Bool { try module.attribute(session, key, type).first == 1 }
            let keyType = try module.attribute(session, key, CKA_KEY_TYPE)
            var rsa = CK_KEY_TYPE(CKK_RSA)
            let rsaBytes = withUnsafeBytes(of: &rsa) { Array($0) }
            return PKCS11KeyProtection(
                onToken: try flag(CKA_TOKEN), isPrivate: try flag(CKA_PRIVATE), sensitive: try flag(CKA_SENSITIVE),
                extractable: try flag(CKA_EXTRACTABLE), canSign: try flag(CKA_SIGN), isRSA: keyType == rsaBytes)
        }
    }

    // MARK: - Changing the token

    /// Generates an RSA key pair on the token: both halves token objects under `id` and `label`, the private one
    /// private, sensitive and not extractable.
    public func generateRSAKeyPair(bits: Int, id: [UInt8], label: String) throws(PKCS11Error) {
        try withHandle { session throws(PKCS11Error) in
            let exponent: [UInt8] = [0x01, 0x00, 0x01]
            let publicTemplate = AttributeTemplate()
            publicTemplate.add(CKA_TOKEN, true)
            publicTemplate.add(CKA_PRIVATE, false)
            publicTemplate.add(CKA_VERIFY, true)
            publicTemplate.add(CKA_MODULUS_BITS, CK_ULONG(bits))
            publicTemplate.add(CKA_PUBLIC_EXPONENT, exponent)
            publicTemplate.add(CKA_ID, id)
            publicTemplate.add(CKA_LABEL, Array(label.utf8))
            let privateTemplate = AttributeTemplate()
            privateTemplate.add(CKA_TOKEN, true)
            privateTemplate.add(CKA_PRIVATE, true)
            privateTemplate.add(CKA_SENSITIVE, true)
            privateTemplate.add(CKA_EXTRACTABLE, false)
            privateTemplate.add(CKA_SIGN, true)
            privateTemplate.add(CKA_ID, id)
            privateTemplate.add(CKA_LABEL, Array(label.utf8))
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN), pParameter: nil, ulParameterLen: 0)
            var publicKey = CK_OBJECT_HANDLE(0)
            var privateKey = CK_OBJECT_HANDLE(0)
            let code = publicTemplate.withAttributes { publicAttributes, publicCount in
                privateTemplate.withAttributes { privateAttributes, privateCount in
                    functions.pointee.C_GenerateKeyPair?(session, &mechanism, publicAttributes, publicCount,
                                                         privateAttributes, privateCount, &publicKey, &privateKey)
                }
            }
            try module.check("C_GenerateKeyPair", code)
        }
    }

    /// Signs `digestInfo` (a DER DigestInfo) with the private key `id` using CKM_RSA_PKCS: the token adds the
    /// PKCS#1 v1.5 padding, as OpenSSL's RSA private encryption would.
    public func sign(digestInfo: [UInt8], keyID id: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        try withHandle { session throws(PKCS11Error) in
            guard let key = try uniqueObject(session, .privateKey, id: id) else { throw .noSuchKey(id: Self.hexID(id)) }
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS), pParameter: nil, ulParameterLen: 0)
            try module.check("C_SignInit", functions.pointee.C_SignInit?(session, &mechanism, key))
            var data = digestInfo
            var length = CK_ULONG(0)
            try module.check("C_Sign", functions.pointee.C_Sign?(session, &data, CK_ULONG(data.count), nil, &length))
            var signature = [UInt8](repeating: 0, count: Int(length))
            try module.check("C_Sign", functions.pointee.C_Sign?(session, &data, CK_ULONG(data.count), &signature, &length))
            return Array(signature.prefix(Int(length)))
        }
    }

    /// Writes an X.509 certificate object (DER) under `id` and `label`, with the subject, issuer and serial number
    /// attributes other tools search by (all DER, as in the certificate).
    public func createCertificate(der: [UInt8], id: [UInt8], label: String, subject: [UInt8], issuer: [UInt8],
                                  serialNumber: [UInt8]) throws(PKCS11Error) {
        try withHandle { session throws(PKCS11Error) in
            let template = AttributeTemplate()
            template.add(CKA_CLASS, CK_ULONG(CKO_CERTIFICATE))
            template.add(CKA_CERTIFICATE_TYPE, CK_ULONG(CKC_X_509))
            template.add(CKA_TOKEN, true)
            template.add(CKA_PRIVATE, false)
            template.add(CKA_VALUE, der)
            template.add(CKA_ID, id)
            template.add(CKA_LABEL, Array(label.utf8))
            template.add(CKA_SUBJECT, subject)
            template.add(CKA_ISSUER, issuer)
            template.add(CKA_SERIAL_NUMBER, serialNumber)
            var object = CK_OBJECT_HANDLE(0)
            let code = template.withAttributes { attributes, count in
                functions.pointee.C_CreateObject?(session, attributes, count, &object)
            }
            try module.check("C_CreateObject", code)
        }
    }

    /// Gives every object with CKA_ID `id` of `classes` (certificate and both key halves), in that order, the label
    /// `label`; returns how many were relabelled. A token may refuse (CKR_ATTRIBUTE_READ_ONLY): that error is thrown
    /// as it came.
    @discardableResult
    public func relabel(id: [UInt8], to label: String, classes: [PKCS11ObjectClass] = PKCS11ObjectClass.allCases) throws(PKCS11Error) -> Int {
        try withHandle { session throws(PKCS11Error) in
            var count = 0
            for objectClass in classes {
                for object in try module.findObjects(session, objectClass: objectClass.code, id: id) {
                    let template = AttributeTemplate()
                    template.add(CKA_LABEL, Array(label.utf8))
                    let code = template.withAttributes { attributes, attributeCount in
                        functions.pointee.C_SetAttributeValue?(session, object, attributes, attributeCount)
                    }
                    try module.check("C_SetAttributeValue", code)
                    count += 1
                }
            }
            return count
        }
    }

    /// Destroys the objects with CKA_ID `id` of the given classes; returns how many.
    @discardableResult
    public func destroyObjects(id: [UInt8], classes: [PKCS11ObjectClass] = PKCS11ObjectClass.allCases) throws(PKCS11Error) -> Int {
        try withHandle { session throws(PKCS11Error) in
            var count = 0
            for objectClass in classes {
                for object in try module.findObjects(session, objectClass: objectClass.code, id: id) {
                    try module.check("C_DestroyObject", functions.pointee.C_DestroyObject?(session, object))
                    count += 1
                }
            }
            return count
        }
    }

    /// The one object of `objectClass` with CKA_ID `id`; two are an error, since a signature must not pick one silently.
    private func uniqueObject(_ session: CK_SESSION_HANDLE, _ objectClass: PKCS11ObjectClass, id: [UInt8]) throws(PKCS11Error) -> CK_OBJECT_HANDLE? {
        let found = try module.findObjects(session, objectClass: objectClass.code, id: id)
        guard found.count <= 1 else { throw .ambiguousID(id: Self.hexID(id)) }
        return found.first
    }

    /// A CKA_ID as lower-case hex, as pkcs11-tool's `--id` takes it.
    public static func hexID(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

/// A PKCS#11 attribute template whose values stay allocated while the call that reads them runs.
private final class AttributeTemplate {
    private var entries: [(type: UInt, value: [UInt8])] = []

    func add(_ type: UInt, _ value: [UInt8]) { entries.append((type, value)) }
    func add(_ type: UInt, _ value: Bool) { entries.append((type, [UInt8(value ? CK_TRUE : CK_FALSE)])) }
    func add(_ type: UInt, _ value: CK_ULONG) { entries.append((type, withUnsafeBytes(of: value) { Array($0) })) }

    func withAttributes(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>, CK_ULONG) -> CK_RV?) -> CK_RV? {
        let buffers = entries.map { entry -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(entry.value.count, 1), alignment: 8)
            buffer.copyBytes(from: entry.value)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var attributes = zip(entries, buffers).map { entry, buffer in
            CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(entry.type), pValue: buffer.baseAddress, ulValueLen: CK_ULONG(entry.value.count))
        }
        return attributes.withUnsafeMutableBufferPointer { body($0.baseAddress!, CK_ULONG($0.count)) }
    }
}
