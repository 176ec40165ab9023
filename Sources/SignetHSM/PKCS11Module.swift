import CPKCS11
import Foundation

/// A PKCS#11 module loaded with `dlopen` and initialized once per process (a module may be
/// initialized once; every key on it shares it). Its function list is the module's own.
final class PKCS11Module: @unchecked Sendable {
    let path: String
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: PKCS11Module] = [:]

    private init(path: String, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>) {
        self.path = path
        self.functions = functions
    }

    /// The module at `path`, loaded and initialized on first use.
    static func shared(path: String) throws(PKCS11Error) -> PKCS11Module {
        let result: Result<PKCS11Module, PKCS11Error> = lock.withLock {
            if let module = loaded[path] { return .success(module) }
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                return .failure(.moduleUnloadable(path: path, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed"))
            }
            typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
            guard let symbol = dlsym(handle, "C_GetFunctionList") else {
                return .failure(.moduleUnloadable(path: path, reason: "it exports no C_GetFunctionList"))
            }
            var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
            let rv = unsafeBitCast(symbol, to: GetFunctionList.self)(&list)
            guard rv == CKR_OK, let functions = list, let initialize = functions.pointee.C_Initialize else {
                return .failure(.moduleUnloadable(path: path, reason: "C_GetFunctionList returned 0x\(String(rv, radix: 16))"))
            }
            // The module makes its own threads safe with the operating system's locks.
            var arguments = CK_C_INITIALIZE_ARGS()
            arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
            let initialized = withUnsafeMutablePointer(to: &arguments) { initialize(UnsafeMutableRawPointer($0)) }
            guard initialized == CKR_OK || initialized == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
                return .failure(
                    .moduleUnloadable(path: path, reason: "C_Initialize returned 0x\(String(initialized, radix: 16))"))
            }
            let module = PKCS11Module(path: path, functions: functions)
            loaded[path] = module
            return .success(module)
        }
        return try result.get()
    }

    /// Finalizes and initializes the module again: a module that lost its token (removed, its
    /// store moved, a network HSM's link cut) often sees it again only after a new `C_Initialize`.
    /// Every session on it ends; the signers connect again on their next signature.
    func reinitialize() {
        Self.lock.withLock {
            _ = functions.pointee.C_Finalize?(nil)
            var arguments = CK_C_INITIALIZE_ARGS()
            arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
            _ = withUnsafeMutablePointer(to: &arguments) { functions.pointee.C_Initialize?(UnsafeMutableRawPointer($0)) }
        }
    }

    /// The slot whose token has the label `token` (any token with a key, when `nil`).
    func slot(token: String?) throws(PKCS11Error) -> CK_SLOT_ID? {
        guard let getSlotList = functions.pointee.C_GetSlotList, let getTokenInfo = functions.pointee.C_GetTokenInfo else {
            throw .call("C_GetSlotList", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var count: CK_ULONG = 0
        try check(getSlotList(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList")
        // The count comes from the module: bounded before it sizes anything.
        guard count <= 4096 else { throw .call("C_GetSlotList", rv: UInt(CKR_GENERAL_ERROR)) }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check(getSlotList(CK_BBOOL(CK_TRUE), &slots, &count), "C_GetSlotList")
        for slot in slots.prefix(Int(min(count, CK_ULONG(slots.count)))) {
            var info = CK_TOKEN_INFO()
            guard getTokenInfo(slot, &info) == CKR_OK else { continue }
            let label = withUnsafeBytes(of: info.label) { String(decoding: $0, as: UTF8.self) }
                .trimmingCharacters(in: .whitespaces)
            if token == nil || label == token { return slot }
        }
        return nil
    }

    func check(_ rv: CK_RV, _ function: String) throws(PKCS11Error) {
        guard rv == CKR_OK else { throw .call(function, rv: UInt(rv)) }
    }
}
