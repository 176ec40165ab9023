import Foundation
import SQLKit
import SignetCore

struct DomainRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var name: String
    var validatedAt: Date?
    var validatedUntil: Date?
    var dateCreated: Date
    var coversSubdomains: Bool
    var method: String
    var token: String?
    var tokenExpires: Date?
    var isActive: Bool
    var organizationId: Int?
    var lastError: String?

    var record: DomainValidation {
        DomainValidation(
            id: id ?? 0, name: name, containerID: containerId, validatedAt: validatedAt, validatedUntil: validatedUntil,
            dateCreated: dateCreated, coversSubdomains: coversSubdomains, method: method, token: token,
            tokenExpires: tokenExpires, isActive: isActive, organizationID: organizationId, lastError: lastError)
    }
}

/// An e-mail sent (or to be sent) for domain control validation; the outbox row is also its record.
public struct DCVEmail: Sendable, Equatable {
    public var id: Int
    public var containerID: Int
    public var orderID: Int?
    public var domainID: Int?
    /// The DNS name the message asks about.
    public var name: String
    public var recipient: String
    public var subject: String
    public var body: String
    /// The secret in the link; following it validates the recipient's domain.
    public var code: String
    public var dateCreated: Date
    public var expires: Date
    public var sentAt: Date?
    public var sendError: String?
    public var followedAt: Date?

    public init(
        id: Int = 0, containerID: Int, orderID: Int?, domainID: Int?, name: String, recipient: String, subject: String,
        body: String, code: String, dateCreated: Date, expires: Date, sentAt: Date? = nil, sendError: String? = nil,
        followedAt: Date? = nil
    ) {
        self.id = id
        self.containerID = containerID
        self.orderID = orderID
        self.domainID = domainID
        self.name = name
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.code = code
        self.dateCreated = dateCreated
        self.expires = expires
        self.sentAt = sentAt
        self.sendError = sendError
        self.followedAt = followedAt
    }
}

private struct EmailRow: Codable, Sendable {
    var id: Int?
    var containerId: Int
    var orderId: Int?
    var domainId: Int?
    var name: String
    var recipient: String
    var subject: String
    var body: String
    var code: String
    var dateCreated: Date
    var expires: Date
    var sentAt: Date?
    var sendError: String?
    var followedAt: Date?

    init(_ email: DCVEmail) {
        containerId = email.containerID
        orderId = email.orderID
        domainId = email.domainID
        name = email.name
        recipient = email.recipient
        subject = email.subject
        body = email.body
        code = email.code
        dateCreated = email.dateCreated
        expires = email.expires
        sentAt = email.sentAt
        sendError = email.sendError
        followedAt = email.followedAt
    }

    var record: DCVEmail {
        DCVEmail(
            id: id ?? 0, containerID: containerId, orderID: orderId, domainID: domainId, name: name, recipient: recipient,
            subject: subject, body: body, code: code, dateCreated: dateCreated, expires: expires, sentAt: sentAt,
            sendError: sendError, followedAt: followedAt)
    }
}

extension StoreConnection {
    // MARK: domains

    /// The domain `name` of a container: each container validates its own domains.
    public func domain(name: String, containerID: Int) async throws -> DomainValidation? {
        try await sql.select().column("*").from("domains").where("name", .equal, name)
            .where("container_id", .equal, containerID)
            .first(decoding: DomainRow.self, with: Self.decoder)?.record
    }

    public func domain(id: Int) async throws -> DomainValidation? {
        try await sql.select().column("*").from("domains").where("id", .equal, id)
            .first(decoding: DomainRow.self, with: Self.decoder)?.record
    }

    /// Domains in the given containers (`nil`: all), by id.
    public func domains(containerIDs: Set<Int>?) async throws -> [DomainValidation] {
        var query = sql.select().column("*").from("domains").orderBy("id")
        if let containerIDs { query = query.where("container_id", .in, Array(containerIDs)) }
        return try await query.all(decoding: DomainRow.self, with: Self.decoder).map(\.record)
    }

    /// Adds a domain that is not validated yet, or returns the container's existing row of that name.
    public func addDomain(
        name: String, containerID: Int, method: String, token: String, tokenExpires: Date, organizationID: Int?, at date: Date
    ) async throws -> DomainValidation {
        if let existing = try await domain(name: name, containerID: containerID) { return existing }
        var row = DomainRow(
            containerId: containerID, name: name, dateCreated: date, coversSubdomains: true, method: method, token: token,
            tokenExpires: tokenExpires, isActive: true, organizationId: organizationID)
        row.id = try await insert(into: "domains", row)
        return row.record
    }

    /// Records that the container showed control of `name` at `date`, valid until `until`; creates the domain when new.
    @discardableResult
    public func recordDomainValidation(
        name: String, containerID: Int, at date: Date, until: Date, coversSubdomains: Bool = true, method: String? = nil
    ) async throws -> DomainValidation {
        if var existing = try await domain(name: name, containerID: containerID) {
            // A narrower (exact-name) validation never shrinks a current wider one.
            let covers = coversSubdomains || (existing.coversSubdomains && existing.isValid(at: date))
            var update = sql.update("domains").set("validated_at", to: date).set("validated_until", to: until)
                .set("covers_subdomains", to: covers).set("is_active", to: true).set(SQLColumn("last_error"), to: SQLLiteral.null)
            if let method { update = update.set("method", to: method) }
            try await update.where("id", .equal, existing.id).run()
            existing.validatedAt = date
            existing.validatedUntil = until
            existing.coversSubdomains = covers
            existing.isActive = true
            existing.lastError = nil
            if let method { existing.method = method }
            return existing
        }
        var row = DomainRow(
            containerId: containerID, name: name, validatedAt: date, validatedUntil: until, dateCreated: date,
            coversSubdomains: coversSubdomains, method: method ?? "email", isActive: true)
        row.id = try await insert(into: "domains", row)
        return row.record
    }

    /// Changes a domain's method and random value.
    public func setDomainMethod(id: Int, method: String, token: String?, tokenExpires: Date?) async throws {
        try await sql.update("domains").set("method", to: method).set("token", to: token).set("token_expires", to: tokenExpires)
            .where("id", .equal, id).run()
    }

    public func setDomainError(id: Int, _ error: String?) async throws {
        try await sql.update("domains").set("last_error", to: error).where("id", .equal, id).run()
    }

    public func setDomainActive(id: Int, _ active: Bool) async throws {
        try await sql.update("domains").set("is_active", to: active).where("id", .equal, id).run()
    }

    public func deleteDomain(id: Int) async throws {
        try await sql.delete(from: "domains").where("id", .equal, id).run()
    }

    /// The container's active domains, among `names` and their parents down to each one's registrable
    /// domain (never a public suffix), whose validation is current at `date`.
    public func validDomains(covering names: [String], containerID: Int, at date: Date) async throws -> [DomainValidation] {
        let candidates = Set(names.flatMap { PublicSuffixList.shared.authorizationDomains(of: $0) })
        guard !candidates.isEmpty else { return [] }
        return try await sql.select().column("*").from("domains").where("name", .in, Array(candidates))
            .where("container_id", .equal, containerID)
            .where("validated_until", .greaterThan, date).where("is_active", .equal, true)
            .all(decoding: DomainRow.self, with: Self.decoder).map(\.record)
    }

    // MARK: DCV e-mails

    public func insertEmail(_ email: DCVEmail) async throws -> Int {
        try await insert(into: "dcv_emails", EmailRow(email))
    }

    public func email(code: String) async throws -> DCVEmail? {
        try await sql.select().column("*").from("dcv_emails").where("code", .equal, code)
            .first(decoding: EmailRow.self, with: Self.decoder)?.record
    }

    /// The newest messages first, of `containerIDs` (all when `nil`).
    public func emails(limit: Int, orderID: Int? = nil, containerIDs: Set<Int>? = nil) async throws -> [DCVEmail] {
        var query = sql.select().column("*").from("dcv_emails")
        if let orderID { query = query.where("order_id", .equal, orderID) }
        if let containerIDs { query = query.where("container_id", .in, Array(containerIDs)) }
        return try await query.orderBy("id", .descending).limit(limit).all(decoding: EmailRow.self, with: Self.decoder).map(\.record)
    }

    /// Leases unsent messages to the caller until `leaseUntil`, oldest first, so that no other
    /// delivery pass (of this or another instance) sends them meanwhile.
    public func leaseUnsentEmails(at date: Date, leaseUntil: Date, limit: Int) async throws -> [DCVEmail] {
        let due = try await sql.select().column("*").from("dcv_emails").where("sent_at", .is, SQLLiteral.null)
            .where("expires", .greaterThan, date)
            .where { $0.where("lease_until", .is, SQLLiteral.null).orWhere("lease_until", .lessThan, date) }
            .orderBy("id").limit(limit).lockingRows(skipLocked: true).all(decoding: EmailRow.self, with: Self.decoder)
        if !due.isEmpty {
            try await sql.update("dcv_emails").set("lease_until", to: leaseUntil).where("id", .in, due.compactMap(\.id)).run()
        }
        return due.map(\.record)
    }

    public func markEmailSent(id: Int, at date: Date?, error: String?) async throws {
        try await sql.update("dcv_emails").set("sent_at", to: date).set("send_error", to: error).where("id", .equal, id).run()
    }

    /// Marks a message's link used; `false` when it was used before (a link validates once).
    public func markEmailFollowed(id: Int, at date: Date) async throws -> Bool {
        let marked = try await sql.update("dcv_emails").set("followed_at", to: date).where("id", .equal, id)
            .where("followed_at", .is, SQLLiteral.null).returning("id").all()
        return !marked.isEmpty
    }
}
