import Foundation
import SignetCore
import SignetHTTP
import SignetRA
import SignetStore
import Vapor

/// An RFC 8555 problem document (RFC 7807): the error type, a detail for people, the status.
struct ACMEProblem: Error, Sendable, Equatable {
    let type: String
    let detail: String
    let status: HTTPResponseStatus
    var subproblems: [[String: String]] = []

    init(_ type: String, _ detail: String, _ status: HTTPResponseStatus = .badRequest) {
        self.type = type
        self.detail = detail
        self.status = status
    }

    static func malformed(_ detail: String) -> Self { .init("malformed", detail) }
    static func badNonce(_ detail: String) -> Self { .init("badNonce", detail) }
    static func badSignatureAlgorithm(_ detail: String) -> Self { .init("badSignatureAlgorithm", detail) }
    static func badPublicKey(_ detail: String) -> Self { .init("badPublicKey", detail) }
    static func unauthorized(_ detail: String) -> Self { .init("unauthorized", detail, .forbidden) }
    static func accountDoesNotExist(_ detail: String) -> Self { .init("accountDoesNotExist", detail) }
    static func externalAccountRequired(_ detail: String) -> Self { .init("externalAccountRequired", detail, .unauthorized) }
    static func notFound(_ detail: String) -> Self { .init("malformed", detail, .notFound) }

    var json: [UInt8] {
        var object: [String: Any] = [
            "type": "urn:ietf:params:acme:error:\(type)", "detail": detail, "status": Int(status.code),
        ]
        if !subproblems.isEmpty { object["subproblems"] = subproblems }
        var writer = JSONWriter(capacity: 256)
        writer.value(object)
        return writer.bytes
    }

    /// The problem for any error of the workflow, the store or the dialect.
    static func from(_ error: any Error) -> ACMEProblem {
        switch error {
        case let problem as ACMEProblem: return problem
        case let fault as InjectedFault:
            // RFC 8555 6.6: rateLimited for 429; the rest are the server's own failures.
            return fault.status == .tooManyRequests
                ? .init("rateLimited", "too many requests; retry after Retry-After", .tooManyRequests)
                : .init("serverInternal", "the server failed; retry shortly", fault.status)
        case let error as ACMEError: return from(error)
        case let error as OrderRuleError: return from(error)
        case let error as WorkflowError: return from(error)
        case StoreError.unavailable:
            return .init("serverInternal", "the database is unavailable; retry shortly", .serviceUnavailable)
        case let abort as any AbortError where abort.status.code < 500: return .malformed(abort.reason)
        default: return .init("serverInternal", "an internal error occurred", .internalServerError)
        }
    }

    static func from(_ error: ACMEError) -> ACMEProblem {
        switch error {
        case .accountDoesNotExist: return .accountDoesNotExist("no account exists with this key")
        case .externalAccountRequired: return .externalAccountRequired("an external account binding is required")
        case .unauthorized(let detail): return .unauthorized(detail)
        case .malformed(let detail): return .malformed(detail)
        case .badCSR(let detail): return .init("badCSR", detail)
        case .orderNotReady(let detail): return .init("orderNotReady", detail, .forbidden)
        case .rejectedIdentifier(let detail): return .init("rejectedIdentifier", detail)
        case .conflict(let detail): return .init("malformed", detail, .conflict)
        case .caa(let detail): return .init("caa", detail, .forbidden)
        case .invalidProfile(let detail): return .init("invalidProfile", detail)
        }
    }

    static func from(_ error: OrderRuleError) -> ACMEProblem {
        switch error {
        case .invalidDNSName, .wildcardNotAllowed, .ipAddressNotAllowed, .additionalNamesNotAllowed, .tooManyNames:
            return .init("rejectedIdentifier", error.description)
        case .invalidValue(let field, _)
        where field.hasPrefix("certificate.dns_names") || field.hasPrefix("certificate.common_name"):
            return .init("rejectedIdentifier", error.description)
        case .insufficientFunds: return .unauthorized("\(error.description): the account's funds do not cover the order")
        case .unknownProduct: return .init("invalidProfile", error.description)
        default: return .malformed(error.description)
        }
    }

    static func from(_ error: WorkflowError) -> ACMEProblem {
        switch error {
        case .invalidCSR: return .init("badCSR", error.description)
        case .orderNotFound, .certificateNotFound, .requestNotFound: return .notFound(error.description)
        case .forbidden: return .unauthorized(error.description)
        case .certificateAlreadyRevoked: return .init("alreadyRevoked", error.description)
        case .caaRefused: return .init("caa", error.description, .forbidden)
        case .signerUnavailable: return .init("serverInternal", error.description, .serviceUnavailable)
        default: return .malformed(error.description)
        }
    }
}
