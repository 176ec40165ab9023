import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// Organizations, containers, the caller's user and the balance.
struct AccountRoutes: RouteCollection {
    /// The RA as the CertCentral dialect sees it.
    let workflow: any CertCentralWorkflow

    func boot(routes: any RoutesBuilder) throws {
        routes.post("organization", use: createOrganization)
        routes.get("organization", use: listOrganizations)
        routes.get("organization", ":id", use: organization)
        routes.get("container", use: listContainers)
        routes.get("container", ":id", use: container)
        routes.get("container", ":id", "children", use: children)
        routes.post("container", ":id", "children", use: createChild)
        routes.get("user", "me", use: me)
        routes.get("finance", "balance", use: balance)
    }

    func createOrganization(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let body = try request.jsonObject()
        let details = try OrderRequestDecoding.organizationDetails(body)
        let containerID = try body.object("container")?.int("id") ?? principal.user.containerID
        let organization = try await workflow.createOrganization(
            details, containerID: containerID, by: principal)
        return try CertCentralFormat.response(["id": organization.id], status: .created)
    }

    func listOrganizations(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let now = request.signet.clock.now()
        let views = try await request.signet.reader.read { connection in
            let visible = principal.containerFilter
            let containers = try connection.containers()
            return try connection.organizations(containerIDs: visible).map {
                OrganizationView($0, containers: containers, now: now)
            }
        }
        return try CertCentralFormat.response(["organizations": views])
    }

    func organization(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("id") { _ in .organizationNotFound(0) }
        let now = request.signet.clock.now()
        let view = try await request.signet.reader.read { connection in
            guard let organization = try connection.organization(id: id),
                principal.canSee(containerID: organization.containerID)
            else { throw WorkflowError.organizationNotFound(id) }
            return OrganizationView(organization, containers: try connection.containers(), now: now)
        }
        return try CertCentralFormat.response(view)
    }

    func listContainers(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let containers = try await request.signet.reader.read { try $0.containers() }
        return try CertCentralFormat.response([
            "containers": containers.filter { principal.canSee(containerID: $0.id) }.map(ContainerView.init)
        ])
    }

    func container(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("id") { _ in .containerNotFound(0) }
        guard let container = try await request.signet.reader.read({ try $0.container(id: id) }),
            principal.canSee(containerID: id)
        else { throw WorkflowError.containerNotFound(id) }
        return try CertCentralFormat.response(ContainerView(container))
    }

    /// The containers directly below one the caller sees.
    func children(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("id") { _ in .containerNotFound(0) }
        let containers = try await request.signet.reader.read { try $0.containers() }
        guard principal.canSee(containerID: id), containers.contains(where: { $0.id == id }) else {
            throw WorkflowError.containerNotFound(id)
        }
        return try CertCentralFormat.response([
            "containers": containers.filter { $0.parentID == id }.map(ContainerView.init)
        ])
    }

    /// `{name, template_id?, description?}`: a new container below one the caller administers
    /// (CertCentral's "create container"); `201 {"id"}`. Templates are CertCentral's permission
    /// presets; Signet's containers have one set of roles, so `template_id` is accepted and kept to no effect.
    func createChild(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let id = try request.intParameter("id") { _ in .containerNotFound(0) }
        guard principal.canSee(containerID: id) else { throw WorkflowError.containerNotFound(id) }
        guard principal.user.role == .administrator else {
            throw WorkflowError.forbidden("only an administrator of the container creates containers below it")
        }
        let body = try request.jsonObject()
        guard let name = try body.string("name") else { throw OrderRuleError.missingField("name") }
        _ = try body.int("template_id")
        _ = try body.string("description")
        let container = try await request.signet.administration.createContainer(name: name, parentID: id)
        return try CertCentralFormat.response(["id": container.id], status: .created)
    }

    func me(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let container = try await request.signet.reader.read { try $0.container(id: principal.user.containerID) }
        return try CertCentralFormat.response(UserView(principal.user, container: container))
    }

    func balance(_ request: Request) async throws -> Response {
        let balance = try await request.signet.reader.read { try $0.balance() }
        return try CertCentralFormat.response(BalanceView(balance))
    }
}

struct ContainerView: Encodable {
    let id: Int
    let publicId: String
    let name: String
    let parentId: Int?
    let isActive: Bool

    init(_ container: Container) {
        id = container.id
        publicId = "c\(container.id)"
        name = container.name
        parentId = container.parentID
        isActive = container.isActive
    }
}

struct IDNameView: Encodable {
    let id: Int
    let name: String
}

struct ContactView: Encodable {
    let firstName: String
    let lastName: String
    let email: String
    let jobTitle: String?
    let telephone: String?

    init(_ contact: Contact) {
        firstName = contact.firstName
        lastName = contact.lastName
        email = contact.email
        jobTitle = contact.jobTitle
        telephone = contact.telephone
    }
}

struct OrganizationView: Encodable {
    struct Validation: Encodable {
        let type: String
        let name: String
        let status: String
        let validatedUntil: String?
    }

    let id: Int
    let status: String
    let name: String
    let assumedName: String?
    let displayName: String
    let isActive: Bool
    let address: String?
    let address2: String?
    let zip: String?
    let city: String?
    let state: String?
    let country: String
    let telephone: String?
    let container: IDNameView?
    let validations: [Validation]
    let organizationContact: ContactView?

    init(_ organization: Organization, containers: [Container], now: Date) {
        let details = organization.details
        id = organization.id
        status = organization.isActive ? "active" : "inactive"
        name = details.name
        assumedName = details.assumedName
        displayName = details.assumedName.map { "\(details.name) (\($0))" } ?? details.name
        isActive = organization.isActive
        address = details.address
        address2 = details.address2
        zip = details.zip
        city = details.city
        state = details.state
        country = details.country.lowercased()
        telephone = details.telephone
        container = containers.first { $0.id == organization.containerID }.map { IDNameView(id: $0.id, name: $0.name) }
        validations = [
            (ValidationLevel.ov, organization.ovValidatedUntil), (ValidationLevel.ev, organization.evValidatedUntil),
        ].map { level, until in
            Validation(
                type: level.rawValue.lowercased(), name: level.rawValue,
                status: until.map { $0 > now ? "active" : "expired" } ?? "pending",
                validatedUntil: until.map(CertCentralFormat.timestamp))
        }
        organizationContact = details.contact.map(ContactView.init)
    }
}

struct UserView: Encodable {
    struct AccessRole: Encodable {
        let id: Int
        let name: String
    }

    let id: Int
    let username: String
    let accountId: Int
    let firstName: String
    let lastName: String
    let email: String
    let status: String
    let container: IDNameView?
    let accessRoles: [AccessRole]
    let type: String
    let isCertCentral: Bool

    init(_ user: User, container: Container?) {
        id = user.id
        username = user.username
        accountId = 1
        firstName = user.firstName
        lastName = user.lastName
        email = user.email
        status = "active"
        self.container = container.map { IDNameView(id: $0.id, name: $0.name) }
        accessRoles = [AccessRole(id: user.role.accessRole.id, name: user.role.accessRole.name)]
        type = user.isAPIOnly ? "api_only" : "standard"
        isCertCentral = true
    }
}

struct BalanceView: Encodable {
    let balance: String
    let currency: String
    let unpaidInvoiceBalance: String
    let negativeBalanceLimit: String
    let usedCreditFromOtherContainers: String
    let totalAvailableFunds: String

    init(_ balance: Balance) {
        self.balance = balance.balance.description
        currency = balance.currency
        unpaidInvoiceBalance = "0.00"
        negativeBalanceLimit = balance.negativeLimit.description
        usedCreditFromOtherContainers = "0.00"
        totalAvailableFunds = balance.availableFunds.description
    }
}
