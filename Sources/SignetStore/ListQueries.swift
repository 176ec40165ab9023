import Foundation
import SQLKit
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
    public var sort: [(key: OrderSortKey, descending: Bool)] = [(.id, false)]
    public var offset = 0
    public var limit = 1000
    /// The instant that decides expiry.
    public var now: Date

    public init(now: Date) { self.now = now }

    /// Whether the kept counts answer `total`: only containers and a stored status filter it
    /// (`expired` depends on the time, the other filters on columns the counts do not keep).
    var countsByStatus: Bool {
        orderID == nil && commonName == nil && serialNumber == nil && productNameID == nil && isRenewed == nil
            && status != .expired
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

extension StoreConnection {
    /// One page of orders, as a list shows them, and the number of orders that match in all.
    ///
    /// One statement reads the page: the orders' own columns that a list shows, with their
    /// certificate's serial and end, organization and container names and whether they have
    /// duplicates joined in, so that a page costs the same whatever else is stored.
    public func orderSummaries(_ query: OrderQuery) async throws -> (orders: [OrderSummary], total: Int) {
        var orderIDs: [Int]?
        if let serial = query.serialNumber {
            orderIDs = try await sql.select().column("order_id").from("certificates")
                .where("serial_number", .equal, serial.uppercased()).all(decodingColumn: "order_id", as: Int.self)
            if orderIDs?.isEmpty == true { return ([], 0) }
        }
        func filtered<Builder: SQLPredicateBuilder>(_ builder: Builder) -> Builder {
            var builder = builder
            if let ids = query.containerIDs { builder = builder.where("container_id", .in, Array(ids)) }
            if let id = query.orderID { builder = builder.where("id", .equal, id) }
            if let orderIDs { builder = builder.where("id", .in, orderIDs) }
            if let product = query.productNameID { builder = builder.where("product_name_id", .equal, product) }
            if let isRenewed = query.isRenewed {
                builder = builder.where("renewed_order_id", isRenewed ? .isNot : .is, SQLLiteral.null)
            }
            if let name = query.commonName {
                builder = builder.where("common_name", name.contains("%") ? .like : .equal, name.lowercased())
            }
            switch query.status {
            case .expired?:
                builder = builder.where("status", .equal, OrderStatus.issued.rawValue)
                    .where("order_valid_till", .lessThan, query.now)
            case let status?:
                builder = builder.where("status", .equal, status.rawValue)
            case nil:
                break
            }
            return builder
        }
        let total: Int
        if query.countsByStatus {
            total = try await orderCount(containerIDs: query.containerIDs, status: query.status)
        } else {
            total = try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("orders"))
                .first(decodingColumn: "total", as: Int.self) ?? 0
        }
        var sort = query.sort
        if !sort.contains(where: { $0.key == .id }) { sort.append((.id, false)) }
        // The page is chosen from `orders` alone (its indexes decide), then joined to what it shows.
        var page = filtered(sql.select().columns(OrderSummaryRow.orderColumns.map { SQLColumn($0) }).from("orders"))
        for (key, descending) in sort { page = page.orderBy(key.rawValue, descending ? .descending : .ascending) }
        page = page.offset(query.offset).limit(query.limit)
        var select = sql.select().columns(OrderSummaryRow.orderColumns.map { SQLColumn($0, table: "o") })
            .column(SQLColumn("serial_number", table: "c"))
            .column(SQLColumn("valid_till", table: "c"), as: "certificate_valid_till")
            .column(SQLColumn("name", table: "g"), as: "organization_name")
            .column(SQLColumn("name", table: "k"), as: "container_name")
            .column(SQLRaw(OrderSummaryRow.disablesRenewalNotifications(dialect: sql.dialect.name)), as: "disable_renewal_notifications")
            .column(
                SQLRaw(
                    "CASE WHEN EXISTS (SELECT 1 FROM certificates d WHERE d.order_id = o.id AND d.role = '\(CertificateRole.duplicate.rawValue)') THEN 1 ELSE 0 END"
                ), as: "has_duplicates")
            .from(SQLAlias(SQLGroupExpression(page.select), as: SQLIdentifier("o")))
            .join(SQLAlias(SQLIdentifier("certificates"), as: SQLIdentifier("c")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "c"), .equal, SQLColumn("certificate_id", table: "o"))
            .join(SQLAlias(SQLIdentifier("organizations"), as: SQLIdentifier("g")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "g"), .equal, SQLColumn("organization_id", table: "o"))
            .join(SQLAlias(SQLIdentifier("containers"), as: SQLIdentifier("k")), method: SQLJoinMethod.left,
                  on: SQLColumn("id", table: "k"), .equal, SQLColumn("container_id", table: "o"))
        for (key, descending) in sort {
            select = select.orderBy(SQLOrderBy(expression: SQLColumn(key.rawValue, table: "o"), direction: descending ? SQLDirection.descending : SQLDirection.ascending))
        }
        let rows = try await select.all()
        return (try rows.map(OrderSummaryRow.summary), total)
    }

    /// One page of approval requests and the number that match in all.
    public func requests(_ query: RequestQuery) async throws -> (requests: [ApprovalRequest], total: Int) {
        func filtered<Builder: SQLPredicateBuilder>(_ builder: Builder) -> Builder {
            var builder = builder
            if let ids = query.containerIDs { builder = builder.where("container_id", .in, Array(ids)) }
            if let status = query.status { builder = builder.where("status", .equal, status.rawValue) }
            if let type = query.type { builder = builder.where("type", .equal, type.rawValue) }
            if let orderID = query.orderID { builder = builder.where("order_id", .equal, orderID) }
            return builder
        }
        let total = try await filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "total").from("requests"))
            .first(decodingColumn: "total", as: Int.self) ?? 0
        let rows = try await filtered(sql.select().column("*").from("requests"))
            .orderBy("id", query.descending ? .descending : .ascending).offset(query.offset).limit(query.limit)
            .all(decoding: RequestRow.self, with: Self.decoder)
        return (try rows.map { try $0.record() }, total)
    }
}
