import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// Placing, reading and listing orders (certcentral.md 3 and 4).
struct OrderRoutes: RouteCollection {
    /// The RA as the CertCentral dialect sees it.
    let workflow: any CertCentralWorkflow

    func boot(routes: any RoutesBuilder) throws {
        // One parameter name for every `order/certificate/:id…` route (the router requires it):
        // a product's name_id when placing an order, an order id (or serial, thumbprint) elsewhere.
        routes.post("order", "certificate", ":id", use: placeOrder)
        routes.get("order", "certificate", use: listOrders)
        routes.get("order", "certificate", ":id", use: orderInfo)
        routes.get("order", "alternate", ":alternative_order_id", use: alternateOrder)
    }

    func placeOrder(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let productNameID = request.parameters.get("id") ?? ""
        guard ProductCatalog.product(nameID: productNameID) != nil else { throw OrderRuleError.unknownProduct(productNameID) }
        let body = try request.jsonObject()
        let submission = try OrderRequestDecoding.submission(productNameID: productNameID, body: body)
        // Only an idempotency key compares request bodies.
        let fingerprint =
            submission.alternativeOrderID == nil
            ? ""
            : RegistrationAuthority.fingerprint(
                Array(productNameID.lowercased().utf8) + [0] + JSONValue.object(body.fields).canonicalBytes)
        let placed = try await workflow.placeOrder(submission, by: principal, fingerprint: fingerprint, attachment: nil)
        let view = OrderCreatedView(placed, authority: request.signet.authority)
        let response = try CertCentralFormat.response(view, status: .created)
        if let differs = KnownDifference.of(placedOrder: placed, issuedInAnswer: view.certificateChain != nil) {
            response.headers.replaceOrAdd(name: KnownDifference.header, value: differs)
        }
        return response
    }

    func orderInfo(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let reference = request.parameters.get("id") ?? ""
        let services = request.signet
        let context = try await services.reader.read { connection in
            let orderID = try resolveOrderID(reference, connection: connection)
            return try OrderContext.load(
                orderID: orderID, principal: principal, connection: connection, now: services.clock.now())
        }
        let response = Response(status: .ok)
        response.headers.contentType = .json
        let view = OrderInfoView(context, authority: services.authority, now: services.clock.now())
        response.body = .init(buffer: ByteBuffer(bytes: view.json()))
        return response
    }

    /// Order info accepts an order id, or the primary certificate's thumbprint or serial number.
    private func resolveOrderID(_ reference: String, connection: StoreSession<some SessionAccess>) throws -> Int {
        if let id = Int(reference), reference.count < 16 { return id }
        guard let certificate = try connection.certificate(matching: reference), certificate.role == .primary else {
            throw WorkflowError.orderNotFound(reference)
        }
        return certificate.orderID
    }

    func listOrders(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let services = request.signet
        let now = services.clock.now()
        var query = OrderQuery(now: now)
        (query.offset, query.limit) = try request.page()
        query.containerIDs = principal.containerFilter
        query.orderID = try request.queryInt("filters", "id")
        if let status = request.queryString("filters", "status") {
            guard let value = OrderStatus(rawValue: status) else {
                throw OrderRuleError.invalidValue(field: "filters[status]", reason: "unknown status '\(status)'")
            }
            query.status = value
        }
        query.commonName = request.queryString("filters", "common_name")
        query.serialNumber = request.queryString("filters", "serial_number")
        query.productNameID = request.queryString("filters", "product_name_id")
        if let isRenewed = request.queryString("filters", "is_renewed") {
            guard let value = ["1": true, "true": true, "0": false, "false": false][isRenewed] else {
                throw OrderRuleError.invalidValue(field: "filters[is_renewed]", reason: "use 1 or 0")
            }
            query.isRenewed = value
        }
        if let sort = request.queryString("sort") { query.sort = try Self.sortKeys(sort) }
        let page = query
        let (orders, total) = try await services.reader.read { try $0.orderSummaries(page) }
        let response = Response(status: .ok)
        response.headers.contentType = .json
        response.body = .init(
            buffer: ByteBuffer(
                bytes: OrderListView.json(
                    orders, page: PageView(total: total, limit: query.limit, offset: query.offset), now: now)))
        return response
    }

    /// `sort=-date_created,order_id`: keys separated by commas, `-` for descending.
    static func sortKeys(_ text: String) throws -> [(key: OrderSortKey, descending: Bool)] {
        try text.split(separator: ",").map { part in
            let descending = part.hasPrefix("-")
            let name = descending ? String(part.dropFirst()) : String(part)
            let aliases: [String: OrderSortKey] = [
                "order_id": .id, "id": .id, "date_created": .dateCreated, "common_name": .commonName, "status": .status,
                "product_name_id": .productNameID, "valid_till": .validTill,
            ]
            guard let key = aliases[name] else {
                throw OrderRuleError.invalidValue(
                    field: "sort", reason: "'\(name)' is not sortable; use \(aliases.keys.sorted().joined(separator: ", "))")
            }
            return (key, descending)
        }
    }

    func alternateOrder(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let key = request.parameters.get("alternative_order_id") ?? ""
        let now = request.signet.clock.now()
        let orders = try await request.signet.reader.read {
            try $0.orders(alternativeOrderID: key, containerIDs: principal.containerFilter)
        }
        guard !orders.isEmpty else { throw WorkflowError.orderNotFound(key) }
        return try CertCentralFormat.response([
            "orders": orders.map {
                AlternateOrderView(orderId: $0.id, certificateId: $0.certificateID, status: $0.reportedStatus(now: now))
            }
        ])
    }
}

struct AlternateOrderView: Encodable {
    let orderId: Int
    let certificateId: Int?
    let status: String
}

/// The 201 answer to an order (seeds 001 and 003, certcentral.md 3.3).
struct OrderCreatedView: Encodable {
    struct RequestStub: Encodable {
        let id: Int
        let status: String
    }

    struct ChainEntry: Encodable {
        let subjectCommonName: String
        let pem: String
    }

    /// A name waiting for validation and the random value that validates it (token DCV).
    struct DomainToken: Encodable {
        struct Token: Encodable {
            let token: String
            let status: String
            let expirationDate: String
        }

        let name: String
        let dcvToken: Token
    }

    let id: Int
    let organization: IDView?
    let requests: [RequestStub]?
    let certificateId: Int?
    let certificateChain: [ChainEntry]?
    let dcvRandomValue: String?
    let domains: [DomainToken]?

    init(_ placed: PlacedOrder, authority: CertificateAuthority) {
        let dcv = placed.order.dcv
        dcvRandomValue = dcv?.randomValue
        domains = dcv.map { dcv in
            dcv.names.keys.sorted().map {
                DomainToken(
                    name: $0,
                    dcvToken: .init(
                        token: dcv.randomValue, status: "pending", expirationDate: CertCentralFormat.timestamp(dcv.expires)))
            }
        }
        id = placed.order.id
        organization = placed.createdOrganizationID.map(IDView.init)
        let skipped = placed.order.options.skipApproval ?? false
        let approvalRequest = placed.requests.first { $0.type == .newRequest }
        let approved = approvalRequest?.status == .approved
        // Seed 001 shows the request of an order that skipped approval too, as `approved`.
        requests = approvalRequest.map { [RequestStub(id: $0.id, status: $0.status.rawValue)] }
        certificateId = skipped || approved ? placed.certificate.id : nil
        certificateChain = Self.chain(placed.certificate, authority: authority, family: placed.order.product?.family ?? .tls)
    }

    /// Leaf, issuing CA, root when `certificate` is issued; `nil` before.
    static func chain(
        _ certificate: CertificateRecord, authority: CertificateAuthority, family: CertificateFamily
    ) -> [ChainEntry]? {
        guard let issuance = certificate.issuance, certificate.status == .issued else { return nil }
        return [ChainEntry(subjectCommonName: certificate.names.commonName, pem: issuance.pem)]
            + authority.chain(of: certificate, family: family).map { ChainEntry(subjectCommonName: $0.commonName, pem: $0.pem) }
    }
}
