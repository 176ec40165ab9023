import SignetHTTP

/// Order info written straight into bytes: `GET /order/certificate/{id}` is CertCentral's most
/// frequent read, and encoding its view through `Encodable` took a sixth of its CPU. The bytes are
/// those ``SortedJSONEncoder`` (and so `CertCentralFormat.encoder`) writes for the same view:
/// keys in byte order, absent values left out (`OrderInfoJSONTests` compares them for orders at
/// every step). Each view's members are written in the order of their snake-case keys.
extension OrderInfoView {
    func json() -> [UInt8] {
        var json = JSONWriter(capacity: 4096)
        json.object { json in
            if let additionalEmails { json.strings("additional_emails", additionalEmails) }
            json.field("allow_duplicates", allowDuplicates)
            json.field("alternative_order_id", alternativeOrderId)
            json.field("auto_renew", autoRenew)
            if let caaStatusMessage { json.dictionary("caa_status_message", caaStatusMessage) }
            json.key("certificate")
            certificate.write(to: &json)
            json.field("comments", comments)
            if let container { json.idName("container", container.id, container.name) }
            json.field("currency", currency)
            if let customFields {
                json.key("custom_fields")
                json.array(customFields) { json, field in
                    json.object { json in
                        json.field("metadata_id", field.metadataId)
                        json.field("value", field.value)
                    }
                }
            }
            json.field("custom_renewal_message", customRenewalMessage)
            json.field("date_created", dateCreated)
            json.field("dcv_expiration_datetime", dcvExpirationDatetime)
            json.field("dcv_method", dcvMethod)
            json.field("dcv_random_value", dcvRandomValue)
            json.field("disable_ct", disableCt)
            json.field("disable_renewal_notifications", disableRenewalNotifications)
            if let domains {
                json.key("domains")
                json.array(domains) { json, domain in domain.write(to: &json) }
            }
            json.field("duplicates_count", duplicatesCount)
            json.field("id", id)
            json.field("is_multi_year_plan", isMultiYearPlan)
            json.field("is_renewal", isRenewal)
            json.field("is_renewed", isRenewed)
            json.field("locale", locale)
            json.field("order_valid_from", orderValidFrom)
            json.field("order_valid_till", orderValidTill)
            if let organization {
                json.key("organization")
                organization.write(to: &json)
            }
            if let organizationContact { organizationContact.write("organization_contact", to: &json) }
            json.field("payment_method", paymentMethod)
            json.key("price")
            json.number(price)
            json.key("product")
            product.write(to: &json)
            json.field("reissues_count", reissuesCount)
            json.field("renewal_of_order_id", renewalOfOrderId)
            json.field("renewed_order_id", renewedOrderId)
            json.field("renewed_thumbprint", renewedThumbprint)
            json.key("requests")
            json.array(requests) { json, request in
                json.object { json in
                    json.field("comments", request.comments)
                    json.field("date", request.date)
                    json.field("id", request.id)
                    json.field("status", request.status)
                    json.field("type", request.type)
                }
            }
            json.field("skip_approval", skipApproval)
            json.field("status", status)
            if let technicalContact { technicalContact.write("technical_contact", to: &json) }
            if let user {
                json.key("user")
                json.object { json in
                    json.field("email", user.email)
                    json.field("first_name", user.firstName)
                    json.field("id", user.id)
                    json.field("last_name", user.lastName)
                }
            }
            json.field("validity_years", validityYears)
        }
        return json.bytes
    }
}

extension OrderInfoView.OrganizationSummary {
    fileprivate func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("assumed_name", assumedName)
            json.field("city", city)
            json.field("country", country)
            json.field("display_name", displayName)
            json.field("id", id)
            json.field("is_active", isActive)
            json.field("name", name)
            json.field("state", state)
            json.field("telephone", telephone)
        }
    }
}

extension CertificateView {
    fileprivate func write(to json: inout JSONWriter) {
        json.object { json in
            if let caCert {
                json.key("ca_cert")
                json.object { json in
                    json.field("id", caCert.id)
                    json.field("name", caCert.name)
                }
            }
            json.field("common_name", commonName)
            json.field("csr", csr)
            json.field("date_created", dateCreated)
            json.field("date_issued", dateIssued)
            json.field("days_remaining", daysRemaining)
            json.strings("dns_names", dnsNames)
            if let emails { json.strings("emails", emails) }
            json.field("id", id)
            json.field("key_size", keySize)
            json.field("order_id", orderId)
            if let organization {
                json.key("organization")
                json.object { json in json.field("id", organization.id) }
            }
            json.strings("organization_units", organizationUnits)
            json.field("serial_number", serialNumber)
            json.key("server_platform")
            json.object { json in
                json.field("csr_url", serverPlatform.csrUrl)
                json.field("id", serverPlatform.id)
                json.field("install_url", serverPlatform.installUrl)
                json.field("name", serverPlatform.name)
            }
            json.field("signature_hash", signatureHash)
            json.field("status", status)
            json.field("thumbprint", thumbprint)
            json.field("valid_from", validFrom)
            json.field("valid_till", validTill)
        }
    }
}

extension ContactView {
    fileprivate func write(_ name: StaticString, to json: inout JSONWriter) {
        json.key(name)
        json.object { json in
            json.field("email", email)
            json.field("first_name", firstName)
            json.field("job_title", jobTitle)
            json.field("last_name", lastName)
            json.field("telephone", telephone)
        }
    }
}

extension ProductSummaryView {
    /// The order list's product (not `detailed`) leaves the validation members out, as they are `nil`.
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("name", name)
            json.field("name_id", nameId)
            json.field("type", type)
            json.field("validation_description", validationDescription)
            json.field("validation_name", validationName)
            json.field("validation_type", validationType)
        }
    }
}

extension OrderDCVNameView {
    fileprivate func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("dcv_method", dcvMethod)
            if let dcvToken {
                json.key("dcv_token")
                json.object { json in
                    json.field("expiration_date", dcvToken.expirationDate)
                    json.field("status", dcvToken.status)
                    json.field("token", dcvToken.token)
                }
            }
            json.field("id", id)
            json.field("message", message)
            json.field("name", name)
            json.field("status", status)
        }
    }
}

extension JSONWriter {
    fileprivate mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        array(values) { json, value in json.string(value) }
    }

    /// `"name": {"id": …, "name": …}`, the shape of a container or organization reference.
    mutating func idName(_ name: StaticString, _ id: Int, _ text: String) {
        key(name)
        object { json in
            json.field("id", id)
            json.field("name", text)
        }
    }

    /// A dictionary's keys are data, sorted by their bytes as the encoder sorts every object's.
    fileprivate mutating func dictionary(_ name: StaticString, _ values: [String: String]) {
        key(name)
        object { json in
            for (key, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                json.key(key)
                json.string(value)
            }
        }
    }
}
