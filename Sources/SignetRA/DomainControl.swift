import Foundation
import SignetCore
import SignetPKI
import SignetStore
import SignetValidation

/// Who asks for a certificate, as CAA's RFC 8657 parameters see it: the ACME account's URL and the
/// challenge type that validated each name (empty for the other front ends).
public struct CAARequester: Sendable {
    public var accountURI: String?
    public var methods: [String: String]

    public init(accountURI: String? = nil, methods: [String: String] = [:]) {
        self.accountURI = accountURI
        self.methods = methods
    }
}

/// Domain control validation for orders and domains: who must show control of which names,
/// the checks that really run (DNS, HTTP, e-mail through the outbox), CAA before issuance, and
/// the record of validated domains that later orders reuse.
///
/// Network checks always run outside database transactions, so that a slow DNS or web server
/// never holds the store's writer.
public final class DomainControl: Sendable {
    public struct Settings: Sendable {
        public var mode: DCVMode
        public var policy: ValidityPolicy = .cabForum
        /// Overrides the validation reuse period of the policy, in days.
        public var reuseDays: Int?
        public var publicURL: String
        public var mailFrom: String
        /// First delay between background re-checks of an order; it doubles up to `recheckMaximum`.
        public var recheckBase: TimeInterval
        public var recheckMaximum: TimeInterval = 3600
        /// The brand domain in Sectigo-style DCV values (reseller dialect).
        public var sectigoBrand = "comodoca.com"
        /// The URL of ACME account `id` without the id (`<public URL>/acme/account/`): what CAA's
        /// `accounturi` (RFC 8657) names.
        public var acmeAccountURLPrefix: String?

        /// The URL of ACME account `id`, as its client and CAA records name it.
        public func acmeAccountURL(_ id: Int) -> String { (acmeAccountURLPrefix ?? "/acme/account/") + String(id) }

        public init(mode: DCVMode, publicURL: String, mailFrom: String, recheckBase: TimeInterval) {
            self.mode = mode
            self.publicURL = publicURL
            self.mailFrom = mailFrom
            self.recheckBase = recheckBase
        }
    }

    public let store: SignetStore
    public let checker: DomainControlChecker
    public let caa: CAAChecker
    public let mailer: SMTPMailer?
    public let clock: any WallClock
    public let settings: Settings
    /// Where order changes are announced (the reseller's notify_url callbacks).
    public let events: OrderEvents

    public init(
        store: SignetStore, checker: DomainControlChecker, caa: CAAChecker, mailer: SMTPMailer?, clock: any WallClock,
        settings: Settings, events: OrderEvents
    ) {
        self.store = store
        self.checker = checker
        self.caa = caa
        self.mailer = mailer
        self.clock = clock
        self.settings = settings
        self.events = events
    }

    /// When a validation made at `date` stops counting.
    public func validationEnd(from date: Date) -> Date {
        date.addingTimeInterval(Double(settings.reuseDays ?? settings.policy.domainReuseDays(on: date)) * 86_400)
    }

    /// The DNS names whose control a certificate needs: its SANs (TLS) or its mailboxes' domains.
    public static func validationNames(of names: CertificateNames, isTLS: Bool) -> [String] {
        if isTLS { return names.subjectAlternativeNames(isTLS: true) }
        var seen: Set<String> = []
        return names.emails.compactMap { EmailAddress($0)?.domain.value }.filter { seen.insert($0).inserted }
    }

    /// Those of `names` that no validation within `scope` covers at `date`: a current validation of
    /// the container's domains, or only the order's own checks (`orderDCV`).
    public func uncovered(
        _ names: [String], scope: DCVScope, orderDCV: OrderDCV?, containerID: Int,
        connection: StoreSession<some SessionAccess>, at date: Date
    ) throws -> [String] {
        if scope == .order { return names.filter { orderDCV?.validates($0) != true } }
        let open = names.filter { orderDCV?.validatesItself($0) != true }
        guard !open.isEmpty else { return [] }
        let domains = try connection.validDomains(covering: open, containerID: containerID, at: date)
        return open.filter { name in !domains.contains { $0.covers(DNSName(checked: name), at: date) } }
    }

    /// The names of an order's waiting certificates (pending or approved) that still need validation.
    public func awaitingNames(of order: Order, connection: StoreSession<some SessionAccess>, at date: Date) throws -> [String] {
        try awaitingNamesWithCSR(of: order, connection: connection, at: date).map(\.name)
    }

    /// The same, each with the CSR of the certificate that asks for it (Sectigo values hash it).
    public func awaitingNamesWithCSR(
        of order: Order, connection: StoreSession<some SessionAccess>, at date: Date
    ) throws
        -> [(name: String, csr: String)]
    {
        guard let product = order.product else { return [] }
        var names: [(String, String)] = []
        var seen: Set<String> = []
        for certificate in try connection.certificates(orderID: order.id)
        where certificate.status == .pending || certificate.status == .approved {
            for name in Self.validationNames(of: certificate.names, isTLS: product.isTLS) where seen.insert(name).inserted {
                names.append((name, certificate.csr))
            }
        }
        let waiting = Set(
            try uncovered(
                names.map(\.0), scope: DCVScope(product: product, origin: order.origin), orderDCV: order.dcv,
                containerID: order.containerID, connection: connection, at: date))
        return names.filter { waiting.contains($0.0) }
    }

    /// Sectigo-style values for a CSR under an order's DCV state: the unique value is derived
    /// from the order's random value, so it stays the same across calls.
    public func sectigoValues(csrPEM: String, dcv: OrderDCV) -> SectigoDCVValues? {
        guard let der = try? PEM.derBytes(of: csrPEM) else { return nil }
        return SectigoDCVValues(csrDER: der, uniqueValue: String(dcv.randomValue.prefix(12)), brand: settings.sectigoBrand)
    }

    /// Adds to an order's DCV state the `names` that no validation covers yet (inside the
    /// caller's transaction): a random value for the order, a pending domain for each name.
    /// Returns the new state (`nil` when nothing needs validating) and the names it added.
    public func prepare(
        existing: OrderDCV?, names: [String], product: Product, scope: DCVScope, method: String,
        methodsByName: [String: String] = [:], containerID: Int, organizationID: Int?, connection: WriteSession, at date: Date
    ) throws -> (dcv: OrderDCV?, added: [String]) {
        guard settings.mode == .checked else { return (existing, []) }
        let waiting = try uncovered(
            names, scope: scope, orderDCV: existing, containerID: containerID, connection: connection, at: date
        )
        .filter { existing?.names[$0]?.status != "pending" }
        guard !waiting.isEmpty || (existing == nil && product.validationLevel == .dv) else { return (existing, []) }
        let expires = date.addingTimeInterval(RandomValue.lifetime)
        var dcv = existing ?? OrderDCV(randomValue: RandomValue.make(), expires: expires)
        if dcv.expires <= date {
            dcv.randomValue = RandomValue.make()
            dcv.expires = expires
        }
        for name in waiting {
            // The name's own method when one was asked for (the reseller's domain_dcv), for the
            // order's state and the domain's record alike; an address shows control by a file only
            // (BR 3.2.2.5, DigiCert: "you must use HTTP Practical Demonstration").
            let chosen = CertificateNames.isIPAddress(name) ? DCVMethod.httpToken.rawValue : methodsByName[name] ?? method
            dcv.names[name] = OrderDCV.NameState(method: chosen, status: "pending")
            // An order that validates itself adds nothing to the container's domains.
            if scope == .order { continue }
            _ = try connection.addDomain(
                name: name.hasPrefix("*.") ? String(name.dropFirst(2)) : name, containerID: containerID, method: chosen,
                token: RandomValue.make(), tokenExpires: expires, organizationID: organizationID, at: date)
        }
        return (dcv, waiting)
    }

    /// When to check an order again after `attempts` checks; `nil` when only e-mail is awaited.
    public func nextCheck(after attempts: Int, dcv: OrderDCV, from date: Date) -> Date? {
        guard dcv.awaitsChecks, dcv.expires > date else { return nil }
        let delay = min(settings.recheckMaximum, settings.recheckBase * pow(2, Double(min(attempts, 20))))
        return date.addingTimeInterval(delay)
    }

    // MARK: e-mail

    /// Writes validation messages for `names` to the outbox (in the caller's transaction): to the
    /// five constructed addresses at each name's base domain, or to `recipients` when given.
    @discardableResult
    public func queueEmails(
        for names: [String], recipients: [String]? = nil, orderID: Int?, domainID: Int?, containerID: Int,
        connection: WriteSession, at date: Date
    ) throws -> [DCVEmail] {
        var queued: [DCVEmail] = []
        for name in names {
            let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
            let addresses = recipients ?? Array(ApproverEmail.addresses(for: bare).prefix(ApproverEmail.localParts.count))
            for address in addresses {
                let code = RandomValue.make()
                let expires = date.addingTimeInterval(RandomValue.lifetime)
                var email = DCVEmail(
                    containerID: containerID, orderID: orderID, domainID: domainID, name: bare, recipient: address,
                    subject: "Domain control validation for \(bare)",
                    body: """
                        Signet was asked to issue a certificate for \(bare).

                        If you control \(ApproverEmail.validatedDomain(by: address, for: bare) ?? bare) and approve, open this link:

                          \(settings.publicURL)/dcv/email/\(code)

                        Approval code: \(code)
                        The link works until \(APITime.timestamp(expires)). If you did not expect this message, ignore it.
                        """,
                    code: code, dateCreated: date, expires: expires)
                email.id = try connection.insertEmail(email)
                queued.append(email)
            }
        }
        return queued
    }

    /// Hands unsent outbox messages to the SMTP server, if one is configured. Without one the
    /// outbox is the delivery: an administrator reads it (`signet outbox`, `GET /services/v2/outbox`).
    public func deliverPendingEmails(limit: Int = 50) async {
        guard let mailer else { return }
        let now = clock.now()
        // Leased rows are this pass's alone: no other pass or instance sends them twice.
        guard
            let pending = try? await store.write({
                try $0.leaseUnsentEmails(at: now, leaseUntil: now.addingTimeInterval(120), limit: limit)
            })
        else { return }
        for email in pending {
            var failure: String?
            do {
                try await mailer.send(
                    MailMessage(from: settings.mailFrom, to: email.recipient, subject: email.subject, body: email.body))
            } catch {
                failure = "\(error)"
            }
            SignetMetrics.emailSent(failure == nil)
            let now = clock.now()
            let outcome = failure
            _ = try? await store.write { try $0.markEmailSent(id: email.id, at: outcome == nil ? now : nil, error: outcome) }
        }
    }

    /// What an e-mailed link would validate, without validating it: opening a link (or a mail
    /// scanner prefetching it) changes nothing; only ``confirmEmailLink(code:)`` does.
    public func emailLink(code: String) async throws -> EmailLink {
        let now = clock.now()
        return try await store.read { connection in
            guard let email = try connection.email(code: code), let link = EmailLink(email, now: now) else {
                throw WorkflowError.invalidEmailLink
            }
            return link
        }
    }

    /// The approver's confirmation: validates the domain of the address the link went to (and the
    /// names below it). A code validates once, before it expires. The link of an order that
    /// validates itself (``DCVScope/order``) validates that order's names only.
    public func confirmEmailLink(code: String) async throws -> EmailLink {
        let now = clock.now()
        return try await store.write { connection in
            guard let email = try connection.email(code: code), let link = EmailLink(email, now: now),
                try connection.markEmailFollowed(id: email.id, at: now)
            else { throw WorkflowError.invalidEmailLink }
            if let orderID = email.orderID, let order = try connection.order(id: orderID, forUpdate: true),
                order.dcvScope == .order, var dcv = order.dcv
            {
                for (name, state) in dcv.names where state.status != "valid" {
                    guard DNSName(checked: name).isCovered(byValidatedDomain: link.domain) else { continue }
                    dcv.names[name] = OrderDCV.NameState(method: state.method, status: "valid", checkedAt: now)
                }
                try connection.setOrderDCV(
                    orderID: orderID, dcv, nextCheck: self.nextCheck(after: dcv.attempts, dcv: dcv, from: now))
                try self.events.emit(.dcvUpdated, order: order, connection: connection, at: now)
                return link
            }
            try connection.recordDomainValidation(
                name: link.domain, containerID: email.containerID, at: now, until: self.validationEnd(from: now),
                coversSubdomains: true, method: DCVMethod.email.rawValue)
            return link
        }
    }

    // MARK: checks

    /// One name's result in a check of an order.
    public struct NameResult: Sendable {
        public let name: String
        public let method: String
        /// `nil` for e-mail, which no check can pass.
        public let outcome: DCVOutcome?

        public init(name: String, method: String, outcome: DCVOutcome?) {
            self.name = name
            self.method = method
            self.outcome = outcome
        }
    }

    /// Checks every name of the order that still needs validation, now, and records what passed.
    public func check(orderID: Int) async throws -> [NameResult] {
        let now = clock.now()
        guard settings.mode == .checked else { return [] }
        let (order, waitingWithCSR, domainTokens, targets) = try await store.read {
            connection -> (Order, [(name: String, csr: String)], [String: String], NamePolicy) in
            guard let order = try connection.order(id: orderID) else { throw WorkflowError.orderNotFound(String(orderID)) }
            let targets = try connection.container(id: order.containerID)?.namePolicy ?? .public
            let waiting = try self.awaitingNamesWithCSR(of: order, connection: connection, at: now)
            var tokens: [String: String] = [:]
            for name in waiting.map(\.name) {
                let bare = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
                if let domain = try connection.domain(name: bare, containerID: order.containerID), let token = domain.token,
                    (domain.tokenExpires ?? .distantPast) > now
                {
                    tokens[name] = token
                }
            }
            return (order, waiting, tokens, targets)
        }
        let defaultMethod = order.options.dcvMethod ?? DCVMethod.email.rawValue
        var results: [NameResult] = []
        for (name, csr) in waitingWithCSR {
            let methodName = order.dcv?.names[name]?.method ?? defaultMethod
            if let sectigo = await checkSectigo(methodName, name: name, csr: csr, dcv: order.dcv) {
                results.append(NameResult(name: name, method: methodName, outcome: sectigo))
                continue
            }
            guard let method = DCVMethod(rawValue: methodName), DCVMethod.isCheckedInBackground(method.rawValue) else {
                results.append(NameResult(name: name, method: methodName, outcome: nil))
                continue
            }
            var tokens = domainTokens[name].map { [$0] } ?? []
            if let dcv = order.dcv, dcv.expires > now { tokens.append(dcv.randomValue) }
            results.append(
                NameResult(
                    name: name, method: methodName,
                    outcome: await checker.check(method, name: name, tokens: tokens, targets: targets)))
        }
        try await record(results, orderID: orderID, at: now)
        return results
    }

    /// The reseller dialect's methods (`dns`, `http`, `https`): Sectigo's CNAME and file; `nil` for others.
    private func checkSectigo(_ method: String, name: String, csr: String, dcv: OrderDCV?) async -> DCVOutcome? {
        guard ["dns", "http", "https"].contains(method), let dcv, let values = sectigoValues(csrPEM: csr, dcv: dcv) else {
            return nil
        }
        switch method {
        case "dns": return await checker.sectigoCNAME(name: name, values: values)
        default: return await checker.sectigoFile(name: name, values: values, https: method == "https")
        }
    }

    /// Stores the validations that passed and the order's new DCV state, and schedules the next check.
    public func record(
        _ results: [NameResult], orderID: Int, at now: Date, attachment: (any OrderAttachment)? = nil
    ) async throws {
        SignetMetrics.dcvChecked(results)
        let end = validationEnd(from: now)
        try await store.write { connection in
            guard let order = try connection.order(id: orderID, forUpdate: true) else { return }
            try attachment?.write(for: order, cost: .zero, connection: connection, at: now)
            var dcv =
                order.dcv ?? OrderDCV(randomValue: RandomValue.make(), expires: now.addingTimeInterval(RandomValue.lifetime))
            for result in results {
                var state = dcv.names[result.name] ?? OrderDCV.NameState(method: result.method, status: "pending")
                state.checkedAt = now
                switch result.outcome {
                case .passed(let domain)?:
                    // Only DNS methods validate the names below; HTTP validates the one name (BR 3.2.2.4.18).
                    // The check of an order that validates itself validates that order alone.
                    let method = DCVMethod(rawValue: result.method)
                    let coversSubdomains = result.method == "dns" || (method?.coversSubdomains ?? false && method != .email)
                    if order.dcvScope != .order {
                        try connection.recordDomainValidation(
                            name: domain, containerID: order.containerID, at: now, until: end,
                            coversSubdomains: coversSubdomains, method: result.method)
                    }
                    state.status = "valid"
                    state.detail = nil
                    state.failure = nil
                case .failed(let failure)?:
                    state.status = "pending"
                    state.detail = failure.detail
                    state.failure = failure.kind.rawValue
                case nil:
                    state.status = "pending"
                }
                dcv.names[result.name] = state
            }
            let anyPassed = results.contains { result in
                if case .passed? = result.outcome { return true }
                return false
            }
            dcv.attempts += 1
            try connection.setOrderDCV(orderID: orderID, dcv, nextCheck: self.nextCheck(after: dcv.attempts, dcv: dcv, from: now))
            if anyPassed { try self.events.emit(.dcvUpdated, order: order, connection: connection, at: now) }
        }
    }

    /// The CAA verdicts that forbid or block issuance for `names`, by name; empty when all are permitted.
    public func caaProblems(_ names: [String], requester: CAARequester = CAARequester()) async -> [String: CAAVerdict] {
        guard settings.mode == .checked else { return [:] }
        var problems: [String: CAAVerdict] = [:]
        // CAA is a property of DNS names (RFC 8659); an address has none.
        for name in names where !CertificateNames.isIPAddress(name) {
            let verdict = await caa.check(name, accountURI: requester.accountURI, method: requester.methods[name])
            if verdict != .permitted { problems[name] = verdict }
        }
        return problems
    }

    /// The order's due background checks: at most `limit` orders per pass.
    public func checkDueOrders(limit: Int = 100) async throws -> [Int] {
        guard settings.mode == .checked else { return [] }
        let now = clock.now()
        let due = try await store.write {
            try $0.leaseOrdersDueForDCV(at: now, leaseUntil: now.addingTimeInterval(300), limit: limit)
        }
        for orderID in due { _ = try await check(orderID: orderID) }
        return due
    }
}
