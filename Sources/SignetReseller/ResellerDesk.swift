import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import SignetValidation

/// The reseller dialect's operations, on the same core as CertCentral: an order placed here is
/// the same order there, charged through the same ledger.
struct ResellerDesk: Sendable {
    /// The RA as the reseller dialect sees it.
    let workflow: any ResellerWorkflow
    let renderer: ResellerRenderer
    let callbackPolicy: CallbackAddressPolicy
    var store: StoreReader { workflow.reader }
    var clock: any WallClock { workflow.clock }

    static let periods = ["annually": 1, "biennially": 2, "triennially": 3]
    /// Required for OV, EV (and IV) products (seed 004).
    static let organizationFields = [
        "organization", "organization_unit", "registered_address_line1", "serial_no", "country", "state", "city",
        "postal_code", "organization_phone", "date_of_incorporation", "contact_name", "contact_title", "contact_phone",
    ]

    // MARK: reading the request

    struct DomainChoices {
        var names: [String]
        var methods: [String: String]
        var emails: [String: String]
        var raw: [String: String]
    }

    /// `domain_dcv`: one method per name; wildcards only `dns` or e-mail; e-mail only to the
    /// constructed addresses of the name or its base domain.
    static func domainChoices(_ parameters: JSONFields) throws -> DomainChoices? {
        guard let object = try parameters.object("domain_dcv") else { return nil }
        var choices = DomainChoices(names: [], methods: [:], emails: [:], raw: [:])
        for (rawName, value) in object.fields.sorted(by: { $0.key < $1.key }) {
            guard case .string(let choice) = value, !choice.isEmpty else {
                throw ResellerError.invalid(
                    "domain_dcv", "domain_dcv.\(rawName) must be dns, http, https or an approver e-mail address")
            }
            let name: DNSName
            do {
                name = try DNSName(rawName)
            } catch {
                throw OrderRuleError.invalidDNSName(rawName, error)
            }
            let (method, email) = ResellerDetails.method(of: choice)
            if method == "email" {
                guard let email, EmailAddress(email) != nil, ApproverEmail.validatedDomain(by: email, for: name.value) != nil
                else {
                    throw ResellerError.invalid(
                        "domain_dcv",
                        "\(choice) is not an approver address of \(name.value): use admin@, administrator@, postmaster@, webmaster@ or hostmaster@ at the name or its base domain"
                    )
                }
                choices.emails[name.value] = email
            } else if name.isWildcard && method != "dns" {
                throw ResellerError.invalid("domain_dcv", "\(name.value): a wildcard can be validated only by dns or e-mail")
            }
            choices.names.append(name.value)
            choices.methods[name.value] = method
            choices.raw[name.value] = email ?? method
        }
        guard !choices.names.isEmpty else { throw ResellerError.invalid("domain_dcv", "domain_dcv needs at least one domain") }
        return choices
    }

    /// The CSR, with the reseller's stricter key rule: RSA 2048 or 4096, ECDSA P-256 or P-384.
    static func checkedCSR(_ text: String) throws -> InspectedCSR {
        let inspected: InspectedCSR
        do {
            inspected = try CSRInspector.inspect(text)
        } catch {
            throw WorkflowError.invalidCSR(error)
        }
        if inspected.key.algorithm == .rsa && ![2048, 4096].contains(inspected.key.size) {
            throw ResellerError.invalid("csr", "RSA keys must be 2048 or 4096 bits; this one has \(inspected.key.size)")
        }
        return inspected
    }

    static func organizationFields(_ parameters: JSONFields, product: Product) throws -> [String: String] {
        var fields: [String: String] = [:]
        for field in organizationFields {
            if let value = try parameters.string(field)?.trimmingWhitespace(), !value.isEmpty { fields[field] = value }
        }
        if product.validationLevel.needsOrganization {
            var errors: [String: [String]] = [:]
            for field in organizationFields where fields[field] == nil { errors[field] = ["The \(field) field is required."] }
            if !errors.isEmpty {
                throw ResellerError(.unprocessableEntity, "VALIDATION_FAILED", "The given data was invalid.", fields: errors)
            }
        }
        return fields
    }

    static func organization(from fields: [String: String], contactEmail: String?) throws -> OrganizationDetails? {
        guard let name = fields["organization"] else { return nil }
        return try OrganizationDetails(
            name: name, address: fields["registered_address_line1"], city: fields["city"], state: fields["state"],
            zip: fields["postal_code"], country: fields["country"] ?? "", telephone: fields["organization_phone"],
            registrationNumber: fields["serial_no"],
            contact: Contact(
                firstName: fields["contact_name"] ?? "", lastName: "", email: contactEmail ?? "",
                jobTitle: fields["contact_title"],
                telephone: fields["contact_phone"])
        ).validated(fieldPrefix: "")
    }

    // MARK: operations

    func create(_ caller: ResellerCaller, fingerprint: String) async throws -> JSONValue {
        let parameters = caller.parameters
        guard let uniqueID = try parameters.string("unique_id")?.trimmingWhitespace(), !uniqueID.isEmpty else {
            throw ResellerError.invalid("unique_id", "The unique_id field is required.")
        }
        guard let productID = try parameters.string("product_id"), let product = ProductCatalog.product(nameID: productID) else {
            throw ResellerError.invalid("product_id", "The product_id is unknown; see product/list.")
        }
        guard let period = try parameters.string("period")?.lowercased(), let years = Self.periods[period],
            product.allowedValidityYears.contains(years)
        else {
            throw ResellerError.invalid(
                "period", "period must be one of the product's periods: annually, biennially or triennially")
        }
        guard let choices = try Self.domainChoices(parameters) else {
            throw ResellerError.invalid("domain_dcv", "The domain_dcv field is required.")
        }
        guard let csrText = try parameters.string("csr"), !csrText.isEmpty else {
            throw ResellerError.invalid("csr", "The csr field is required.")
        }
        let csr = try Self.checkedCSR(csrText)
        let contactEmail = try parameters.string("contact_email")
        if let contactEmail, !EmailAddress.isContactAddress(contactEmail) {
            throw ResellerError.invalid("contact_email", "contact_email is not an e-mail address")
        }
        let notifyURL = try await callbackPolicy.check(try parameters.string("notify_url"))
        let organizationFields = try Self.organizationFields(parameters, product: product)

        var submission = OrderSubmission(productNameID: product.nameID)
        submission.origin = .reseller
        let requestedCN = csr.request.subject.commonName?.lowercased()
        let commonName = choices.names.first { $0 == requestedCN } ?? choices.names[0]
        submission.commonName = commonName
        submission.dnsNames = choices.names.filter { $0 != commonName }
        submission.csr = csrText
        submission.signatureHash = "sha256"
        submission.legacyValidity = ValidityRequest(years: years, fieldPrefix: "")
        submission.skipApproval = true
        submission.alternativeOrderID = "reseller:\(caller.accessKeyID):\(uniqueID)"
        submission.dcvMethodsByName = choices.methods
        submission.approverEmails = choices.emails
        submission.options.dcvMethod = nil
        if let details = try Self.organization(from: organizationFields, contactEmail: contactEmail) {
            submission.organization = .new(details)
        }
        let details = ResellerDetails(
            period: period, contactEmail: contactEmail, notifyURL: notifyURL, domainDCV: choices.raw,
            organization: organizationFields, renew: try parameters.int("renew"),
            purchasedNames: max(1, choices.names.count), refunded: false)
        let accessKeyID = caller.accessKeyID
        let record = ResellerRecord(
            accessKeyID: accessKeyID, expectedDetails: nil, details: try details.json(),
            request: .init(uniqueID: uniqueID, fingerprint: fingerprint))
        let placed = try await workflow.placeOrder(
            submission, by: caller.principal, fingerprint: fingerprint, attachment: record)
        return try await store.read { connection in
            let cost = try connection.resellerRequest(accessKeyID: accessKeyID, uniqueID: uniqueID)?.cost ?? placed.order.price
            return try self.renderer.detail(orderID: placed.order.id, connection: connection, now: self.clock.now(), cost: cost)
        }
    }

    /// The caller's order behind `service_id`.
    func order(_ caller: ResellerCaller, serviceID: String?) async throws -> (Order, ResellerOrder, ResellerDetails) {
        guard let serviceID, !serviceID.isEmpty else {
            throw ResellerError.invalid("service_id", "The service_id field is required.")
        }
        return try await store.read { connection in
            guard let reseller = try connection.resellerOrder(serviceID: serviceID), reseller.accessKeyID == caller.accessKeyID,
                let order = try connection.order(id: reseller.orderID),
                let details = try? JSONDecoder().decode(ResellerDetails.self, from: Data(reseller.detailsJSON.utf8))
            else { throw WorkflowError.orderNotFound(serviceID) }
            return (order, reseller, details)
        }
    }

    func detail(_ caller: ResellerCaller) async throws -> JSONValue {
        let (order, _, _) = try await self.order(caller, serviceID: try caller.parameters.string("service_id"))
        return try await store.read { try self.renderer.detail(orderID: order.id, connection: $0, now: self.clock.now()) }
    }

    /// `certificate/list`: a Laravel-style page of the caller's orders, newest first, chosen by
    /// the same summary query as CertCentral's list (filters and paging in SQL, one statement for
    /// the page's reseller details).
    func list(_ caller: ResellerCaller) async throws -> JSONValue {
        let parameters = caller.parameters
        let page = max(1, try parameters.int("page") ?? 1)
        let size = min(100, max(1, try parameters.int("page_size") ?? 15))
        let now = clock.now()
        var query = OrderQuery(now: now)
        query.resellerAccessKeyID = caller.accessKeyID
        query.sort = [(.id, true)]
        query.limit = size
        // A page far past the end is an empty page, never an overflow.
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: size)
        query.offset = overflow ? Int.max : offset
        if let keyword = try parameters.string("keyword")?.trimmingWhitespace(), !keyword.isEmpty { query.nameContains = keyword }
        let soon = now.addingTimeInterval(30 * 86_400)
        switch try parameters.string("status") {
        case nil, "": break
        case "issued": query.status = .issued; query.certificateEnds = now..<Date.distantFuture
        case "expiring": query.status = .issued; query.certificateEnds = now..<soon
        case "expired": query.status = .issued; query.certificateEnds = Date.distantPast..<now
        // On their way: not issued yet, and not ended (a refunded order is neither).
        case "issuing": query.statusIn = [.needsApproval, .pending, .reissuePending]
        case let other?:
            throw ResellerError.invalid("status", "status must be issued, expiring, expired or issuing, not \(other)")
        }
        let chosen = query
        return try await store.read { connection in
            let (summaries, total) = try connection.orderSummaries(chosen)
            let records = try connection.resellerOrders(orderIDs: summaries.map(\.id))
            var rows: [JSONValue] = []
            for order in summaries {
                guard let reseller = records[order.id],
                    let details = try? JSONDecoder().decode(ResellerDetails.self, from: Data(reseller.detailsJSON.utf8))
                else { continue }
                rows.append(
                    .object([
                        "id": .number(Double(order.id)), "service_id": .string(reseller.serviceID),
                        "status": .string(ResellerRenderer.status(order.status, details: details, allValidated: false)),
                        "domain_dcv": .object(details.domainDCV.mapValues(JSONValue.string)),
                        "product_name": .string(order.product?.name ?? order.productNameID), "period": .string(details.period),
                        "created_at": .string(APITime.timestamp(order.dateCreated)),
                        "cert_expires_at": order.certificateValidTill.map { .string(APITime.timestamp($0)) } ?? .null,
                        "service_expires_at": .string(APITime.timestamp(order.orderValidTill)),
                    ]))
            }
            let lastPage = max(1, (total + size - 1) / size)
            return .object([
                "current_page": .number(Double(page)), "data": .array(rows), "per_page": .number(Double(size)),
                "total": .number(Double(total)), "last_page": .number(Double(lastPage)),
                "from": rows.isEmpty ? .null : .number(Double(chosen.offset + 1)),
                "to": rows.isEmpty ? .null : .number(Double(chosen.offset + rows.count)),
            ])
        }
    }
}
