import Foundation
import SQLKit
import SignetCore

/// Reads an ``OrderSummary`` from a row of the order list's query, column by column: a list
/// decodes a hundred rows per page, and `SQLRowDecoder`'s keyed containers cost more than the
/// query itself.
enum OrderSummaryRow {
    /// The columns of `orders` that a summary needs, and every column a list can be sorted by
    /// (the page is sorted again after the join, by the subquery's columns).
    static let orderColumns: [String] = {
        let shown = [
            "id", "container_id", "product_name_id", "status", "organization_id", "names_json", "signature_hash",
            "billed_years", "price_cents", "options_json", "certificate_id", "date_created", "order_valid_till",
            "renewed_order_id",
        ]
        return shown + OrderSortKey.allCases.map(\.rawValue).filter { !shown.contains($0) }
    }()

    /// The one option a list shows, read by the database from the order's options (1 or 0), so
    /// that a page does not decode a hundred option documents for one flag.
    static func disablesRenewalNotifications(dialect: String) -> String {
        let option = dialect == "postgresql"
            ? "(o.options_json::jsonb ->> 'disableRenewalNotifications') = 'true'"
            : "json_extract(o.options_json, '$.disableRenewalNotifications') = 1"
        return "CASE WHEN \(option) THEN 1 ELSE 0 END"
    }

    static func summary(_ row: any SQLRow) throws -> OrderSummary {
        let id = try row.decode(column: "id", as: Int.self)
        guard let status = OrderStatus(rawValue: try row.decode(column: "status", as: String.self)),
            let hash = SignatureHash(rawValue: try row.decode(column: "signature_hash", as: String.self))
        else { throw StoreError.inconsistent("order \(id) has an unknown status or hash") }
        return OrderSummary(
            id: id, containerID: try row.decode(column: "container_id", as: Int.self),
            containerName: try row.decode(column: "container_name", as: String?.self),
            productNameID: try row.decode(column: "product_name_id", as: String.self), status: status,
            organizationID: try row.decode(column: "organization_id", as: Int?.self),
            organizationName: try row.decode(column: "organization_name", as: String?.self),
            names: try JSONColumn.decode(CertificateNames.self, from: try row.decode(column: "names_json", as: String.self)),
            signatureHash: hash, billedYears: try row.decode(column: "billed_years", as: Int.self),
            price: Money(cents: try row.decode(column: "price_cents", as: Int64.self)),
            disableRenewalNotifications: try row.decode(column: "disable_renewal_notifications", as: Int.self) != 0,
            certificateID: try row.decode(column: "certificate_id", as: Int?.self) ?? 0,
            serialNumber: try row.decode(column: "serial_number", as: String?.self),
            certificateValidTill: try row.decode(column: "certificate_valid_till", as: Date?.self),
            dateCreated: try row.decode(column: "date_created", as: Date.self),
            orderValidTill: try row.decode(column: "order_valid_till", as: Date.self),
            isRenewed: try row.decode(column: "renewed_order_id", as: Int?.self) != nil,
            hasDuplicates: try row.decode(column: "has_duplicates", as: Int.self) != 0)
    }
}
