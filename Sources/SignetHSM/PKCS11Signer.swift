import CPKCS11
import Foundation

/// Signs with one key on one token. Sessions are pooled: a signature takes a session from the
/// pool (or opens one), signs, and gives it back, so that concurrent signatures run on sessions of
/// their own; a token that allows one session at a time serializes them here, not in the store.
final class PKCS11Signer: @unchecked Sendable {
    private let module: PKCS11Module
    private let uri: PKCS11URI
    private let lock = NSLock()
    private var slot: CK_SLOT_ID
    private var key: CK_OBJECT_HANDLE
    private var idle: [CK_SESSION_HANDLE] = []
    private var away = false
    private var lastAttempt = DispatchTime(uptimeNanoseconds: 0)

    init(uri: PKCS11URI) throws {
        self.uri = uri
        module = try PKCS11Module.shared(path: uri.modulePath)
        (slot, key, idle) = try Self.connect(module, uri: uri)
    }

    /// Whether the token answered the last signature (or reconnection); `false` while it is away.
    var isAvailable: Bool { lock.withLock { !away } }

    /// Signs; when the token forgot the session or the key (removed, restarted, reinserted), it
    /// connects again (slot, login, key) once and retries, so that signing resumes by itself when
    /// the token is back.
    func sign(_ data: [UInt8], mechanism: CK_MECHANISM_TYPE) throws(PKCS11Error) -> [UInt8] {
        do {
            return try signOnce(data, mechanism: mechanism)
        } catch let error where Self.meansTokenGone(error) {
            try reconnect()
            return try signOnce(data, mechanism: mechanism)
        }
    }

    /// Connects again if the token was away (at most once a second, so that a burst of refused
    /// orders does not hammer the module); `true` when it answers now.
    func checkAvailability() -> Bool {
        let now = DispatchTime.now()
        let due = lock.withLock { () -> Bool? in
            guard away else { return nil }
            guard now.uptimeNanoseconds >= lastAttempt.uptimeNanoseconds + 1_000_000_000 else { return false }
            lastAttempt = now
            return true
        }
        guard let due else { return true }
        return due && (try? reconnect()) != nil
    }

    private func reconnect() throws(PKCS11Error) {
        let stale = lock.withLock { () -> [CK_SESSION_HANDLE] in
            defer { idle = [] }
            return idle
        }
        for session in stale { _ = module.functions.pointee.C_CloseSession?(session) }
        do {
            let connected: (CK_SLOT_ID, CK_OBJECT_HANDLE, [CK_SESSION_HANDLE])
            do {
                connected = try Self.connect(module, uri: uri)
            } catch {
                module.reinitialize()
                connected = try Self.connect(module, uri: uri)
            }
            let (slot, key, sessions) = connected
            lock.withLock {
                self.slot = slot
                self.key = key
                idle = sessions
                away = false
            }
        } catch {
            lock.withLock { away = true }
            throw .tokenAway(uri.description)
        }
    }

    private static func connect(
        _ module: PKCS11Module, uri: PKCS11URI
    ) throws(PKCS11Error) -> (CK_SLOT_ID, CK_OBJECT_HANDLE, [CK_SESSION_HANDLE]) {
        guard let slot = try module.slot(token: uri.token) else { throw .tokenMissing(uri.description) }
        let session = try open(module, slot: slot)
        do {
            try login(module, session: session, pin: try uri.pin(), uri: uri)
            guard let key = try findObject(module, session: session, uri: uri) else {
                throw PKCS11Error.keyMissing(uri.description)
            }
            return (slot, key, [session])
        } catch {
            _ = module.functions.pointee.C_CloseSession?(session)
            throw (error as? PKCS11Error) ?? .call("C_Login", rv: 0)
        }
    }

    /// Return values by which a token says it no longer knows the session or the key.
    static func meansTokenGone(_ error: PKCS11Error) -> Bool {
        guard case .call(_, let rv) = error else { return false }
        return [
            CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID, CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
            CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR, CKR_USER_NOT_LOGGED_IN, CKR_TOKEN_NOT_RECOGNIZED,
            CKR_CRYPTOKI_NOT_INITIALIZED,
        ].map { UInt($0) }.contains(rv)
    }

    private func signOnce(_ data: [UInt8], mechanism: CK_MECHANISM_TYPE) throws(PKCS11Error) -> [UInt8] {
        let functions = module.functions.pointee
        guard let signInit = functions.C_SignInit, let sign = functions.C_Sign else {
            throw .call("C_Sign", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        let (pooled, slot, key) = lock.withLock { (idle.popLast(), self.slot, self.key) }
        let session: CK_SESSION_HANDLE
        if let pooled {
            session = pooled
        } else {
            session = try Self.open(module, slot: slot)
        }
        var healthy = true
        defer {
            if healthy { lock.withLock { idle.append(session) } } else { _ = functions.C_CloseSession?(session) }
        }
        var chosen = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
        var rv = signInit(session, &chosen, key)
        guard rv == CKR_OK else {
            healthy = false
            throw .call("C_SignInit", rv: UInt(rv))
        }
        var input = data
        var length: CK_ULONG = 0
        rv = sign(session, &input, CK_ULONG(input.count), nil, &length)
        guard rv == CKR_OK else {
            healthy = false
            throw .call("C_Sign", rv: UInt(rv))
        }
        // The length comes from the module: an RSA-8192 signature is 1,024 bytes.
        guard length > 0, length <= 4096 else {
            healthy = false
            throw .call("C_Sign", rv: UInt(CKR_GENERAL_ERROR))
        }
        var signature = [UInt8](repeating: 0, count: Int(length))
        rv = sign(session, &input, CK_ULONG(input.count), &signature, &length)
        guard rv == CKR_OK else {
            healthy = false
            throw .call("C_Sign", rv: UInt(rv))
        }
        return Array(signature.prefix(Int(min(length, CK_ULONG(signature.count)))))
    }

    /// A session on the token: read-only for signing, read-write to make keys.
    static func open(_ module: PKCS11Module, slot: CK_SLOT_ID, readWrite: Bool = false) throws(PKCS11Error) -> CK_SESSION_HANDLE {
        guard let openSession = module.functions.pointee.C_OpenSession else {
            throw .call("C_OpenSession", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var session: CK_SESSION_HANDLE = 0
        let flags = CK_FLAGS(CKF_SERIAL_SESSION) | (readWrite ? CK_FLAGS(CKF_RW_SESSION) : 0)
        try module.check(openSession(slot, flags, nil, nil, &session), "C_OpenSession")
        return session
    }

    /// Logs the application in (once for every session of the token).
    static func login(_ module: PKCS11Module, session: CK_SESSION_HANDLE, pin: String?, uri: PKCS11URI) throws {
        guard let pin, let login = module.functions.pointee.C_Login else { return }
        var bytes = Array(pin.utf8)
        let rv = login(session, CK_USER_TYPE(CKU_USER), &bytes, CK_ULONG(bytes.count))
        for index in bytes.indices { bytes[index] = 0 }
        switch rv {
        case CKR_OK, CK_RV(CKR_USER_ALREADY_LOGGED_IN): return
        case CK_RV(CKR_PIN_INCORRECT), CK_RV(CKR_PIN_LOCKED), CK_RV(CKR_PIN_LEN_RANGE):
            throw PKCS11Error.wrongPIN(uri.description)
        default: throw PKCS11Error.call("C_Login", rv: UInt(rv))
        }
    }

    /// The object of `objectClass` (a private key unless said) the URI names, by label and/or id.
    static func findObject(
        _ module: PKCS11Module, session: CK_SESSION_HANDLE, uri: PKCS11URI,
        objectClass: CK_OBJECT_CLASS = CK_OBJECT_CLASS(CKO_PRIVATE_KEY)
    ) throws -> CK_OBJECT_HANDLE? {
        let functions = module.functions.pointee
        guard let findInit = functions.C_FindObjectsInit, let find = functions.C_FindObjects,
            let findFinal = functions.C_FindObjectsFinal
        else { throw PKCS11Error.call("C_FindObjects", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED)) }
        var keyClass = objectClass
        var label = Array((uri.object ?? "").utf8)
        var id = uri.id ?? []
        var handle: CK_OBJECT_HANDLE = 0
        var found: CK_ULONG = 0
        try withUnsafeMutableBytes(of: &keyClass) { classBytes in
            try label.withUnsafeMutableBytes { labelBytes in
                try id.withUnsafeMutableBytes { idBytes in
                    var template = [
                        CK_ATTRIBUTE(
                            type: CK_ATTRIBUTE_TYPE(CKA_CLASS), pValue: classBytes.baseAddress,
                            ulValueLen: CK_ULONG(classBytes.count))
                    ]
                    if uri.object != nil {
                        template.append(
                            CK_ATTRIBUTE(
                                type: CK_ATTRIBUTE_TYPE(CKA_LABEL), pValue: labelBytes.baseAddress,
                                ulValueLen: CK_ULONG(labelBytes.count)))
                    }
                    if uri.id != nil {
                        template.append(
                            CK_ATTRIBUTE(
                                type: CK_ATTRIBUTE_TYPE(CKA_ID), pValue: idBytes.baseAddress, ulValueLen: CK_ULONG(idBytes.count))
                        )
                    }
                    try module.check(findInit(session, &template, CK_ULONG(template.count)), "C_FindObjectsInit")
                    defer { _ = findFinal(session) }
                    try module.check(find(session, &handle, 1, &found), "C_FindObjects")
                }
            }
        }
        return found == 1 ? handle : nil
    }
}
