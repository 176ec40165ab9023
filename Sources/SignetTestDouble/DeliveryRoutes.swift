import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// What the double sent on a client's behalf (docs/test-double.md): the callbacks to resellers'
/// `notify_url`, each re-deliverable on demand, and the validation e-mail of the outbox.
struct DeliveryRoutes: RouteCollection {
    let registration: RegistrationAuthority

    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped("test-double").grouped(AdministratorOnly())
        api.get("callbacks", use: callbacks)
        api.post("callbacks", ":id", "redeliver", use: redeliver)
        api.get("outbox", use: outbox)
    }

    /// `?order_id=N&limit=M`: the newest callbacks first, with their payload and delivery state.
    func callbacks(_ request: Request) async throws -> Response {
        let orderID = try Self.optionalInt(request, "order_id")
        let limit = min(try Self.optionalInt(request, "limit") ?? 100, 1_000)
        let callbacks = try await request.signet.administration.recentCallbacks(orderID: orderID, limit: max(limit, 1))
        return try ManagementRoutes.json(["callbacks": callbacks.map(Self.view)])
    }

    /// Sends callback `id` again: a new callback with the same payload, delivered by the next pass.
    func redeliver(_ request: Request) async throws -> Response {
        guard let id = request.parameters.get("id").flatMap(Int.init) else { throw Abort(.badRequest, reason: "a callback id") }
        guard let queued = try await request.signet.administration.redeliverCallback(id: id) else {
            throw Abort(.notFound, reason: "no callback \(id)")
        }
        let response = try ManagementRoutes.json(["id": queued])
        response.status = .created
        return response
    }

    /// `?to=ADDRESS&order_id=N&limit=M`: the validation e-mail written, newest first, with the link
    /// a suite follows to validate as the recipient would.
    func outbox(_ request: Request) async throws -> Response {
        let orderID = try Self.optionalInt(request, "order_id")
        let to = request.query[String.self, at: "to"]?.lowercased()
        let limit = min(try Self.optionalInt(request, "limit") ?? 100, 1_000)
        let emails = try await request.signet.administration.outbox(limit: 1_000).filter {
            (orderID == nil || $0.orderID == orderID) && (to == nil || $0.recipient.lowercased() == to)
        }
        return try ManagementRoutes.json(["messages": emails.prefix(max(limit, 1)).map(Self.view)])
    }

    static func optionalInt(_ request: Request, _ name: String) throws -> Int? {
        guard let raw = request.query[String.self, at: name] else { return nil }
        guard let value = Int(raw), value >= 0 else { throw Abort(.badRequest, reason: "'\(name)' is a whole number") }
        return value
    }

    static func timestamp(_ date: Date?) -> Any { date.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull() }

    static func view(_ callback: Callback) -> [String: Any] {
        [
            "id": callback.id, "order_id": callback.orderID, "url": callback.url, "event": callback.event,
            "payload": (try? JSONSerialization.jsonObject(with: Data(callback.payload.utf8))) ?? callback.payload,
            "created": timestamp(callback.dateCreated), "attempts": callback.attempts,
            "delivered_at": timestamp(callback.deliveredAt), "next_attempt_at": timestamp(callback.nextAttemptAt),
            "last_status": callback.lastStatus ?? NSNull(), "last_error": callback.lastError ?? NSNull(),
        ]
    }

    static func view(_ email: DCVEmail) -> [String: Any] {
        [
            "id": email.id, "to": email.recipient, "name": email.name, "subject": email.subject, "body": email.body,
            "order_id": email.orderID ?? NSNull(), "created": timestamp(email.dateCreated), "expires": timestamp(email.expires),
            "sent_at": timestamp(email.sentAt), "followed_at": timestamp(email.followedAt),
        ]
    }
}
