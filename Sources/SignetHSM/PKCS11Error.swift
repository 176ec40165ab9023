/// Why a key on a token could not be used; each names the URI without its PIN.
public enum PKCS11Error: Error, Sendable, Equatable, CustomStringConvertible {
    case moduleUnloadable(path: String, reason: String)
    case call(String, rv: UInt)
    case tokenMissing(String)
    case keyMissing(String)
    case wrongPIN(String)
    case pinUnreadable(path: String)
    case unsupportedKey(String)
    case keyDoesNotMatch(String)
    /// The token stopped answering for the key while serving (removed, restarted).
    case tokenAway(String)

    public var description: String {
        switch self {
        case .moduleUnloadable(let path, let reason): return "cannot load the PKCS#11 module \(path): \(reason)"
        case .call(let function, let rv): return "the token refused \(function) (CKR 0x\(String(rv, radix: 16)))"
        case .tokenMissing(let uri): return "no token matches \(uri): is it plugged in and initialized?"
        case .keyMissing(let uri): return "no private key on the token matches \(uri)"
        case .wrongPIN(let uri): return "the token refused the PIN for \(uri) (wrong PIN or locked)"
        case .pinUnreadable(let path): return "cannot read the PIN file \(path)"
        case .unsupportedKey(let uri): return "the key \(uri) is not P-256, P-384 or RSA"
        case .keyDoesNotMatch(let uri): return "the key \(uri) does not belong to its CA certificate"
        case .tokenAway(let uri): return "the token holding \(uri) does not answer; signing resumes when it is back"
        }
    }
}
