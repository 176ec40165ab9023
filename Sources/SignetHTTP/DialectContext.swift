import SignetCore
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// What every dialect works with: a read-only store handle for reads, the CA for chains, the
/// clock, the credentials, the limits shared by all dialects, and the operator's administration.
/// The registration authority is not here: each dialect holds it as its own narrow protocol
/// (`CertCentralWorkflow`, `ResellerWorkflow`, `ACMEAuthority`), given when it is made.
public struct DialectContext: Sendable {
    public let administration: Administration
    public let reader: StoreReader
    public let authority: CertificateAuthority
    public let clock: any WallClock
    /// How each dialect's credentials become principals.
    public let credentials: Credentials
    public let rateLimiter: RateLimiter

    public init(
        administration: Administration, reader: StoreReader,
        authority: CertificateAuthority, clock: any WallClock, credentials: Credentials, rateLimiter: RateLimiter
    ) {
        self.administration = administration
        self.reader = reader
        self.authority = authority
        self.clock = clock
        self.credentials = credentials
        self.rateLimiter = rateLimiter
    }
}

extension Application {
    private struct ContextKey: StorageKey {
        typealias Value = DialectContext
    }

    /// The dialects' context of this application; set once by the server before any route runs.
    public var signet: DialectContext {
        get {
            guard let context = storage[ContextKey.self] else { fatalError("the server did not set the dialect context") }
            return context
        }
        set { storage[ContextKey.self] = newValue }
    }
}

extension Request {
    public var signet: DialectContext { application.signet }
}
