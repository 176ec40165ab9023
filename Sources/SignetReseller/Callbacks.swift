import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import SignetValidation

#if canImport(Glibc)
#endif

/// Which notify URLs Signet calls: http(s) only, to hosts that resolve to a public address
/// (unless the operator allows private targets, `--allow-private-targets`). Checked when a
/// reseller gives the URL, and again at every delivery, which connects to the address checked.
struct CallbackAddressPolicy: Sendable {
    let outbound: OutboundAddressPolicy

    /// Checks a `notify_url`; `nil` when none was given.
    func check(_ raw: String?) async throws -> String? {
        guard let raw = raw?.trimmingWhitespace(), !raw.isEmpty else { return nil }
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, raw.count <= 2000
        else { throw ResellerError.invalid("notify_url", "notify_url must be an http or https URL") }
        do {
            _ = try await outbound.address(for: host)
        } catch {
            throw ResellerError.invalid("notify_url", "\(error); callbacks go to public addresses only")
        }
        return raw
    }
}

/// Queues a callback to the order's `notify_url` in the transaction of every change.
struct ResellerCallbacks: OrderEventSink {
    let renderer: ResellerRenderer

    func record(_ event: OrderEvent, orderID: Int, connection: WriteSession, at date: Date) throws {
        guard let reseller = try connection.resellerOrder(orderID: orderID),
            let details = try? JSONDecoder().decode(ResellerDetails.self, from: Data(reseller.detailsJSON.utf8)),
            let url = details.notifyURL
        else { return }
        let payload = JSONValue.object([
            "event": .string(event.rawValue),
            "data": try renderer.detail(orderID: orderID, connection: connection, now: date),
        ])
        try connection.enqueueCallback(
            orderID: orderID, accessKeyID: reseller.accessKeyID, url: url, event: event.rawValue, payload: payload.jsonText,
            at: date)
    }
}

/// Delivers queued callbacks at least once: POST of the JSON payload, signed with the reseller's
/// key by the scheme its SDK verifies (auth fields in the query), no redirects followed, retried
/// with growing delays for a day. The queue is in the database, so a restart loses nothing.
final class CallbackDelivery: Sendable {
    let accounts: ResellerAccounts
    let clock: any WallClock
    let policy: CallbackAddressPolicy
    let retryBase: TimeInterval
    let configuration: HTTPClient.Configuration
    static let giveUpAfter: TimeInterval = 86_400
    static let steps: [Double] = [1, 5, 15, 60, 360, 720]

    init(accounts: ResellerAccounts, clock: any WallClock, policy: CallbackAddressPolicy, retryBase: TimeInterval) {
        self.accounts = accounts
        self.clock = clock
        self.policy = policy
        self.retryBase = retryBase
        configuration = .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
    }

    func shutdown() async throws {}

    /// The delay before attempt `attempts + 1`.
    func delay(after attempts: Int) -> TimeInterval {
        retryBase * Self.steps[min(max(attempts - 1, 0), Self.steps.count - 1)]
    }

    /// One pass: sends every due callback.
    func deliverDue() async {
        let now = clock.now()
        guard let due = try? await accounts.leaseDueCallbacks(at: now, leaseUntil: now.addingTimeInterval(120)) else { return }
        for callback in due { await deliver(callback) }
    }

    private func deliver(_ callback: Callback) async {
        var status: Int?
        var failure: String?
        var permanent = false
        do {
            guard let secret = try await accounts.signingSecret(accessKeyID: callback.accessKeyID) else {
                permanent = true
                throw ResellerError(.badRequest, "REFUSED", "the access key is gone")
            }
            let url = try signedURL(callback, secret: secret)
            guard let host = URLComponents(string: url)?.host else {
                permanent = true
                throw ResellerError(.badRequest, "REFUSED", "the notify URL has no host")
            }
            let address: IPAddress
            do {
                address = try await policy.outbound.address(for: host)
            } catch {
                permanent = true
                throw ResellerError(.badRequest, "REFUSED", "\(error)")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            request.headers.replaceOrAdd(name: "User-Agent", value: "Signet callbacks")
            request.body = .bytes(ByteBuffer(string: callback.payload))
            // A client whose only route to the host is the address just checked: no second lookup
            // that a rebinding DNS server could answer with an internal address.
            var configuration = self.configuration
            configuration.dnsOverride = [host: address.description]
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let answer: Result<Int, any Error>
            do {
                let response = try await client.execute(request, timeout: .seconds(15))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                answer = .success(Int(response.status.code))
            } catch {
                answer = .failure(error)
            }
            try? await client.shutdown()
            let code = try answer.get()
            status = code
            if !(200..<300).contains(code) { failure = "HTTP \(code)" }
        } catch let error as ResellerError {
            failure = error.detail
        } catch {
            failure = "\(error)"
        }
        let now = clock.now()
        let attempts = callback.attempts + 1
        let following = now.addingTimeInterval(delay(after: attempts))
        let gaveUp = permanent || following > callback.dateCreated.addingTimeInterval(Self.giveUpAfter)
        let retry = failure == nil || gaveUp ? nil : following
        SignetMetrics.callbackAttempted(failure == nil ? "delivered" : gaveUp ? "gave_up" : "retry")
        try? await accounts.recordCallbackAttempt(id: callback.id, at: now, status: status, error: failure, next: retry)
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
        let added = (auth + [("sign", signature)]).map {
            "\(ResellerSignature.urlencode($0.0))=\(ResellerSignature.urlencode($0.1))"
        }
        let existing = components.percentEncodedQuery.map { [$0] } ?? []
        components.percentEncodedQuery = (existing + added).joined(separator: "&")
        return components.string ?? callback.url
    }
}
