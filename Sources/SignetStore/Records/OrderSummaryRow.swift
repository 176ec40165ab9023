import Foundation
import SignetCore

/// Reads an ``OrderSummary`` from a row of the order list's query, column by column: a list
/// decodes a hundred rows per page, and keyed decoding would cost more than the query itself.
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
    static func disablesRenewalNotifications(_ dialect: SQLDialect) -> String {
        let option =
            dialect == .postgresql
            ? "(o.options_json::jsonb ->> 'disableRenewalNotifications') = 'true'"
            : "json_extract(o.options_json, '$.disableRenewalNotifications') = 1"
        return "CASE WHEN \(option) THEN 1 ELSE 0 END"
    }

    static func summary(_ row: SQLRow) throws -> OrderSummary {
        let id = try row.int("id")
        guard let status = OrderStatus(rawValue: try row.string("status")),
            let hash = SignatureHash(rawValue: try row.string("signature_hash"))
        else { throw StoreError.inconsistent("order \(id) has an unknown status or hash") }
        return OrderSummary(
            id: id, containerID: try row.int("container_id"),
            containerName: try row.optionalString("container_name"),
            productNameID: try row.string("product_name_id"), status: status,
            organizationID: try row.optionalInt("organization_id"),
            organizationName: try row.optionalString("organization_name"),
            names: try JSONColumn.decode(CertificateNames.self, from: try row.string("names_json")),
            signatureHash: hash, billedYears: try row.int("billed_years"),
            price: Money(cents: try row.int64("price_cents")),
            disableRenewalNotifications: try row.int("disable_renewal_notifications") != 0,
            certificateID: try row.optionalInt("certificate_id"),
            serialNumber: try row.optionalString("serial_number"),
            certificateValidTill: try row.optionalDate("certificate_valid_till"),
            certificateStatus: try row.optionalString("certificate_status").flatMap(CertificateStatus.init(rawValue:)),
            dateCreated: try row.date("date_created"),
            orderValidTill: try row.date("order_valid_till"),
            isRenewed: try row.optionalInt("renewed_order_id") != nil,
            hasDuplicates: try row.int("has_duplicates") != 0)
    }
}
