import Foundation
import SignetCore

/// What a list of orders is sorted by.
public enum OrderSortKey: String, Sendable, CaseIterable {
    case id
    case dateCreated = "date_created"
    case commonName = "common_name"
    case status
    case productNameID = "product_name_id"
    case validTill = "order_valid_till"
}

/// A page of orders: filters, order and window.
public struct OrderQuery: Sendable {
    /// `nil`: every container.
    public var containerIDs: Set<Int>?
    public var orderID: Int?
    /// `issued` also matches orders whose validity ran out; `expired` matches only those.
    public var status: OrderStatus?
    /// Exact match, or a SQL `LIKE` pattern when it contains `%`.
    public var commonName: String?
    public var serialNumber: String?
    public var productNameID: String?
    /// `filters[is_renewed]`: whether another order renewed it.
    public var isRenewed: Bool?
    /// Only the orders a reseller key placed.
    public var resellerAccessKeyID: String?
    /// Orders one of whose names contains this text (case-insensitive).
    public var nameContains: String?
    /// Orders in one of these statuses (the reseller's `issuing`: the ones still on their way).
    public var statusIn: [OrderStatus]?
    /// Orders whose current certificate ends in this window (`expiring`, `expired`).
    public var certificateEnds: Range<Date>?
    public var sort: [(key: OrderSortKey, descending: Bool)] = [(.id, false)]
    public var offset = 0
    public var limit = 1000
    /// The instant that decides expiry.
    public var now: Date

    public init(now: Date) { self.now = now }

    /// Whether the kept counts answer `total`: only containers and a stored status filter it
    /// (`expired` depends on the time, `revoked` also on the certificate, the other filters on
    /// columns the counts do not keep).
    var countsByStatus: Bool {
        orderID == nil && commonName == nil && serialNumber == nil && productNameID == nil && isRenewed == nil
            && resellerAccessKeyID == nil && nameContains == nil && statusIn == nil && certificateEnds == nil
            && status != .expired && status != .revoked
    }
}

/// A page of approval requests.
public struct RequestQuery: Sendable {
    public var containerIDs: Set<Int>?
    public var status: RequestStatus?
    public var type: RequestType?
    public var orderID: Int?
    public var descending = false
    public var offset = 0
    public var limit = 1000

    public init() {}
}

extension StoreSession {
    /// One page of orders, as a list shows them, and the number of orders that match in all.
    ///
    /// One statement reads the page: the orders' own columns that a list shows, with their
    /// certificate's serial and end, organization and container names and whether they have
    /// duplicates joined in, so that a page costs the same whatever else is stored.
    public func orderSummaries(_ query: OrderQuery) throws -> (orders: [OrderSummary], total: Int) {
        var orderIDs: [Int]?
        if let serial = query.serialNumber {
            orderIDs = try rows("SELECT order_id FROM certificates WHERE serial_number = ?", [serial.uppercased()])
                .map { try $0.int("order_id") }
            if orderIDs?.isEmpty == true { return ([], 0) }
        }
        var filters: [String] = []
        var values: [any SQLBindable] = []
        if let ids = query.containerIDs {
            filters.append("container_id IN \(Self.list(ids.count))")
            values = Self.binds(values, Array(ids))
        }
        if let id = query.orderID {
            filters.append("id = ?")
            values.append(id)
        }
        if let orderIDs {
            filters.append("id IN \(Self.list(orderIDs.count))")
            values = Self.binds(values, orderIDs)
        }
        if let product = query.productNameID {
            filters.append("product_name_id = ?")
            values.append(product)
        }
        if let isRenewed = query.isRenewed {
            filters.append(isRenewed ? "renewed_order_id IS NOT NULL" : "renewed_order_id IS NULL")
        }
        if let key = query.resellerAccessKeyID {
            filters.append("id IN (SELECT order_id FROM reseller_orders WHERE access_key_id = ?)")
            values.append(key)
        }
        if let text = query.nameContains {
            // The names as stored (JSON text); `!` escapes LIKE's wildcards in the client's text.
            let escaped = text.lowercased().replacingOccurrences(of: "!", with: "!!").replacingOccurrences(of: "%", with: "!%")
                .replacingOccurrences(of: "_", with: "!_")
            filters.append("LOWER(names_json) LIKE ? ESCAPE '!'")
            values.append("%" + escaped + "%")
        }
        if let statuses = query.statusIn, !statuses.isEmpty {
            filters.append("status IN \(Self.list(statuses.count))")
            values = Self.binds(values, statuses.map(\.rawValue))
        }
        if let window = query.certificateEnds {
            filters.append("certificate_id IN (SELECT id FROM certificates WHERE valid_till >= ? AND valid_till < ?)")
            values = Self.binds(values, [window.lowerBound, window.upperBound])
        }
        if let name = query.commonName {
            filters.append(name.contains("%") ? "common_name LIKE ?" : "common_name = ?")
            values.append(name.lowercased())
        }
        switch query.status {
        case .expired?:
            filters.append("status = ? AND order_valid_till < ?")
            values = Self.binds(values, [OrderStatus.issued.rawValue, query.now])
        case .revoked?:
            // A revoked order, or an active one whose current certificate was revoked on its own
            // (CertCentral keeps that order active for reissues; its list shows the certificate revoked).
            filters.append(
                "(status = ? OR (status = ? AND certificate_id IN (SELECT id FROM certificates WHERE status = ?)))")
            values = Self.binds(
                values, [OrderStatus.revoked.rawValue, OrderStatus.issued.rawValue, CertificateStatus.revoked.rawValue])
        case let status?:
            filters.append("status = ?")
            values.append(status.rawValue)
        case nil:
            break
        }
        let condition = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
        let total =
            query.countsByStatus
            ? try orderCount(containerIDs: query.containerIDs, status: query.status)
            : try count("SELECT COUNT(*) AS total FROM orders\(condition)", values)
        var sort = query.sort
        if !sort.contains(where: { $0.key == .id }) { sort.append((.id, false)) }
        let pageOrder = sort.map { "\($0.key.rawValue) \($0.descending ? "DESC" : "ASC")" }.joined(separator: ", ")
        let outerOrder = sort.map { "o.\($0.key.rawValue) \($0.descending ? "DESC" : "ASC")" }.joined(separator: ", ")
        // The page is chosen from `orders` alone (its indexes decide), then joined to what it shows.
        let sql = """
            SELECT \(OrderSummaryRow.orderColumns.map { "o.\($0)" }.joined(separator: ", ")),
            c.serial_number, c.valid_till AS certificate_valid_till, c.status AS certificate_status, g.name AS organization_name, k.name AS container_name,
            \(OrderSummaryRow.disablesRenewalNotifications(dialect)) AS disable_renewal_notifications,
            CASE WHEN EXISTS (SELECT 1 FROM certificates d WHERE d.order_id = o.id AND d.role = '\(CertificateRole.duplicate.rawValue)') THEN 1 ELSE 0 END AS has_duplicates
            FROM (SELECT \(OrderSummaryRow.orderColumns.joined(separator: ", ")) FROM orders\(condition) ORDER BY \(pageOrder) LIMIT ? OFFSET ?) o
            LEFT JOIN certificates c ON c.id = o.certificate_id
            LEFT JOIN organizations g ON g.id = o.organization_id
            LEFT JOIN containers k ON k.id = o.container_id
            ORDER BY \(outerOrder)
            """
        let page = try rows(sql, Self.binds(values, [query.limit, query.offset]))
        return (try page.map(OrderSummaryRow.summary), total)
    }

    /// One page of approval requests and the number that match in all.
    public func requests(_ query: RequestQuery) throws -> (requests: [ApprovalRequest], total: Int) {
        var filters: [String] = []
        var values: [any SQLBindable] = []
        if let ids = query.containerIDs {
            filters.append("container_id IN \(Self.list(ids.count))")
            values = Self.binds(values, Array(ids))
        }
        if let status = query.status {
            filters.append("status = ?")
            values.append(status.rawValue)
        }
        if let type = query.type {
            filters.append("type = ?")
            values.append(type.rawValue)
        }
        if let orderID = query.orderID {
            filters.append("order_id = ?")
            values.append(orderID)
        }
        let condition = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
        let total = try count("SELECT COUNT(*) AS total FROM requests\(condition)", values)
        let page = try all(
            RequestRow.self,
            "SELECT * FROM requests\(condition) ORDER BY id \(query.descending ? "DESC" : "ASC") LIMIT ? OFFSET ?",
            Self.binds(values, [query.limit, query.offset]))
        return (try page.map { try $0.record() }, total)
    }
}
