import Foundation
import SignetCore
import SignetStore
import SignetValidation

/// The result of checking an order's domain control now.
public struct OrderDCVCheck: Sendable {
    public let order: Order
    /// What this check found for the names that were waiting (none when the background pass
    /// validated them a moment before).
    public let results: [DomainControl.NameResult]
    /// Every name the order validates, waiting or not.
    public var names: [String] {
        DomainControl.validationNames(of: order.names, isTLS: order.product?.isTLS ?? true)
    }
    /// CAA findings that keep validated names from being issued, by name.
    public let caaMessages: [String: String]
}

extension RegistrationAuthority {
    private func visibleOrder(_ orderID: Int, principal: Principal, connection: StoreSession<some SessionAccess>) throws -> Order
    {
        guard let order = try connection.order(id: orderID), principal.canSee(containerID: order.containerID) else {
            throw WorkflowError.orderNotFound(String(orderID))
        }
        return order
    }

    public static func method(_ raw: String?) throws -> DCVMethod {
        guard let raw, let method = DCVMethod(rawValue: raw), !method.isACMEChallenge else {
            throw OrderRuleError.dcvMethodNotAllowed(name: "-", method: raw ?? "")
        }
        return method
    }

    /// `PUT …/dcv-method`: every name still waiting switches to `method`; e-mail sends new messages.
    public func changeDCVMethod(orderID: Int, to raw: String?, by principal: Principal) async throws -> OrderDCV {
        let method = try Self.method(raw)
        let now = clock.now()
        let dcv = try await store.write { connection in
            var order = try self.visibleOrder(orderID, principal: principal, connection: connection)
            guard let product = order.product else { throw WorkflowError.orderNotFound(String(orderID)) }
            if !method.allows(wildcard: true),
                let wildcard = order.names.subjectAlternativeNames(isTLS: product.isTLS).first(where: { $0.hasPrefix("*.") })
            {
                throw OrderRuleError.dcvMethodNotAllowed(name: wildcard, method: method.rawValue)
            }
            order.options.dcvMethod = method.rawValue
            try connection.setOrderOptions(orderID: orderID, order.options)
            let waiting = try self.domainControl.awaitingNames(of: order, connection: connection, at: now)
            var (dcv, _) = try self.domainControl.prepare(
                existing: order.dcv, names: waiting, product: product, scope: order.dcvScope, method: method.rawValue,
                containerID: order.containerID, organizationID: order.organizationID, connection: connection, at: now)
            var state = dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
            for name in waiting { state.names[name] = OrderDCV.NameState(method: method.rawValue, status: "pending") }
            state.attempts = 0
            dcv = state
            try connection.setOrderDCV(orderID: orderID, state, nextCheck: state.awaitsChecks ? now : nil)
            if method == .email, !waiting.isEmpty {
                try self.domainControl.queueEmails(
                    for: waiting, orderID: orderID, domainID: nil, containerID: order.containerID, connection: connection, at: now
                )
            }
            return state
        }
        if method == .email {
            let control = domainControl
            Task { await control.deliverPendingEmails() }
        }
        return dcv
    }

    /// `PUT …/dcv-random-value`: the order's random value, renewed when it has expired.
    public func dcvRandomValue(orderID: Int, by principal: Principal) async throws -> OrderDCV {
        let now = clock.now()
        return try await store.write { connection in
            let order = try self.visibleOrder(orderID, principal: principal, connection: connection)
            if let dcv = order.dcv, dcv.expires > now { return dcv }
            var dcv = order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now)
            dcv.randomValue = RandomValue.make()
            dcv.expires = now.addingTimeInterval(RandomValue.lifetime)
            try connection.setOrderDCV(orderID: orderID, dcv, nextCheck: dcv.awaitsChecks ? now : nil)
            return dcv
        }
    }

    /// `PUT …/check-dcv`: checks every waiting name now and issues what became ready.
    public func checkDCV(orderID: Int, by principal: Principal) async throws -> OrderDCVCheck {
        _ = try await store.read { try self.visibleOrder(orderID, principal: principal, connection: $0) }
        let results = try await domainControl.check(orderID: orderID)
        let approved = try await store.read { try $0.certificates(orderID: orderID).filter { $0.status == .approved } }
        for certificate in approved { try await advance(certificateID: certificate.id) }
        let order = try await store.read { try self.visibleOrder(orderID, principal: principal, connection: $0) }
        return OrderDCVCheck(order: order, results: results, caaMessages: order.dcv?.caaMessages ?? [:])
    }

    /// `PUT …/resend-emails`: new validation messages for the waiting names, to the constructed
    /// addresses or to the approver addresses given (each must be one of them).
    public func resendDCVEmails(orderID: Int, recipients: [(domain: String, email: String)], by principal: Principal) async throws
    {
        let now = clock.now()
        try await store.write { connection in
            let order = try self.visibleOrder(orderID, principal: principal, connection: connection)
            let current = order.options.dcvMethod ?? DCVMethod.email.rawValue
            guard current == DCVMethod.email.rawValue else {
                throw WorkflowError.wrongDCVMethod(current: current, needed: "email")
            }
            let waiting = try self.domainControl.awaitingNames(of: order, connection: connection, at: now)
            for (domain, email) in recipients {
                guard
                    let name = waiting.first(where: { $0 == domain || $0 == "*." + domain })
                        ?? waiting.first(where: {
                            ApproverEmail.validatedDomain(by: email, for: $0) != nil
                        }), ApproverEmail.validatedDomain(by: email, for: name) != nil
                else {
                    throw OrderRuleError.invalidValue(
                        field: "domain_approval_emails",
                        reason: "\(email) is not an approver address of a name waiting for validation")
                }
                try self.domainControl.queueEmails(
                    for: [name], recipients: [email.lowercased()], orderID: orderID, domainID: nil,
                    containerID: order.containerID, connection: connection, at: now)
            }
            if recipients.isEmpty {
                try self.domainControl.queueEmails(
                    for: waiting, orderID: orderID, domainID: nil, containerID: order.containerID, connection: connection, at: now
                )
            }
        }
        let control = domainControl
        Task { await control.deliverPendingEmails() }
    }
}

extension DomainControl {
    private func visibleDomain(
        _ id: Int, principal: Principal, connection: StoreSession<some SessionAccess>
    ) throws -> DomainValidation {
        guard let domain = try connection.domain(id: id), principal.canSee(containerID: domain.containerID) else {
            throw WorkflowError.domainNotFound(id)
        }
        return domain
    }

    /// `POST /domain`: adds a domain to validate (a leading `www.` is dropped unless kept, as DigiCert does).
    public func addDomain(
        name raw: String, method rawMethod: String?, keepWWW: Bool, organizationID: Int?, containerID: Int?,
        by principal: Principal
    ) async throws -> DomainValidation {
        let method = try RegistrationAuthority.method(rawMethod ?? DCVMethod.email.rawValue)
        let container = containerID ?? principal.user.containerID
        // A private container prevalidates its internal domains too (docs/private-pki.md).
        let policy = principal.namePolicy(of: container)
        var parsed: DNSName
        do {
            parsed = try DNSName(raw, policy: policy)
        } catch {
            throw OrderRuleError.invalidDNSName(raw, error)
        }
        guard !parsed.isWildcard else { throw OrderRuleError.invalidDNSName(raw, .misplacedWildcard) }
        if !keepWWW && method != .httpToken && parsed.value.hasPrefix("www."),
            let bare = try? DNSName(String(parsed.value.dropFirst(4)), policy: policy)
        {
            parsed = bare
        }
        let now = clock.now()
        let name = parsed
        let domain = try await store.write { connection in
            guard try connection.container(id: container) != nil, principal.canSee(containerID: container) else {
                throw OrderRuleError.unknownContainer(container)
            }
            if let id = organizationID {
                guard let organization = try connection.organization(id: id),
                    principal.canSee(containerID: organization.containerID)
                else { throw OrderRuleError.unknownOrganization(id) }
            }
            if let existing = try connection.domain(name: name.value, containerID: container) {
                throw WorkflowError.domainExists(name: existing.name, id: existing.id)
            }
            let domain = try connection.addDomain(
                name: name.value, containerID: container, method: method.rawValue, token: RandomValue.make(),
                tokenExpires: now.addingTimeInterval(RandomValue.lifetime), organizationID: organizationID, at: now)
            if method == .email {
                try self.queueEmails(
                    for: [domain.name], orderID: nil, domainID: domain.id, containerID: container, connection: connection, at: now
                )
            }
            return domain
        }
        if method == .email { Task { await self.deliverPendingEmails() } }
        return domain
    }

    public func domain(id: Int, by principal: Principal) async throws -> DomainValidation {
        try await store.read { try self.visibleDomain(id, principal: principal, connection: $0) }
    }

    public func domains(by principal: Principal) async throws -> [DomainValidation] {
        try await store.read { try $0.domains(containerIDs: principal.containerFilter) }
    }

    /// `PUT /domain/{id}/dcv/method`: a new random value for token methods, new messages for e-mail.
    public func setMethod(domainID: Int, method rawMethod: String?, by principal: Principal) async throws -> DomainValidation {
        let method = try RegistrationAuthority.method(rawMethod)
        let now = clock.now()
        let domain = try await store.write { connection in
            var domain = try self.visibleDomain(domainID, principal: principal, connection: connection)
            domain.method = method.rawValue
            domain.token = RandomValue.make()
            domain.tokenExpires = now.addingTimeInterval(RandomValue.lifetime)
            try connection.setDomainMethod(
                id: domainID, method: method.rawValue, token: domain.token, tokenExpires: domain.tokenExpires)
            if method == .email {
                try self.queueEmails(
                    for: [domain.name], orderID: nil, domainID: domainID, containerID: domain.containerID, connection: connection,
                    at: now)
            }
            return domain
        }
        if method == .email { Task { await self.deliverPendingEmails() } }
        return domain
    }

    /// `POST /domain/{id}/dcv/token`: a new random value (token methods only).
    public func newToken(domainID: Int, by principal: Principal) async throws -> DomainValidation {
        let now = clock.now()
        return try await store.write { connection in
            var domain = try self.visibleDomain(domainID, principal: principal, connection: connection)
            guard domain.method != DCVMethod.email.rawValue else {
                throw WorkflowError.wrongDCVMethod(current: domain.method, needed: "a token method")
            }
            domain.token = RandomValue.make()
            domain.tokenExpires = now.addingTimeInterval(RandomValue.lifetime)
            try connection.setDomainMethod(
                id: domainID, method: domain.method, token: domain.token, tokenExpires: domain.tokenExpires)
            return domain
        }
    }

    /// `PUT /domain/{id}/dcv/validate-token`: checks the domain's random value now.
    public func validateToken(domainID: Int, by principal: Principal) async throws -> DomainValidation {
        let now = clock.now()
        let domain = try await store.read { try self.visibleDomain(domainID, principal: principal, connection: $0) }
        guard let method = DCVMethod(rawValue: domain.method), method != .email else {
            throw WorkflowError.wrongDCVMethod(current: domain.method, needed: "a token method")
        }
        guard let token = domain.token, (domain.tokenExpires ?? .distantPast) > now else {
            throw WorkflowError.dcvCheckFailed(method: domain.method, details: ["the random value expired; request a new one"])
        }
        let targets = principal.namePolicy(of: domain.containerID)
        switch await checker.check(method, name: domain.name, tokens: [token], targets: targets) {
        case .passed(let validated):
            return try await store.write { connection in
                let recorded = try connection.recordDomainValidation(
                    name: validated, containerID: domain.containerID, at: now, until: self.validationEnd(from: now),
                    coversSubdomains: method.coversSubdomains, method: method.rawValue)
                if validated != domain.name {
                    try connection.recordDomainValidation(
                        name: domain.name, containerID: domain.containerID, at: now, until: self.validationEnd(from: now),
                        coversSubdomains: method.coversSubdomains, method: method.rawValue)
                }
                return try connection.domain(id: domainID) ?? recorded
            }
        case .failed(let failure):
            try await store.write { try $0.setDomainError(id: domainID, failure.detail) }
            throw WorkflowError.dcvCheckFailed(method: method.rawValue, details: [failure.detail])
        }
    }

    /// `PUT /domain/{id}/dcv/emails`: new messages to the constructed addresses (or those given).
    public func resendEmails(domainID: Int, addresses: [String], by principal: Principal) async throws {
        let now = clock.now()
        try await store.write { connection in
            let domain = try self.visibleDomain(domainID, principal: principal, connection: connection)
            for address in addresses where ApproverEmail.validatedDomain(by: address, for: domain.name) == nil {
                throw OrderRuleError.invalidValue(
                    field: "email_array", reason: "\(address) is not an approver address of \(domain.name)")
            }
            try self.queueEmails(
                for: [domain.name], recipients: addresses.isEmpty ? nil : addresses.map { $0.lowercased() }, orderID: nil,
                domainID: domainID, containerID: domain.containerID, connection: connection, at: now)
        }
        Task { await self.deliverPendingEmails() }
    }

    /// `PUT /domain/{id}/activate|deactivate`: a deactivated domain no longer counts as validated.
    public func setActive(domainID: Int, _ active: Bool, by principal: Principal) async throws {
        try await store.write { connection in
            _ = try self.visibleDomain(domainID, principal: principal, connection: connection)
            try connection.setDomainActive(id: domainID, active)
        }
    }

    public func delete(domainID: Int, by principal: Principal) async throws {
        try await store.write { connection in
            _ = try self.visibleDomain(domainID, principal: principal, connection: connection)
            try connection.deleteDomain(id: domainID)
        }
    }
}
