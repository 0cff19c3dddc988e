import CPKCS11
import Foundation

/// What `C_GetInfo` says about a module: the evidence that tells the vendor's driver from
/// another vendor's (E3).
public struct PKCS11ModuleInfo: Sendable, Equatable {
    public let cryptokiVersion: String
    public let manufacturer: String
    public let libraryDescription: String
    public let libraryVersion: String
}

/// A slot with the token in it, if any.
public struct PKCS11Slot: Sendable, Equatable {
    public let id: UInt
    public let description: String
    public let manufacturer: String
    public let token: PKCS11TokenInfo?
    /// Why a token that the slot reports present has no details: `C_GetTokenInfo`'s error. The slot is kept so
    /// that a card the module cannot read (CKR_TOKEN_NOT_RECOGNIZED) is told apart from an empty reader.
    public let tokenError: PKCS11Error?

    public init(id: UInt, description: String, manufacturer: String, token: PKCS11TokenInfo?, tokenError: PKCS11Error? = nil) {
        self.id = id
        self.description = description
        self.manufacturer = manufacturer
        self.token = token
        self.tokenError = tokenError
    }

    /// A card is in the slot, but the module does not know what it is: another vendor's card, or a module
    /// meant for another vendor's token.
    public var tokenNotRecognized: Bool {
        tokenError == .call(function: "C_GetTokenInfo", code: UInt(CKR_TOKEN_NOT_RECOGNIZED))
    }
}

public struct PKCS11TokenInfo: Sendable, Equatable {
    public let label: String
    public let manufacturer: String
    public let model: String
    public let serialNumber: String
    /// CKF_LOGIN_REQUIRED: the token keeps private objects (the private key) out of sight until a user logs in,
    /// so an empty search without login says nothing about whether the key is there.
    public let loginRequired: Bool

    public init(label: String, manufacturer: String, model: String, serialNumber: String, loginRequired: Bool = false) {
        self.label = label
        self.manufacturer = manufacturer
        self.model = model
        self.serialNumber = serialNumber
        self.loginRequired = loginRequired
    }
}

/// A certificate object on a token (CKO_CERTIFICATE), readable without login.
public struct PKCS11Certificate: Sendable, Equatable {
    public let label: String
    /// CKA_ID: pairs the certificate with its private key.
    public let id: [UInt8]
    /// CKA_VALUE: the DER certificate.
    public let der: [UInt8]
}

/// A key object (CKO_PRIVATE_KEY or CKO_PUBLIC_KEY) by its label and CKA_ID.
public struct PKCS11Key: Sendable, Equatable {
    public let label: String
    public let id: [UInt8]
}

/// A PKCS#11 module loaded at run time (dlopen + C_GetFunctionList + C_Initialize).
///
/// A module is one library instance per process, initialised once: values for the same path
/// share it, and the last one released finalises and unloads it, so one check finishing cannot
/// pull the module from under another.
public final class PKCS11Module {
    /// Callers take turns with a module: a login belongs to the whole process, so one caller's logout would
    /// hide keys from another still searching, and a failed login rewrites the token's state under the object
    /// handles another caller holds. A check makes a handful of calls; nothing is lost by serialising them.
    static let callLock = NSRecursiveLock()
    public let path: String
    private let loaded: LoadedPKCS11Library
    var functions: UnsafeMutablePointer<CK_FUNCTION_LIST> { loaded.functions }

    public init(path: String) throws(PKCS11Error) {
        self.path = path
        self.loaded = try LoadedPKCS11Library.retain(path: path)
    }

    deinit {
        loaded.release()
    }

    public func info() throws(PKCS11Error) -> PKCS11ModuleInfo {
        var info = CK_INFO()
        try check("C_GetInfo", functions.pointee.C_GetInfo?(&info))
        return PKCS11ModuleInfo(
            cryptokiVersion: "\(info.cryptokiVersion.major).\(info.cryptokiVersion.minor)",
            manufacturer: Self.padded(info.manufacturerID),
            libraryDescription: Self.padded(info.libraryDescription),
            libraryVersion: "\(info.libraryVersion.major).\(info.libraryVersion.minor)"
        )
    }

    /// The module's slots; with `tokenPresent` only those holding a token.
    public func slots(tokenPresent: Bool = true) throws(PKCS11Error) -> [PKCS11Slot] {
        var count = CK_ULONG(0)
        let present = CK_BBOOL(tokenPresent ? CK_TRUE : CK_FALSE)
        try check("C_GetSlotList", functions.pointee.C_GetSlotList?(present, nil, &count))
        var ids = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check("C_GetSlotList", functions.pointee.C_GetSlotList?(present, &ids, &count))
        var slots: [PKCS11Slot] = []
        for id in ids.prefix(Int(count)) {
            var slotInfo = CK_SLOT_INFO()
            try check("C_GetSlotInfo", functions.pointee.C_GetSlotInfo?(id, &slotInfo))
            var token: PKCS11TokenInfo?
            var tokenError: PKCS11Error?
            if slotInfo.flags & CK_FLAGS(CKF_TOKEN_PRESENT) != 0 {
                var tokenInfo = CK_TOKEN_INFO()
                let code = functions.pointee.C_GetTokenInfo?(id, &tokenInfo) ?? CK_RV(CKR_FUNCTION_NOT_SUPPORTED)
                // An uninitialised or unreadable token still shows as a slot, without token details but with the
                // reason, which the checks turn into advice (an unrecognised token is usually the wrong module).
                if code == CKR_OK {
                    token = PKCS11TokenInfo(
                        label: Self.padded(tokenInfo.label),
                        manufacturer: Self.padded(tokenInfo.manufacturerID),
                        model: Self.padded(tokenInfo.model),
                        serialNumber: Self.padded(tokenInfo.serialNumber),
                        loginRequired: tokenInfo.flags & CK_FLAGS(CKF_LOGIN_REQUIRED) != 0
                    )
                } else {
                    tokenError = .call(function: "C_GetTokenInfo", code: UInt(code))
                }
            }
            slots.append(PKCS11Slot(
                id: UInt(id),
                description: Self.padded(slotInfo.slotDescription),
                manufacturer: Self.padded(slotInfo.manufacturerID),
                token: token,
                tokenError: tokenError
            ))
        }
        return slots
    }

    /// The slot holding the token labelled `label`. Slot ids are not stable (SoftHSM makes them
    /// up per token), so tokens are found by label.
    public func slot(tokenLabel label: String) throws(PKCS11Error) -> PKCS11Slot? {
        try slots().first { $0.token?.label == label }
    }

    /// The certificate objects on the token in `slot` (public objects; no login).
    public func certificates(slot: UInt) throws(PKCS11Error) -> [PKCS11Certificate] {
        try withSession(slot) { session throws(PKCS11Error) in
            try findObjects(session, objectClass: CKO_CERTIFICATE).map { object throws(PKCS11Error) in
                PKCS11Certificate(
                    label: String(decoding: try attribute(session, object, CKA_LABEL), as: UTF8.self),
                    id: try attribute(session, object, CKA_ID),
                    der: try attribute(session, object, CKA_VALUE)
                )
            }
        }
    }

    /// The private key objects on the token in `slot`; `id` narrows the search to the key paired
    /// with a certificate's CKA_ID. Tokens hide private keys until login: with `pin` the session
    /// logs in as the user first. The PIN goes to the module only and appears in no error.
    public func privateKeys(slot: UInt, id: [UInt8]? = nil, pin: String? = nil) throws(PKCS11Error) -> [PKCS11Key] {
        try withSession(slot) { session throws(PKCS11Error) in
            if let pin { try logIn(session, slot: slot, pin: pin) }
            defer { if pin != nil { _ = functions.pointee.C_Logout?(session) } }
            return try keys(session, objectClass: CKO_PRIVATE_KEY, id: id)
        }
    }

    /// The public key objects on the token in `slot` (visible without login); a public key with
    /// a certificate's CKA_ID shows the key pair was generated or imported on the token.
    public func publicKeys(slot: UInt, id: [UInt8]? = nil) throws(PKCS11Error) -> [PKCS11Key] {
        try withSession(slot) { session throws(PKCS11Error) in
            try keys(session, objectClass: CKO_PUBLIC_KEY, id: id)
        }
    }

    /// Free memory and visible objects of the token in `slot`, and whether its PIN may be tried (no login).
    public func room(slot: UInt) throws(PKCS11Error) -> PKCS11TokenRoom {
        try withSession(slot) { session throws(PKCS11Error) in
            var count = 0
            for objectClass in PKCS11ObjectClass.allCases {
                count += try findObjects(session, objectClass: objectClass.code).count
            }
            var info = CK_TOKEN_INFO()
            try check("C_GetTokenInfo", functions.pointee.C_GetTokenInfo?(CK_SLOT_ID(slot), &info))
            func reported(_ value: CK_ULONG) -> UInt? { value == CK_ULONG.max ? nil : UInt(value) }
            return PKCS11TokenRoom(
                freePublicMemory: reported(info.ulFreePublicMemory), freePrivateMemory: reported(info.ulFreePrivateMemory),
                objectCount: count, pinTriesLow: info.flags & Self.pinWarningFlags != 0)
        }
    }

    private func keys(_ session: CK_SESSION_HANDLE, objectClass: UInt, id: [UInt8]?) throws(PKCS11Error) -> [PKCS11Key] {
        try findObjects(session, objectClass: objectClass, id: id).map { object throws(PKCS11Error) in
            PKCS11Key(
                label: String(decoding: try attribute(session, object, CKA_LABEL), as: UTF8.self),
                id: try attribute(session, object, CKA_ID)
            )
        }
    }

    /// Logs `session` in as the user, after the retry guard; a refusal is remembered so the PIN is not tried again.
    func logIn(_ session: CK_SESSION_HANDLE, slot: UInt, pin: String) throws(PKCS11Error) {
        try mayTryPIN(slot)
        var bytes = Array(pin.utf8)
        let code = functions.pointee.C_Login?(session, CK_USER_TYPE(CKU_USER), &bytes, CK_ULONG(bytes.count))
        if code == CK_RV(CKR_PIN_INCORRECT) || code == CK_RV(CKR_PIN_LEN_RANGE) {
            rejectedPINSlots.insert(slot)
        }
        if code != CKR_USER_ALREADY_LOGGED_IN { try check("C_Login", code) }
    }

    private static let pinWarningFlags = CK_FLAGS(CKF_USER_PIN_LOCKED) | CK_FLAGS(CKF_USER_PIN_FINAL_TRY) | CK_FLAGS(CKF_USER_PIN_COUNT_LOW)

    /// Slots whose token refused the PIN in this run (guarded by `callLock`).
    var rejectedPINSlots = Set<UInt>()

    /// A wrong PIN counts down the token's retries, and an ePass3003 locks itself at zero: a PIN is tried only
    /// when the token reports plenty of tries left, and never twice after a refusal.
    func mayTryPIN(_ slot: UInt) throws(PKCS11Error) {
        var info = CK_TOKEN_INFO()
        let code = functions.pointee.C_GetTokenInfo?(CK_SLOT_ID(slot), &info) ?? CK_RV(CKR_FUNCTION_NOT_SUPPORTED)
        try check("C_GetTokenInfo", code)
        let label = Self.padded(info.label)
        if rejectedPINSlots.contains(slot) { throw .pinRejected(token: label) }
        if info.flags & Self.pinWarningFlags != 0 { throw .pinRetriesLow(token: label) }
    }

    private func withSession<T>(_ slot: UInt, _ body: (CK_SESSION_HANDLE) throws(PKCS11Error) -> T) throws(PKCS11Error) -> T {
        Self.callLock.lock()
        defer { Self.callLock.unlock() }
        var session = CK_SESSION_HANDLE(0)
        try check("C_OpenSession", functions.pointee.C_OpenSession?(CK_SLOT_ID(slot), CK_FLAGS(CKF_SERIAL_SESSION), nil, nil, &session))
        defer { _ = functions.pointee.C_CloseSession?(session) }
        return try body(session)
    }

    func findObjects(_ session: CK_SESSION_HANDLE, objectClass: UInt, id: [UInt8]? = nil) throws(PKCS11Error) -> [CK_OBJECT_HANDLE] {
        var classValue = CK_OBJECT_CLASS(objectClass)
        var idBytes = id ?? []
        let code: CK_RV = withUnsafeMutableBytes(of: &classValue) { classPointer in
            idBytes.withUnsafeMutableBytes { idPointer in
                var template = [CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_CLASS), pValue: classPointer.baseAddress, ulValueLen: CK_ULONG(classPointer.count))]
                if id != nil {
                    template.append(CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_ID), pValue: idPointer.baseAddress, ulValueLen: CK_ULONG(idPointer.count)))
                }
                return functions.pointee.C_FindObjectsInit?(session, &template, CK_ULONG(template.count)) ?? CK_RV(CKR_FUNCTION_NOT_SUPPORTED)
            }
        }
        try check("C_FindObjectsInit", code)
        defer { _ = functions.pointee.C_FindObjectsFinal?(session) }
        var objects: [CK_OBJECT_HANDLE] = []
        var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 16)
        while true {
            var found = CK_ULONG(0)
            try check("C_FindObjects", functions.pointee.C_FindObjects?(session, &batch, CK_ULONG(batch.count), &found))
            if found == 0 { break }
            objects.append(contentsOf: batch.prefix(Int(found)))
        }
        return objects
    }

    /// Reads one attribute in the two-call form (length, then value). An absent attribute is empty.
    func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: UInt) throws(PKCS11Error) -> [UInt8] {
        guard let getAttributeValue = functions.pointee.C_GetAttributeValue else {
            throw .call(function: "C_GetAttributeValue", code: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var probe = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: nil, ulValueLen: 0)
        let sized = getAttributeValue(session, object, &probe, 1)
        if sized == CKR_ATTRIBUTE_TYPE_INVALID || sized == CKR_ATTRIBUTE_SENSITIVE { return [] }
        try check("C_GetAttributeValue", sized)
        // CK_UNAVAILABLE_INFORMATION is (CK_ULONG)-1.
        guard probe.ulValueLen != CK_ULONG.max, probe.ulValueLen > 0 else { return [] }
        var value = [UInt8](repeating: 0, count: Int(probe.ulValueLen))
        let code = value.withUnsafeMutableBytes { buffer in
            var attribute = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: buffer.baseAddress, ulValueLen: CK_ULONG(buffer.count))
            return getAttributeValue(session, object, &attribute, 1)
        }
        try check("C_GetAttributeValue", code)
        return value
    }

    func check(_ function: String, _ code: CK_RV?) throws(PKCS11Error) {
        guard let code else { throw .call(function: function, code: UInt(CKR_FUNCTION_NOT_SUPPORTED)) }
        guard code == CKR_OK else { throw .call(function: function, code: UInt(code)) }
    }

    /// PKCS#11 text fields are fixed-size, blank-padded and not NUL-terminated.
    static func padded<T>(_ tuple: T) -> String {
        let bytes = withUnsafeBytes(of: tuple) { Array($0) }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespaces)
    }
}

/// The process-wide record of one loaded module.
private final class LoadedPKCS11Library: @unchecked Sendable {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var byPath: [String: LoadedPKCS11Library] = [:]

    let path: String
    let library: UnsafeMutableRawPointer
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let ownsInitialisation: Bool
    private var users = 0

    private init(path: String, library: UnsafeMutableRawPointer, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, ownsInitialisation: Bool) {
        self.path = path
        self.library = library
        self.functions = functions
        self.ownsInitialisation = ownsInitialisation
    }

    static func retain(path: String) throws(PKCS11Error) -> LoadedPKCS11Library {
        lock.lock()
        defer { lock.unlock() }
        if let loaded = byPath[path] {
            loaded.users += 1
            return loaded
        }
        let loaded = try load(path: path)
        loaded.users = 1
        byPath[path] = loaded
        return loaded
    }

    func release() {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        users -= 1
        guard users == 0 else { return }
        Self.byPath[path] = nil
        if ownsInitialisation { _ = functions.pointee.C_Finalize?(nil) }
        dlclose(library)
    }

    private static func load(path: String) throws(PKCS11Error) -> LoadedPKCS11Library {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw .cannotLoad(path: path, reason: reason)
        }
        guard let symbol = dlsym(library, "C_GetFunctionList") else {
            dlclose(library)
            throw .notAModule(path: path)
        }
        typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
        let getFunctionList = unsafeBitCast(symbol, to: GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let listed = getFunctionList(&list)
        guard listed == CKR_OK, let list, let initialize = list.pointee.C_Initialize else {
            dlclose(library)
            throw .call(function: "C_GetFunctionList", code: UInt(listed))
        }
        // OS locking: the module may be called from whichever thread runs a check.
        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let initialised = initialize(&arguments)
        // Already initialised means another library in this process (e.g. p11-kit's proxy) did it.
        guard initialised == CKR_OK || initialised == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            dlclose(library)
            throw .call(function: "C_Initialize", code: UInt(initialised))
        }
        return LoadedPKCS11Library(path: path, library: library, functions: list, ownsInitialisation: initialised == CKR_OK)
    }
}

public enum PKCS11Error: Error, Equatable, Sendable {
    /// dlopen failed: the file is missing, of the wrong architecture, or lacks a dependency.
    case cannotLoad(path: String, reason: String)
    /// The library loads but exports no `C_GetFunctionList`.
    case notAModule(path: String)
    /// A PKCS#11 function returned an error code (CKR_*).
    case call(function: String, code: UInt)
    /// The token says its PIN is locked, or that few tries are left; certdoctor does not spend them.
    case pinRetriesLow(token: String)
    /// The PIN was refused once in this run; trying it again would only count down the token's retries.
    case pinRejected(token: String)
    /// No private key with this CKA_ID (hex) on the token.
    case noSuchKey(id: String)
    /// Two objects of one kind share this CKA_ID (hex); certdoctor does not pick one.
    case ambiguousID(id: String)

    public var codeName: String? {
        guard case let .call(_, code) = self else { return nil }
        let names: [UInt: String] = [
            0x5: "CKR_GENERAL_ERROR", 0x6: "CKR_FUNCTION_FAILED", 0x7: "CKR_ARGUMENTS_BAD",
            0x30: "CKR_DEVICE_ERROR", 0x32: "CKR_DEVICE_REMOVED", 0x54: "CKR_FUNCTION_NOT_SUPPORTED",
            0xB3: "CKR_SESSION_HANDLE_INVALID", 0xE0: "CKR_TOKEN_NOT_PRESENT", 0xE1: "CKR_TOKEN_NOT_RECOGNIZED",
            0x3: "CKR_SLOT_ID_INVALID", 0x190: "CKR_CRYPTOKI_NOT_INITIALIZED", 0x150: "CKR_BUFFER_TOO_SMALL",
            0x10: "CKR_ATTRIBUTE_READ_ONLY", 0x31: "CKR_DEVICE_MEMORY", 0x70: "CKR_MECHANISM_INVALID",
            0x82: "CKR_OBJECT_HANDLE_INVALID", 0xA0: "CKR_PIN_INCORRECT", 0xA4: "CKR_PIN_LOCKED", 0x101: "CKR_USER_NOT_LOGGED_IN",
        ]
        return names[code] ?? "0x" + String(code, radix: 16, uppercase: true)
    }
}

extension PKCS11Error: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .cannotLoad(path, reason): "The PKCS#11 module \(path) cannot be loaded: \(reason)."
        case let .notAModule(path): "\(path) is not a PKCS#11 module (no C_GetFunctionList)."
        case let .call(function, _): "PKCS#11 \(function) failed with \(codeName ?? "?")."
        case let .pinRetriesLow(token):
            "The token \(token) has locked its PIN or has few tries left; certdoctor will not try a PIN on it. Check the PIN with the vendor's tool."
        case let .pinRejected(token): "The token \(token) refused the PIN; it was not tried again, to spare the token's retry counter."
        case let .noSuchKey(id): "The token holds no private key with CKA_ID \(id)."
        case let .ambiguousID(id): "The token holds two objects of one kind with CKA_ID \(id); certdoctor will not choose between them."
        }
    }

    public var chineseDescription: String {
        switch self {
        case let .cannotLoad(path, reason): "无法加载 PKCS#11 模块 \(path)：\(reason)。"
        case let .notAModule(path): "\(path) 不是 PKCS#11 模块（缺少 C_GetFunctionList）。"
        case let .call(function, _): "PKCS#11 调用 \(function) 失败：\(codeName ?? "?")。"
        case let .pinRetriesLow(token): "USB Key \(token) 的 PIN 已锁定或剩余尝试次数很少；certdoctor 不会再尝试 PIN。请用厂商工具确认 PIN。"
        case let .pinRejected(token): "USB Key \(token) 拒绝了该 PIN；为保护重试次数，未再尝试。"
        case let .noSuchKey(id): "USB Key 上没有 CKA_ID 为 \(id) 的私钥。"
        case let .ambiguousID(id): "USB Key 上有两个同类对象的 CKA_ID 都是 \(id)；certdoctor 不会替你选择。"
        }
    }
}
