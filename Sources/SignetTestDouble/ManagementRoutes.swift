import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// The test double's management API under `/test-double` (docs/test-double.md): the clock,
/// reset and snapshots. Only the administrator's API key (`X-DC-DEVKEY`) may call it, and the
/// server mounts it only in the test-double mode.
public struct ManagementRoutes: RouteCollection, Sendable {
    let double: TestDouble

    public init(double: TestDouble) { self.double = double }

    public func boot(routes: any RoutesBuilder) throws {
        try WorkflowRoutes(registration: double.registration).boot(routes: routes)
        try DeliveryRoutes(registration: double.registration).boot(routes: routes)
        let api = routes.grouped("test-double").grouped(AdministratorOnly())
        api.get("clock", use: clock)
        api.put("clock", use: setClock)
        api.post("clock", "advance", use: advanceClock)
        api.post("reset", use: reset)
        api.get("snapshots", use: listSnapshots)
        api.post("snapshots", ":name", use: saveSnapshot)
        api.post("snapshots", ":name", "restore", use: restoreSnapshot)
        api.post("faults", use: addFault)
        api.get("faults", use: listFaults)
        api.delete("faults", use: clearFaults)
        api.delete("faults", ":id", use: removeFault)
        api.get("requests", use: listRequests)
        api.delete("requests", use: clearRequests)
    }

    /// Adds a fault (docs/test-double.md): which requests (`dialect`, `method`, `path` with `*`,
    /// `key`), how often (`times`, or `probability`), and what they get (`status` with
    /// `retry_after`, `delay_ms`, `empty`, `truncate` or `drop`).
    func addFault(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        let action: Fault.Action
        if let status = body.number("status") {
            guard let code = UInt(exactly: status), InjectedFault.statuses.contains(code) else {
                throw Abort(.badRequest, reason: "'status' is one of 429, 500, 502, 503, 504")
            }
            let retryAfter = try body.number("retry_after").map { value -> Int in
                guard let seconds = Int(exactly: value), (0...86_400).contains(seconds) else {
                    throw Abort(.badRequest, reason: "'retry_after' is a whole number of seconds, 0 to 86400")
                }
                return seconds
            }
            action = .status(
                HTTPResponseStatus(statusCode: Int(code)), retryAfter: retryAfter ?? (code == 429 || code == 503 ? 1 : nil))
        } else if let delay = body.number("delay_ms") {
            guard let milliseconds = Int(exactly: delay), (0...120_000).contains(milliseconds) else {
                throw Abort(.badRequest, reason: "'delay_ms' is 0 to 120000")
            }
            action = .delay(milliseconds: milliseconds)
        } else if body.flag("empty") {
            action = .empty
        } else if body.flag("truncate") {
            action = .truncate
        } else if body.flag("drop") {
            action = .drop
        } else {
            throw Abort(.badRequest, reason: "a fault does one of: status, delay_ms, empty, truncate, drop")
        }
        let times = body.number("times")
        let probability = body.number("probability")
        if let times, Int(exactly: times).map({ $0 >= 1 }) != true {
            throw Abort(.badRequest, reason: "'times' is a whole number from 1")
        }
        if let probability, !(probability > 0 && probability <= 1) {
            throw Abort(.badRequest, reason: "'probability' is more than 0 and at most 1")
        }
        if times != nil && probability != nil { throw Abort(.badRequest, reason: "give 'times' or 'probability', not both") }
        if let dialect = body.string("dialect"), !["certcentral", "reseller", "acme"].contains(dialect) {
            throw Abort(.badRequest, reason: "'dialect' is certcentral, reseller or acme")
        }
        let fault = double.faults.add { id in
            Fault(
                id: id, dialect: body.string("dialect"), method: body.string("method"), path: body.string("path"),
                key: body.string("key"), remaining: probability == nil ? times.map { Int($0) } ?? 1 : nil,
                probability: probability, action: action)
        }
        let response = try Self.json(fault.json)
        response.status = .created
        return response
    }

    func listFaults(_ request: Request) async throws -> Response {
        try Self.json(["faults": double.faults.all.map(\.json)])
    }

    func clearFaults(_ request: Request) async throws -> Response {
        double.faults.clear()
        return Response(status: .noContent)
    }

    func removeFault(_ request: Request) async throws -> Response {
        guard let id = request.parameters.get("id"), double.faults.remove(id: id) else {
            throw Abort(.notFound, reason: "no such fault")
        }
        return Response(status: .noContent)
    }

    /// The requests received, oldest first; `?dialect=` and `?path=` (with `*`) narrow them.
    func listRequests(_ request: Request) async throws -> Response {
        let dialect = request.query[String.self, at: "dialect"]
        let path = request.query[String.self, at: "path"]
        let entries = double.journal.all.filter { entry in
            (dialect == nil || entry.dialect == dialect) && (path.map { Fault.glob($0, matches: entry.path) } ?? true)
        }
        return try Self.json(["requests": entries.map(\.json)])
    }

    func clearRequests(_ request: Request) async throws -> Response {
        double.journal.clear()
        return Response(status: .noContent)
    }

    func clock(_ request: Request) async throws -> Response {
        try Self.json(["now": APITime.timestamp(double.clock.now())])
    }

    /// `{"now": "2027-03-15T00:00:00Z"}`: the clock reads that instant and runs on from it.
    func setClock(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        guard let text = body.string("now"), let date = ISO8601DateFormatter().date(from: text) else {
            throw Abort(.badRequest, reason: "'now' is an ISO 8601 instant such as 2027-03-15T00:00:00Z")
        }
        try Self.checkClock(date)
        double.clock.set(date)
        return try await clock(request)
    }

    /// `{"seconds": N}` or `{"days": N}` (either may be negative).
    func advanceClock(_ request: Request) async throws -> Response {
        let body = try ManagementBody(request)
        let seconds = (body.number("seconds") ?? 0) + (body.number("days") ?? 0) * 86_400
        guard seconds.isFinite, abs(seconds) <= 100 * 365 * 86_400 else {
            throw Abort(.badRequest, reason: "advance by 'seconds' or 'days', within a hundred years")
        }
        try Self.checkClock(double.clock.now().addingTimeInterval(seconds))
        double.clock.advance(by: seconds)
        return try await clock(request)
    }

    /// The double's clock stays between 2000 and 2200: certificates, CRLs and OCSP answers carry
    /// four-digit years, and no suite rehearses beyond.
    static func checkClock(_ date: Date) throws {
        guard (946_684_800...7_258_118_400).contains(date.timeIntervalSince1970) else {
            throw Abort(.badRequest, reason: "the clock stays between 2000-01-01 and 2200-01-01")
        }
    }

    func reset(_ request: Request) async throws -> Response {
        try await double.reset(rateLimiter: request.signet.rateLimiter)
        return Response(status: .noContent)
    }

    func listSnapshots(_ request: Request) async throws -> Response {
        try Self.json(["snapshots": double.snapshots.names])
    }

    func saveSnapshot(_ request: Request) async throws -> Response {
        let name = try Self.snapshotName(request)
        double.snapshots.put(name, try await double.store.snapshot())
        return Response(status: .created)
    }

    func restoreSnapshot(_ request: Request) async throws -> Response {
        let name = try Self.snapshotName(request)
        guard let snapshot = double.snapshots.get(name) else { throw Abort(.notFound, reason: "no snapshot '\(name)'") }
        try await double.restore(snapshot)
        return Response(status: .noContent)
    }

    static func snapshotName(_ request: Request) throws -> String {
        guard let name = request.parameters.get("name"), (1...64).contains(name.count),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw Abort(.badRequest, reason: "a snapshot name is 1 to 64 letters, digits, '-' or '_'") }
        return name
    }

    static func json(_ object: [String: Any]) throws -> Response {
        let response = Response(status: .ok, body: .init(data: try JSONSerialization.data(withJSONObject: object)))
        response.headers.contentType = .json
        return response
    }
}

/// A management request's JSON object; an empty body is an empty object.
struct ManagementBody {
    let fields: [String: JSONValue]

    init(_ request: Request) throws {
        guard let buffer = request.body.data, buffer.readableBytes > 0 else {
            fields = [:]
            return
        }
        guard case .object(let fields)? = JSONValue.parse(Array(buffer.readableBytesView)) else {
            throw Abort(.badRequest, reason: "the body is a JSON object")
        }
        self.fields = fields
    }

    func string(_ key: String) -> String? {
        if case .string(let value)? = fields[key] { return value }
        return nil
    }

    func number(_ key: String) -> Double? {
        if case .number(let value)? = fields[key] { return Double(value) }
        return nil
    }

    func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = fields[key] else { return nil }
        let strings = items.compactMap { item -> String? in
            if case .string(let value) = item { return value }
            return nil
        }
        return strings.count == items.count ? strings : nil
    }

    func flag(_ key: String) -> Bool {
        if case .bool(true)? = fields[key] { return true }
        return false
    }
}

/// Lets through only the administrator's API key, and keeps who it is for the handlers.
struct AdministratorOnly: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let key = request.headers.first(name: "X-DC-DEVKEY"),
            let principal = try await request.signet.credentials.apiKey(key), principal.user.role == .administrator
        else { throw Abort(.unauthorized, reason: "the test double's management API takes the administrator's API key") }
        request.storage[AdministratorKey.self] = principal
        return try await next.respond(to: request)
    }
}

private struct AdministratorKey: StorageKey {
    typealias Value = Principal
}

extension Request {
    /// The administrator calling the management API (set by ``AdministratorOnly``).
    func administrator() throws -> Principal {
        guard let principal = storage[AdministratorKey.self] else { throw Abort(.unauthorized) }
        return principal
    }
}
