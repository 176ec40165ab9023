import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SignetCore
import SignetStore
import SignetValidation

#if canImport(Glibc)
import Glibc
#endif

/// Which notify URLs Signet calls: http(s) only, and never loopback, private, link-local or
/// otherwise internal addresses unless the operator allows them (`--allow-private-callbacks`).
struct CallbackAddressPolicy: Sendable {
    let resolver: any DNSResolver
    let allowPrivate: Bool

    /// Checks a `notify_url`; `nil` when none was given.
    func check(_ raw: String?) async throws -> String? {
        guard let raw = raw?.trimmingWhitespace(), !raw.isEmpty else { return nil }
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, raw.count <= 2000
        else { throw ResellerError.invalid("notify_url", "notify_url must be an http or https URL") }
        if let problem = await problem(host: host) { throw ResellerError.invalid("notify_url", problem) }
        return raw
    }

    /// Why `host` may not be called, or `nil` when it may.
    func problem(host: String) async -> String? {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        var addresses: [[UInt8]] = []
        if let literal = Self.parse(bare) {
            addresses = [literal]
        } else {
            for type in [DNSRecordType.a, .aaaa] {
                guard let response = try? await resolver.query(bare, type: type) else { continue }
                for record in response.records(type) { if case .address(let bytes) = record.data { addresses.append(bytes) } }
            }
            if addresses.isEmpty { return "\(host) does not resolve" }
        }
        if !allowPrivate, let address = addresses.first(where: Self.isInternal) {
            return "\(host) resolves to an internal address (\(address.map(String.init).joined(separator: "."))); callbacks go to public addresses only"
        }
        return nil
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified, multicast and mapped forms of them.
    static func isInternal(_ address: [UInt8]) -> Bool {
        if address.count == 16 {
            if address[0..<10].allSatisfy({ $0 == 0 }) && address[10] == 0xFF && address[11] == 0xFF {
                return isInternal(Array(address[12...]))
            }
            if address[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
            return address[0] & 0xFE == 0xFC || (address[0] == 0xFE && address[1] & 0xC0 == 0x80) || address[0] == 0xFF
        }
        guard address.count == 4 else { return true }
        switch (address[0], address[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168): return true
        case (172, 16...31), (100, 64...127): return true
        case (224...255, _): return true
        default: return false
        }
    }
}

/// Queues a callback to the order's `notify_url` in the transaction of every change.
struct ResellerCallbacks: OrderEventSink {
    let renderer: ResellerRenderer

    func record(_ event: OrderEvent, orderID: Int, connection: StoreConnection, at date: Date) async throws {
        guard let reseller = try await connection.resellerOrder(orderID: orderID),
            let details = try? JSONDecoder().decode(ResellerDetails.self, from: Data(reseller.detailsJSON.utf8)),
            let url = details.notifyURL
        else { return }
        let payload = JSONValue.object([
            "event": .string(event.rawValue),
            "data": try await renderer.detail(orderID: orderID, connection: connection, now: date),
        ])
        try await connection.enqueueCallback(
            orderID: orderID, accessKeyID: reseller.accessKeyID, url: url, event: event.rawValue, payload: payload.jsonText, at: date)
    }
}

/// Delivers queued callbacks at least once: POST of the JSON payload, signed with the reseller's
/// key by the scheme its SDK verifies (auth fields in the query), no redirects followed, retried
/// with growing delays for a day. The queue is in the database, so a restart loses nothing.
final class CallbackDelivery: Sendable {
    let store: SignetStore
    let clock: any WallClock
    let sealer: SecretSealer
    let policy: CallbackAddressPolicy
    let retryBase: TimeInterval
    let client: HTTPClient
    static let giveUpAfter: TimeInterval = 86_400
    static let steps: [Double] = [1, 5, 15, 60, 360, 720]

    init(store: SignetStore, clock: any WallClock, sealer: SecretSealer, policy: CallbackAddressPolicy, retryBase: TimeInterval) {
        self.store = store
        self.clock = clock
        self.sealer = sealer
        self.policy = policy
        self.retryBase = retryBase
        client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
    }

    func shutdown() async throws { try await client.shutdown() }

    /// The delay before attempt `attempts + 1`.
    func delay(after attempts: Int) -> TimeInterval {
        retryBase * Self.steps[min(max(attempts - 1, 0), Self.steps.count - 1)]
    }

    /// One pass: sends every due callback.
    func deliverDue() async {
        let now = clock.now()
        guard
            let due = try? await store.write({ connection -> [Callback] in
                let due = try await connection.dueCallbacks(at: now, limit: 20)
                try await connection.leaseCallbacks(ids: due.map(\.id), until: now.addingTimeInterval(120))
                return due
            })
        else { return }
        for callback in due { await deliver(callback) }
    }

    private func deliver(_ callback: Callback) async {
        var status: Int?
        var failure: String?
        var permanent = false
        do {
            if let problem = await policy.problem(host: URLComponents(string: callback.url)?.host ?? "") {
                permanent = true
                throw ResellerError(.badRequest, "REFUSED", problem)
            }
            guard let key = try await store.read({ try await $0.resellerKey(accessKeyID: callback.accessKeyID) }) else {
                permanent = true
                throw ResellerError(.badRequest, "REFUSED", "the access key is gone")
            }
            var request = HTTPClientRequest(url: try signedURL(callback, secret: try sealer.open(key.sealedSecret)))
            request.method = .POST
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            request.headers.replaceOrAdd(name: "User-Agent", value: "Signet callbacks")
            request.body = .bytes(ByteBuffer(string: callback.payload))
            let response = try await client.execute(request, timeout: .seconds(15))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if !(200..<300).contains(status!) { failure = "HTTP \(status!)" }
        } catch let error as ResellerError {
            failure = error.detail
        } catch {
            failure = "\(error)"
        }
        let now = clock.now()
        let attempts = callback.attempts + 1
        var next: Date? = now.addingTimeInterval(delay(after: attempts))
        if permanent || next! > callback.dateCreated.addingTimeInterval(Self.giveUpAfter) { next = nil }
        let (answer, error, retry) = (status, failure, failure == nil ? nil : next)
        _ = try? await store.write {
            try await $0.recordCallbackAttempt(id: callback.id, at: now, status: answer, error: error, delivered: error == nil, next: retry)
        }
    }

    /// The notify URL with `accessKeyId`, `nonce`, `timestamp` and `sign` added to its query; the
    /// signature covers the URL's own query, those fields and the JSON body, as the SDKs sign.
    func signedURL(_ callback: Callback, secret: String) throws -> String {
        guard var components = URLComponents(string: callback.url) else { throw ResellerError(.badRequest, "REFUSED", "bad URL") }
        var tree = JSONValue.parse(Array(callback.payload.utf8)).map(PHPValue.init) ?? .map([:])
        for item in components.queryItems ?? [] { tree.set(phpKey: item.name, item.value ?? "") }
        let auth = [
            ("accessKeyId", callback.accessKeyID), ("nonce", RandomValue.make()),
            ("timestamp", ResellerSignature.timestamp(clock.now())),
        ]
        for (name, value) in auth { tree.set(phpKey: name, value) }
        guard case .map(let parameters) = tree else { throw ResellerError(.badRequest, "REFUSED", "bad payload") }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let signature = ResellerSignature.sign(
            ResellerSignature.stringToSign(path: path, parameters: parameters, normalization: .php), secret: secret)
        let added = (auth + [("sign", signature)]).map { "\(ResellerSignature.urlencode($0.0))=\(ResellerSignature.urlencode($0.1))" }
        let existing = components.percentEncodedQuery.map { [$0] } ?? []
        components.percentEncodedQuery = (existing + added).joined(separator: "&")
        return components.string ?? callback.url
    }
}
