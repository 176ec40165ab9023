import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import SignetValidation

/// What the reseller dialect keeps with an order (as JSON in `reseller_orders`).
struct ResellerDetails: Codable, Sendable, Equatable {
    var period: String
    var contactEmail: String?
    var notifyURL: String?
    /// The customer's choice per domain: `dns`, `http`, `https` or an approver address.
    var domainDCV: [String: String]
    /// The OV/EV fields as sent (organization, serial_no, …).
    var organization: [String: String]
    var renew: Int?
    /// How many names the order has paid for (the first plus SAN slots bought since).
    var purchasedNames: Int
    var refunded: Bool

    /// The details as stored in `reseller_orders`; an encoding failure is an error, never an empty object.
    func json() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }

    /// The method a domain's choice stands for, and its approver address for e-mail.
    static func method(of choice: String) -> (method: String, email: String?) {
        let lowered = choice.lowercased()
        if ["dns", "http", "https"].contains(lowered) { return (lowered, nil) }
        return ("email", lowered)
    }
}

/// Renders orders in the reseller dialect's shapes (reseller.md 5.2, seed 004).
struct ResellerRenderer: Sendable {
    let brand: String
    let authority: CertificateAuthority

    /// The order's status in reseller terms: `pending` while names wait, `valid` once every name
    /// is validated and issuance is due, `issued`, `cancelled`, `refunded` (and `revoked`).
    static func status(_ status: OrderStatus, details: ResellerDetails, allValidated: Bool) -> String {
        if details.refunded { return "refunded" }
        switch status {
        case .issued, .expired: return "issued"
        case .revoked: return "revoked"
        case .canceled, .rejected: return "cancelled"
        case .needsApproval, .pending, .reissuePending: return allValidated ? "valid" : "pending"
        }
    }

    /// The detail object of `order` (the `data` of create, detail, reissue and validate-dcv).
    func detail(orderID: Int, connection: StoreSession<some SessionAccess>, now: Date, cost: Money? = nil) throws -> JSONValue {
        guard let order = try connection.order(id: orderID),
            let reseller = try connection.resellerOrder(orderID: orderID),
            let details = try? JSONDecoder().decode(ResellerDetails.self, from: Data(reseller.detailsJSON.utf8)),
            let current = try connection.currentCertificate(of: order)
        else { throw WorkflowError.orderNotFound(String(orderID)) }
        let certificates = try connection.certificates(orderID: orderID)
        let waiting = certificates.last { $0.status == .pending || $0.status == .approved }
        let names = (waiting ?? current).names
        let dnsNames = names.subjectAlternativeNames(isTLS: order.product?.isTLS ?? true)
        let valid = try connection.validDomains(covering: dnsNames, containerID: order.containerID, at: now)
        var dcv: [String: JSONValue] = [:]
        var allValidated = true
        let csr = (waiting ?? current).csr
        let values = (try? PEM.derBytes(of: csr)).map {
            SectigoDCVValues(csrDER: $0, uniqueValue: order.dcv.map { String($0.randomValue.prefix(12)) }, brand: brand)
        }
        // The names of an issued certificate with nothing newer waiting were validated when it was
        // issued, whatever became of the domain records since (and with --dcv always-valid there are none).
        let issuedNames = waiting == nil && (current.status == .issued || current.status == .revoked)
        for name in dnsNames {
            let covered =
                issuedNames
                || (order.dcvScope == .order
                    ? order.dcv?.validates(name) == true
                    : valid.contains { $0.covers(DNSName(checked: name), at: now) })
            allValidated = allValidated && covered
            dcv[name] = entry(name: name, choice: details.domainDCV[name] ?? "dns", covered: covered, values: values)
        }
        let callbacks = try connection.callbacks(orderID: orderID).map { callback -> JSONValue in
            .object([
                "event": .string(callback.event), "url": .string(callback.url), "attempts": .number(Double(callback.attempts)),
                "delivered_at": callback.deliveredAt.map { .string(APITime.timestamp($0)) } ?? .null,
                "next_attempt_at": callback.nextAttemptAt.map { .string(APITime.timestamp($0)) } ?? .null,
                "last_status": callback.lastStatus.map { .number(Double($0)) } ?? .null,
                "last_error": callback.lastError.map(JSONValue.string) ?? .null,
            ])
        }
        let issuance = current.status == .issued || current.status == .revoked ? current.issuance : nil
        let chain = authority.chain(of: current, family: .tls).map(\.pem).joined()
        var data: [String: JSONValue] = [
            "service_id": .string(reseller.serviceID),
            "caid": .string(String(order.id)),
            "status": .string(Self.status(order.status, details: details, allValidated: allValidated)),
            "has_dcv": .bool(!dcv.isEmpty),
            "product_id": .string(order.productNameID),
            "period": .string(details.period),
            "cert_pem": issuance.map { .string($0.pem) } ?? .null,
            "ca_pem": issuance.map { _ in .string(chain) } ?? .null,
            "issued_cert": issuance.map { .string($0.pem) } ?? .null,
            "issuer_cert": issuance.map { _ in .string(chain) } ?? .null,
            "not_before": issuance.map { .string(APITime.timestamp($0.validFrom)) } ?? .null,
            "not_after": issuance.map { .string(APITime.timestamp($0.validTill)) } ?? .null,
            "dcv": .object(dcv),
            "notify_url": details.notifyURL.map(JSONValue.string) ?? .null,
            "callbacks": .array(callbacks),
        ]
        if let cost { data["cost"] = .number(cost.asDouble) }
        return .object(data)
    }

    /// One domain's DCV entry (seed 004): type, subdomain, topleveldomain, status and the chosen method's block.
    func entry(name: String, choice: String, covered: Bool, values: SectigoDCVValues?) -> JSONValue {
        let (method, email) = ResellerDetails.method(of: choice)
        let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        let top = ApproverEmail.baseDomain(of: bare)
        let sub = name.hasPrefix("*.") ? "*" : String(bare.dropLast(top.count).dropLast())
        // Seed 004 shows an `https` choice as file validation: type and block `http`, with an https URL.
        let type = method == "https" ? "http" : method
        var fields: [String: JSONValue] = [
            "type": .string(type), "subdomain": .string(sub), "topleveldomain": .string(top),
            "status": .string(covered ? "valid" : "pending"),
        ]
        switch method {
        case "dns":
            if let values {
                fields["dns"] = .object([
                    "type": .string("cname"), "hostname": .string(values.dnsHostname),
                    "fullname": .string("\(values.dnsHostname).\(bare)"), "value": .string(values.dnsValue),
                ])
            }
        case "http", "https":
            if let values {
                fields["http"] = .object([
                    "filename": .string(values.fileName), "filecontent": .string(values.fileContent),
                    "filepath": .string(values.filePath), "filefullpath": .string(values.filePath + values.fileName),
                    "url": .string("\(method)://\(bare)/\(values.filePath)\(values.fileName)"),
                ])
            }
        default:
            fields["email"] = .object([
                "address": .string(email ?? ""), "available": .array(ApproverEmail.addresses(for: bare).map(JSONValue.string)),
            ])
        }
        return .object(fields)
    }
}
