import Foundation
import SignetCore

/// One name of one order and where its validation stands (table `authorizations`).
struct AuthorizationRow: Codable, Sendable {
    var id: Int?
    var orderId: Int
    var containerId: Int
    var name: String
    var method: String
    var status: String
    var detail: String?
    var failure: String?
    var checkedAt: Date?

    var state: OrderDCV.NameState {
        OrderDCV.NameState(method: method, status: status, detail: detail, checkedAt: checkedAt, failure: failure)
    }

    /// Whether the row already says what `state` says.
    func matches(_ state: OrderDCV.NameState) -> Bool {
        method == state.method && status == state.status && detail == state.detail && failure == state.failure
            && checkedAt == state.checkedAt
    }
}

extension OrderRow {
    /// The order's validation state: its columns and its authorizations; nil for an order that
    /// never needed validation.
    func dcv(_ authorizations: [AuthorizationRow]) throws -> OrderDCV? {
        guard let randomValue = dcvRandomValue, let expires = dcvExpires else { return nil }
        var names: [String: OrderDCV.NameState] = [:]
        for row in authorizations { names[row.name] = row.state }
        return OrderDCV(
            randomValue: randomValue, expires: expires, attempts: dcvAttempts, names: names,
            caaMessages: try caaMessagesJson.map { try JSONColumn.decode([String: String].self, from: $0) } ?? [:])
    }
}

extension StoreSession {
    /// The authorizations of `orderIDs`, by order, in one statement.
    func authorizationRows(orderIDs: [Int]) throws -> [Int: [AuthorizationRow]] {
        let ids = Array(Set(orderIDs))
        guard !ids.isEmpty else { return [:] }
        let rows = try all(
            AuthorizationRow.self, "SELECT * FROM authorizations WHERE order_id IN \(Self.list(ids.count)) ORDER BY id", ids)
        return Dictionary(grouping: rows, by: \.orderId)
    }
}

extension StoreSession where Access == ReadWrite {
    /// Makes the order's authorizations say `names`: changed rows are updated in place (their ids
    /// stay, for front ends that address them), new names inserted, names no longer asked for deleted.
    /// `containerID` is the order's, when the caller knows it; otherwise it is read from the order.
    func saveAuthorizations(orderID: Int, containerID: Int?, _ names: [String: OrderDCV.NameState]) throws {
        let existing = try authorizationRows(orderIDs: [orderID])[orderID] ?? []
        var byName: [String: AuthorizationRow] = [:]
        for row in existing { byName[row.name] = row }
        for row in existing where names[row.name] == nil {
            try execute("DELETE FROM authorizations WHERE id = ?", [row.id ?? 0])
        }
        var container = containerID
        for (name, state) in names.sorted(by: { $0.key < $1.key }) {
            if let row = byName[name] {
                guard !row.matches(state) else { continue }
                try execute(
                    "UPDATE authorizations SET method = ?, status = ?, detail = ?, failure = ?, checked_at = ? WHERE id = ?",
                    [state.method, state.status, state.detail, state.failure, state.checkedAt, row.id ?? 0])
            } else {
                if container == nil {
                    container = try rows("SELECT container_id FROM orders WHERE id = ?", [orderID]).first?.int("container_id")
                }
                guard let container else { throw StoreError.inconsistent("authorizations of a missing order \(orderID)") }
                _ = try insert(
                    into: "authorizations",
                    AuthorizationRow(
                        id: nil, orderId: orderID, containerId: container, name: name, method: state.method, status: state.status,
                        detail: state.detail, failure: state.failure, checkedAt: state.checkedAt))
            }
        }
    }
}
