import SignetCore
import SignetHTTP
import SignetRA
import Vapor

/// `GET /product` and `GET /product/{name_id}`, rendered from the one product catalog.
struct ProductRoutes: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("product") { _ in
            try CertCentralFormat.response(["products": ProductCatalog.all.map(ProductView.init)])
        }
        routes.get("product", ":name_id") { request in
            let id = request.parameters.get("name_id") ?? ""
            guard let product = ProductCatalog.product(nameID: id) else { throw OrderRuleError.unknownProduct(id) }
            return try CertCentralFormat.response(ProductView(product))
        }
    }
}

struct ProductView: Encodable {
    struct HashType: Encodable {
        let id: String
        let name: String
    }

    struct HashTypes: Encodable {
        let allowedHashTypes: [HashType]
        let defaultHashTypeId: String
    }

    let groupName: String
    let nameId: String
    let name: String
    let type: String
    let validationType: String
    let duplicatesAllowed: Bool
    let allowedValidityYears: [Int]
    let allowedOrderValidityYears: [Int]
    let maxMultiYearOrderValidityYears: Int
    let customExpirationDateAllowed: Bool
    let customOrderExpirationDateAllowed: Bool
    let signatureHashTypes: HashTypes
    let additionalDnsNamesAllowed: Bool
    let wildcardAllowed: Bool
    let maximumDomains: Int
    let csrRequired: Bool
    let allowAutoRenew: Bool
    let allowedContainerIds: [Int]
    let serverPlatforms: [ServerPlatform.View]
    /// Per year, covering the common name; `price_per_additional_name` per further name and year.
    let price: String
    let pricePerAdditionalName: String
    let currency: String

    init(_ product: Product) {
        groupName = product.groupName
        nameId = product.nameID
        name = product.name
        type = product.typeName
        validationType = product.validationLevel.rawValue
        duplicatesAllowed = true
        allowedValidityYears = Array(product.allowedValidityYears)
        allowedOrderValidityYears = Array(product.allowedValidityYears)
        maxMultiYearOrderValidityYears = product.allowedValidityYears.upperBound
        customExpirationDateAllowed = true
        customOrderExpirationDateAllowed = true
        signatureHashTypes = HashTypes(
            allowedHashTypes: product.allowedHashes.map { HashType(id: $0.rawValue, name: $0.displayName) },
            defaultHashTypeId: SignatureHash.sha256.rawValue)
        additionalDnsNamesAllowed = product.additionalNamesAllowed
        wildcardAllowed = product.wildcardAllowed
        maximumDomains = product.maximumNames
        csrRequired = true
        allowAutoRenew = true
        allowedContainerIds = []
        serverPlatforms = [-1, 2, 45, 14, 40, 67, 68].map(ServerPlatform.view)
        price = product.pricePerYear.description
        pricePerAdditionalName = product.pricePerAdditionalName.description
        currency = "USD"
    }
}
