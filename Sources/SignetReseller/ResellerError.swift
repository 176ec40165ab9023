import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// An error in the reseller dialect's envelopes (reseller.md 3): field errors as Laravel's 422
/// `{message, errors{field:[…]}}`, everything else as `{success:false, message, code}`.
struct ResellerError: Error, Sendable {
    let status: HTTPResponseStatus
    /// The machine-readable code, also sent as `message` (as the SDKs' exception maps expect).
    let code: String
    let detail: String
    let fields: [String: [String]]
    /// Seconds after which the call may succeed (`Retry-After`).
    var retryAfter: Int?

    init(_ status: HTTPResponseStatus, _ code: String, _ detail: String, fields: [String: [String]] = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields
    }

    /// The answer when an access key exceeds its request limits.
    static func rateLimited(retryAfter seconds: Double) -> ResellerError {
        var error = ResellerError(
            .tooManyRequests, "TOO_MANY_REQUESTS",
            "Too many requests for this access key; retry after the Retry-After header's seconds.")
        error.retryAfter = max(1, Int(seconds.rounded(.up)))
        return error
    }

    static func invalid(_ field: String, _ message: String) -> ResellerError {
        ResellerError(.unprocessableEntity, "VALIDATION_FAILED", message, fields: [field: [message]])
    }

    func response() -> Response {
        let response = Response(status: status)
        response.headers.contentType = .json
        var body: [String: JSONValue] = [
            "success": .bool(false), "code": .number(Double(status.code)), "error_code": .string(code), "detail": .string(detail),
        ]
        if fields.isEmpty {
            body["message"] = .string(code)
        } else {
            body["message"] = .string(detail)
            body["errors"] = .object(fields.mapValues { .array($0.map(JSONValue.string)) })
        }
        response.body = .init(data: Data(JSONValue.object(body).jsonText.utf8))
        if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        return response
    }
}

/// The reseller dialect's error table.
enum ResellerErrorTable {
    static func map(_ error: any Error) -> ResellerError? {
        switch error {
        case let error as ResellerError: return error
        case let fault as InjectedFault:
            switch fault.status {
            case .tooManyRequests: return .rateLimited(retryAfter: Double(fault.retryAfter ?? 1))
            case .serviceUnavailable:
                var error = ResellerError(.serviceUnavailable, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.")
                error.retryAfter = fault.retryAfter
                return error
            case .badGateway: return ResellerError(.badGateway, "BAD_GATEWAY", "Bad gateway.")
            case .gatewayTimeout: return ResellerError(.gatewayTimeout, "GATEWAY_TIMEOUT", "Gateway timeout.")
            default: return ResellerError(.internalServerError, "INTERNAL_ERROR", "An internal error occurred.")
            }
        case let error as OrderRuleError: return map(error)
        case let error as WorkflowError: return map(error)
        case let error as StoreError:
            switch error {
            case .unavailable:
                return ResellerError(.serviceUnavailable, "SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly.")
            case .uniqueViolation:
                return ResellerError(.conflict, "CONFLICT", "A concurrent request changed the same record; retry.")
            case .inconsistent: return ResellerError(.internalServerError, "INTERNAL_ERROR", "An internal error occurred.")
            }
        case is DecodingError: return ResellerError(.badRequest, "BAD_REQUEST", "The request body is not valid JSON.")
        case let failure as LintFailure where failure.isCausedByRequest:
            return .invalid(
                Self.field(failure.field ?? "csr"), "\(failure.field ?? "the certificate") cannot be certified: \(failure).")
        default: return nil
        }
    }

    /// The reseller parameter behind a field of Signet's order model.
    static func field(_ field: String) -> String {
        let parameters = [
            "organization.country": "country", "organization.city": "city", "organization.state": "state",
            "organization.name": "organization", "organization.registration_number": "serial_no",
            "certificate.dns_names": "domain_dcv", "certificate.common_name": "domain_dcv", "certificate.csr": "csr",
        ]
        return parameters[field] ?? field.replacingOccurrences(of: "certificate.", with: "")
    }

    /// A description as a sentence: capitalized, with a full stop.
    static func sentence(_ error: some CustomStringConvertible) -> String {
        let text = error.description
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
    }

    static func map(_ error: OrderRuleError) -> ResellerError {
        let message = sentence(error)
        switch error {
        case .missingField(let field):
            return .invalid(field.replacingOccurrences(of: "certificate.", with: ""), "The \(field) field is required.")
        case .invalidValue(let field, _):
            return .invalid(field, message)
        case .insufficientFunds:
            // HTTP 200 with success:false: the PHP SDK maps this to InsufficientBalanceException only then.
            return ResellerError(.ok, "INSUFFICIENT_BALANCE", message)
        case .idempotencyKeyReused:
            return ResellerError(.conflict, "UNIQUE_ID_REUSED", "unique_id was already used for a different request.")
        case .unknownProduct:
            return .invalid("product_id", message)
        case .invalidEmail:
            return .invalid("contact_email", message)
        case .invalidDNSName, .wildcardNotAllowed, .ipAddressNotAllowed, .additionalNamesNotAllowed, .tooManyNames,
            .dcvMethodNotAllowed, .dcvMethodsMixed:
            return .invalid("domain_dcv", message)
        default:
            return .invalid("request", message)
        }
    }

    static func map(_ error: WorkflowError) -> ResellerError {
        let message = sentence(error)
        switch error {
        case .invalidCSR:
            return .invalid("csr", message)
        case .forbidden:
            return ResellerError(.ok, "DO_NOT_HAVE_RIVILEGE", message)
        case .orderNotFound, .certificateNotFound, .requestNotFound, .organizationNotFound, .containerNotFound, .userNotFound,
            .domainNotFound:
            return ResellerError(.notFound, "NOT_FOUND", message)
        case .dcvCheckFailed, .caaRefused:
            return ResellerError(.badRequest, "DCV_FAILED", message)
        case .signerUnavailable:
            var unavailable = ResellerError(.serviceUnavailable, "SERVICE_UNAVAILABLE", message)
            unavailable.retryAfter = 30
            return unavailable
        default:
            return ResellerError(.badRequest, "INVALID_STATE", message)
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let integer = Self.integer(value) { try container.encode(integer) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let fields): try container.encode(fields)
        }
    }

    /// JSON text with sorted keys, keys exactly as they are.
    var jsonText: String { String(decoding: (try? Self.encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self) }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
