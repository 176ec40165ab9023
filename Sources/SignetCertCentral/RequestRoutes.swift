import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// Approval requests (certcentral.md 7): list, read, approve or reject.
struct RequestRoutes: RouteCollection {
    /// The RA as the CertCentral dialect sees it.
    let workflow: any CertCentralWorkflow

    func boot(routes: any RoutesBuilder) throws {
        routes.get("request", use: listRequests)
        routes.get("request", ":request_id", use: requestInfo)
        routes.put("request", ":request_id", "status", use: updateStatus)
    }

    func listRequests(_ request: Request) async throws -> Response {
        let principal = try request.principal
        var query = RequestQuery()
        (query.offset, query.limit) = try request.page()
        query.containerIDs = principal.containerFilter
        if let status = request.queryString("filters", "status") {
            guard let value = RequestStatus(rawValue: status) else {
                throw OrderRuleError.invalidValue(field: "filters[status]", reason: "unknown status '\(status)'")
            }
            query.status = value
        }
        if let type = request.queryString("filters", "type") {
            guard let value = RequestType(rawValue: type) else {
                throw OrderRuleError.invalidValue(field: "filters[type]", reason: "unknown type '\(type)'")
            }
            query.type = value
        }
        if let sort = request.queryString("sort") {
            guard ["id", "-id", "date", "-date"].contains(sort) else {
                throw OrderRuleError.invalidValue(field: "sort", reason: "use id, -id, date or -date")
            }
            query.descending = sort.hasPrefix("-")
        }
        let page = query
        let views = try await request.signet.reader.read { connection in
            let (requests, total) = try connection.requests(page)
            let context = try RequestContext.load(requests, connection: connection)
            return RequestListView(
                requests: requests.map { RequestView($0, context: context, detailed: false) },
                page: PageView(total: total, limit: page.limit, offset: page.offset))
        }
        return try CertCentralFormat.response(views)
    }

    func requestInfo(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("request_id") { _ in .requestNotFound(0) }
        let view = try await request.signet.reader.read { connection in
            guard let approval = try connection.request(id: id) else { throw WorkflowError.requestNotFound(id) }
            let context = try RequestContext.load([approval], connection: connection)
            guard let order = context.orders[approval.orderID], principal.canSee(containerID: order.containerID) else {
                throw WorkflowError.requestNotFound(id)
            }
            return RequestView(approval, context: context, detailed: true)
        }
        return try CertCentralFormat.response(view)
    }

    func updateStatus(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("request_id") { _ in .requestNotFound(0) }
        let body = try request.jsonObject()
        guard let status = try body.string("status") else { throw OrderRuleError.missingField("status") }
        let approve: Bool
        switch status.lowercased() {
        case "approved": approve = true
        case "rejected": approve = false
        default: throw OrderRuleError.invalidValue(field: "status", reason: "use approved or rejected")
        }
        try await workflow.decide(
            requestID: id, approve: approve, comment: try body.string("processor_comment"), by: principal)
        return Response(status: .noContent)
    }
}

/// The orders, certificates and users that a page of requests refers to.
struct RequestContext: Sendable {
    let orders: [Int: Order]
    let certificates: [Int: CertificateRecord]
    let users: [Int: User]
    let organizations: [Int: Organization]
    let containers: [Container]

    static func load(_ requests: [ApprovalRequest], connection: StoreSession<some SessionAccess>) throws -> RequestContext {
        var orders: [Int: Order] = [:]
        for id in Set(requests.map(\.orderID)) { orders[id] = try connection.order(id: id) }
        var organizations: [Int: Organization] = [:]
        for id in Set(orders.values.compactMap(\.organizationID)) { organizations[id] = try connection.organization(id: id) }
        return RequestContext(
            orders: orders, certificates: try connection.certificates(ids: requests.compactMap(\.certificateID)),
            users: try connection.users(ids: requests.map(\.requesterID) + requests.compactMap(\.processorID)),
            organizations: organizations, containers: try connection.containers())
    }
}

struct RequestListView: Encodable {
    let requests: [RequestView]
    let page: PageView
}

/// One request (certcentral.md 7): list entries, and with `detailed` the fields of request info.
struct RequestView: Encodable {
    struct OrderView: Encodable {
        struct CertificateStub: Encodable {
            let commonName: String
            let dnsNames: [String]
        }

        let id: Int
        let status: String
        let certificate: CertificateStub
        let organization: IDNameView?
        let container: IDNameView?
        let product: ProductSummaryView
        let price: Double?
    }

    let id: Int
    let date: String
    let type: String
    let status: String
    let dateProcessed: String?
    let requester: PersonView?
    let processor: PersonView?
    let order: OrderView?
    let comments: String?
    let processorComment: String?

    init(_ request: ApprovalRequest, context: RequestContext, detailed: Bool) {
        id = request.id
        date = CertCentralFormat.timestamp(request.date)
        type = request.type.rawValue
        status = request.status.rawValue
        dateProcessed = request.dateProcessed.map(CertCentralFormat.timestamp)
        requester = context.users[request.requesterID].map(PersonView.init)
        processor = request.processorID.flatMap { context.users[$0] }.map(PersonView.init)
        order = context.orders[request.orderID].map { order in
            let names = request.certificateID.flatMap { context.certificates[$0]?.names } ?? order.names
            return OrderView(
                id: order.id, status: order.status.rawValue,
                certificate: .init(
                    commonName: names.commonName,
                    dnsNames: names.subjectAlternativeNames(isTLS: order.product?.isTLS ?? true)),
                organization: order.organizationID.flatMap { context.organizations[$0] }.map {
                    IDNameView(id: $0.id, name: $0.details.name)
                },
                container: context.containers.first { $0.id == order.containerID }.map { IDNameView(id: $0.id, name: $0.name) },
                product: ProductSummaryView(order.product, nameID: order.productNameID, detailed: false),
                price: detailed ? order.price.asDouble : nil)
        }
        comments = request.comments
        processorComment = detailed ? request.processorComment : nil
    }
}
