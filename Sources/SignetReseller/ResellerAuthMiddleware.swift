import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// Who is calling the reseller dialect, and with which parameters.
struct ResellerCaller: Sendable {
    let principal: Principal
    let accessKeyID: String
    let secret: String
    /// The business parameters: JSON body and query merged, without the signature fields.
    let parameters: JSONFields
}

/// Verifies signed reseller calls (reseller.md 2): parameters from the query and the JSON body
/// together, less `sign`, signed with HMAC-SHA256 over `<path>?<PHP query>`; the timestamp
/// (UTC+8) within five minutes of now; each nonce used once per key.
struct ResellerAuthMiddleware: AsyncMiddleware {
    let accounts: ResellerAccounts

    static let window: TimeInterval = 300
    static let signatureFields: Set<String> = ["accessKeyId", "nonce", "timestamp", "sign"]

    /// Verifies the call, then holds its access key to the request limits; failed verifications
    /// count against the client's address.
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limiter = request.signet.rateLimiter
        let now = ProcessInfo.processInfo.systemUptime
        let caller: ResellerCaller
        do {
            caller = try await verify(request)
        } catch let error as ResellerError where error.status == .unauthorized {
            if let wait = limiter.admit("address:\(request.remoteAddress?.ipAddress ?? "-")", now: now) {
                throw ResellerError.rateLimited(retryAfter: wait)
            }
            throw error
        }
        request.credentialID = caller.accessKeyID
        if let wait = limiter.admit("reseller:\(caller.accessKeyID)", now: now) {
            throw ResellerError.rateLimited(retryAfter: wait)
        }
        request.storage[CallerKey.self] = caller
        return try await next.respond(to: request)
    }

    private func verify(_ request: Request) async throws -> ResellerCaller {
        var tree = PHPValue.map([:])
        var json: [String: JSONValue] = [:]
        // Middleware runs before the route collects the body; a large body is still streaming here.
        let body = try await request.body.collect(max: 1 << 20).get()
        if let buffer = body, buffer.readableBytes > 0 {
            guard let value = JSONValue.parse(buffer.readableBytesView), case .object(let fields) = value else {
                throw ResellerError(.badRequest, "BAD_REQUEST", "The request body is not a JSON object.")
            }
            json = fields
            tree = PHPValue(value)
        }
        var queryFields = PHPValue.map([:])
        for (key, value) in Self.queryPairs(request.url.query ?? "") {
            tree.set(phpKey: key, value)
            queryFields.set(phpKey: key, value)
        }
        guard case .map(var signed) = tree, case .string(let signature)? = signed.removeValue(forKey: "sign"),
            case .string(let accessKeyID)? = signed["accessKeyId"], case .string(let nonce)? = signed["nonce"],
            case .string(let timestamp)? = signed["timestamp"], !nonce.isEmpty
        else {
            throw ResellerError(.unauthorized, "INVALID_SIGNATURE", "accessKeyId, nonce, timestamp and sign are required.")
        }
        guard let sentAt = ResellerSignature.parseTimestamp(timestamp) else {
            throw ResellerError(.unauthorized, "INVALID_TIMESTAMP", "timestamp must look like 2024-04-24T18:00:00Z (UTC+8).")
        }
        // The client signs with its own clock's time: freshness and nonces are judged in real time,
        // never by the test double's clock, which a suite moves by months.
        let now = Date()
        guard abs(sentAt.timeIntervalSince(now)) <= Self.window else {
            throw ResellerError(
                .unauthorized, "TIMESTAMP_EXPIRED", "timestamp is more than five minutes away from the server's time (UTC+8).")
        }
        guard let (secret, principal) = try await request.signet.credentials.resellerKey(accessKeyID: accessKeyID) else {
            throw ResellerError(.unauthorized, "INVALID_ACCESS_KEY", "The access key is unknown.")
        }
        let path = request.url.path
        let matches = ResellerSignature.Normalization.allCases.contains { normalization in
            let expected = ResellerSignature.sign(
                ResellerSignature.stringToSign(path: path, parameters: signed, normalization: normalization), secret: secret)
            return Self.constantTimeEqual(expected, signature)
        }
        guard matches else {
            throw ResellerError(.unauthorized, "INVALID_SIGNATURE", "The signature does not match the parameters.")
        }
        let fresh = try await accounts.useNonce(
            nonce, accessKeyID: accessKeyID, at: now, forgetBefore: now.addingTimeInterval(-2 * Self.window))
        guard fresh else { throw ResellerError(.unauthorized, "NONCE_REUSED", "This nonce was used before.") }
        if case .map(let fields) = queryFields {
            for (name, value) in fields where !Self.signatureFields.contains(name) && json[name] == nil {
                json[name] = value.json
            }
        }
        for field in Self.signatureFields { json.removeValue(forKey: field) }
        return ResellerCaller(
            principal: principal, accessKeyID: accessKeyID, secret: secret, parameters: JSONFields(fields: json))
    }

    /// `key=value` pairs of a query string, decoded (`+` is a space).
    static func queryPairs(_ query: String) -> [(String, String)] {
        query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let key = parts.first, !key.isEmpty else { return nil }
            return (decode(key), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

private struct CallerKey: StorageKey {
    typealias Value = ResellerCaller
}

extension Request {
    var resellerCaller: ResellerCaller {
        get throws {
            guard let caller = storage[CallerKey.self] else {
                throw ResellerError(.unauthorized, "INVALID_SIGNATURE", "The request is not signed.")
            }
            return caller
        }
    }
}

extension PHPValue {
    /// Back to JSON: strings stay strings (query values carry no types).
    var json: JSONValue {
        switch self {
        case .string(let value): return .string(value)
        case .bool(let value): return .bool(value)
        case .null: return .null
        case .map(let fields): return .object(fields.mapValues(\.json))
        }
    }
}
