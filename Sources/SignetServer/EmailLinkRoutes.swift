import Foundation
import SignetCore
import SignetRA
import Vapor

/// The link in a validation e-mail (BR 3.2.2.4.4). Opening it shows what it would approve and a
/// button; only pressing the button (a POST) validates, so that a mail scanner or a link preview
/// that fetches every URL of a message validates nothing.
struct EmailLinkRoutes: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("dcv", "email", ":code", use: show)
        routes.post("dcv", "email", ":code", use: confirm)
    }

    func show(_ request: Request) async throws -> Response {
        let code = request.parameters.get("code") ?? ""
        do {
            let link = try await request.services.registration.domainControl.emailLink(code: code)
            let order = link.orderID.map { " (order \($0))" } ?? ""
            return Self.page(
                status: .ok, title: "Confirm control of \(link.domain)",
                body: """
                    <p>Signet was asked to issue a certificate for names under <b>\(Self.escape(link.domain))</b>\(order).
                    This message went to \(Self.escape(link.recipient)), an address that approves \(Self.escape(link.domain)).</p>
                    <form method="post" action="/dcv/email/\(Self.escape(code))">
                      <button type="submit">I control \(Self.escape(link.domain)) and approve</button>
                    </form>
                    <p>If you did not expect this request, close this page: nothing has been approved.</p>
                    """)
        } catch WorkflowError.invalidEmailLink {
            return Self.unknownLink
        }
    }

    func confirm(_ request: Request) async throws -> Response {
        let services = request.services
        let code = request.parameters.get("code") ?? ""
        do {
            let link = try await services.registration.domainControl.confirmEmailLink(code: code)
            if let orderID = link.orderID {
                let registration = services.registration
                Task { _ = try await registration.advanceApprovedCertificates(orderID: orderID) }
            }
            return Self.page(
                status: .ok, title: "Approved",
                body: "<p>Thank you: control of <b>\(Self.escape(link.domain))</b> is validated.</p>")
        } catch WorkflowError.invalidEmailLink {
            return Self.unknownLink
        }
    }

    static var unknownLink: Response {
        page(
            status: .notFound, title: "Unknown link",
            body: "<p>This validation link is unknown, was used already, or has expired.</p>")
    }

    static func page(status: HTTPResponseStatus, title: String, body: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
            <title>\(escape(title))</title></head>
            <body><h1>\(escape(title))</h1>
            \(body)
            </body></html>

            """
        let response = Response(status: status, body: .init(string: html))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
