import Foundation
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

extension StoreSession {
    // MARK: domains

    /// The domain `name` of a container: each container validates its own domains.
    public func domain(name: String, containerID: Int) throws -> DomainValidation? {
        try first(DomainRow.self, "SELECT * FROM domains WHERE name = ? AND container_id = ?", [name, containerID])?.record
    }

    /// The container's domains of these exact names, valid or not.
    public func domains(named names: [String], containerID: Int) throws -> [DomainValidation] {
        let names = Array(Set(names))
        guard !names.isEmpty else { return [] }
        return try all(
            DomainRow.self, "SELECT * FROM domains WHERE name IN \(Self.list(names.count)) AND container_id = ?",
            Self.binds(names, [containerID])
        ).map(\.record)
    }

    public func domain(id: Int) throws -> DomainValidation? {
        try first(DomainRow.self, "SELECT * FROM domains WHERE id = ?", [id])?.record
    }

    /// Domains in the given containers (`nil`: all), by id.
    public func domains(containerIDs: Set<Int>?) throws -> [DomainValidation] {
        guard let containerIDs else { return try all(DomainRow.self, "SELECT * FROM domains ORDER BY id").map(\.record) }
        return try all(
            DomainRow.self, "SELECT * FROM domains WHERE container_id IN \(Self.list(containerIDs.count)) ORDER BY id",
            Array(containerIDs)
        ).map(\.record)
    }

    /// The container's active domains, among `names` and their parents down to each one's registrable
    /// domain (never a public suffix), whose validation is current at `date`.
    public func validDomains(covering names: [String], containerID: Int, at date: Date) throws -> [DomainValidation] {
        let candidates = Array(Set(names.flatMap { PublicSuffixList.shared.authorizationDomains(of: $0) }))
        guard !candidates.isEmpty else { return [] }
        return try all(
            DomainRow.self,
            "SELECT * FROM domains WHERE name IN \(Self.list(candidates.count)) AND container_id = ? AND validated_until > ? AND is_active = ?",
            Self.binds(candidates, [containerID, date, true])
        ).map(\.record)
    }

    // MARK: DCV e-mails

    public func email(code: String) throws -> DCVEmail? {
        try first(EmailRow.self, "SELECT * FROM dcv_emails WHERE code = ?", [code])?.record
    }

    /// The newest messages first, of `containerIDs` (all when `nil`).
    public func emails(limit: Int, orderID: Int? = nil, containerIDs: Set<Int>? = nil) throws -> [DCVEmail] {
        var filters: [String] = []
        var values: [any SQLBindable] = []
        if let orderID {
            filters.append("order_id = ?")
            values.append(orderID)
        }
        if let containerIDs {
            filters.append("container_id IN \(Self.list(containerIDs.count))")
            values = Self.binds(values, Array(containerIDs))
        }
        let condition = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
        return try all(EmailRow.self, "SELECT * FROM dcv_emails\(condition) ORDER BY id DESC LIMIT ?", values + [limit])
            .map(\.record)
    }
}

extension StoreSession where Access == ReadWrite {
    /// Ends every container's current validation of `name` at `date`, so that the next order for
    /// it validates again; the number of validations ended.
    public func expireDomainValidations(name: String, at date: Date) throws -> Int {
        try execute("UPDATE domains SET validated_until = ? WHERE name = ? AND validated_until > ?", [date, name, date])
    }

    /// Adds a domain that is not validated yet, or returns the container's existing row of that name.
    public func addDomain(
        name: String, containerID: Int, method: String, token: String, tokenExpires: Date, organizationID: Int?, at date: Date
    ) throws -> DomainValidation {
        if let existing = try domain(name: name, containerID: containerID) { return existing }
        var row = DomainRow(
            containerId: containerID, name: name, dateCreated: date, coversSubdomains: true, method: method, token: token,
            tokenExpires: tokenExpires, isActive: true, organizationId: organizationID)
        row.id = try insert(into: "domains", row)
        return row.record
    }

    /// Records that the container showed control of `name` at `date`, valid until `until`; creates the domain when new.
    @discardableResult
    public func recordDomainValidation(
        name: String, containerID: Int, at date: Date, until: Date, coversSubdomains: Bool = true, method: String? = nil
    ) throws -> DomainValidation {
        if var existing = try domain(name: name, containerID: containerID) {
            // A narrower (exact-name) validation never shrinks a current wider one.
            let covers = coversSubdomains || (existing.coversSubdomains && existing.isValid(at: date))
            try execute(
                "UPDATE domains SET validated_at = ?, validated_until = ?, covers_subdomains = ?, is_active = ?, last_error = NULL, method = COALESCE(?, method) WHERE id = ?",
                [date, until, covers, true, method, existing.id])
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
        row.id = try insert(into: "domains", row)
        return row.record
    }

    /// Changes a domain's method and random value.
    public func setDomainMethod(id: Int, method: String, token: String?, tokenExpires: Date?) throws {
        try execute(
            "UPDATE domains SET method = ?, token = ?, token_expires = ? WHERE id = ?", [method, token, tokenExpires, id])
    }

    public func setDomainError(id: Int, _ error: String?) throws {
        try execute("UPDATE domains SET last_error = ? WHERE id = ?", [error, id])
    }

    public func setDomainActive(id: Int, _ active: Bool) throws {
        try execute("UPDATE domains SET is_active = ? WHERE id = ?", [active, id])
    }

    public func deleteDomain(id: Int) throws {
        try execute("DELETE FROM domains WHERE id = ?", [id])
    }

    public func insertEmail(_ email: DCVEmail) throws -> Int {
        try insert(into: "dcv_emails", EmailRow(email))
    }

    /// Leases unsent messages to the caller until `leaseUntil`, oldest first, so that no other
    /// delivery pass (of this or another instance) sends them meanwhile.
    public func leaseUnsentEmails(at date: Date, leaseUntil: Date, limit: Int) throws -> [DCVEmail] {
        let due = try all(
            EmailRow.self,
            "SELECT * FROM dcv_emails WHERE sent_at IS NULL AND expires > ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?\(forUpdateSkipLocked)",
            [date, date, limit])
        let ids = due.compactMap(\.id)
        if !ids.isEmpty {
            try execute(
                "UPDATE dcv_emails SET lease_until = ? WHERE id IN \(Self.list(ids.count))", Self.binds([leaseUntil], ids))
        }
        return due.map(\.record)
    }

    public func markEmailSent(id: Int, at date: Date?, error: String?) throws {
        try execute("UPDATE dcv_emails SET sent_at = ?, send_error = ? WHERE id = ?", [date, error, id])
    }

    /// Marks a message's link used; `false` when it was used before (a link validates once).
    public func markEmailFollowed(id: Int, at date: Date) throws -> Bool {
        try execute("UPDATE dcv_emails SET followed_at = ? WHERE id = ? AND followed_at IS NULL", [date, id]) > 0
    }
}
