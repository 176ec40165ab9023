"""certmesh (PyPI), unchanged, against a CertCentral double: order, poll, download, revoke.

Usage: certmesh_client.py CERTCENTRAL_BASE_URL COMMON_NAME   (the API key in CM_DIGICERT_API_KEY)
Prints one JSON line: the order's outcome, or the exception certmesh raised.
"""
import json
import sys

from certmesh.providers import digicert_client as dc

base, name = sys.argv[1], sys.argv[2]
config = {
    "base_url": base,
    "timeout_seconds": 10,
    "polling": {"interval_seconds": 1, "max_wait_seconds": 60},
    # certmesh retries rate limits and connection errors; short waits keep the test quick.
    "retry": {"max_attempts": 5, "wait_min_seconds": 0.2, "wait_max_seconds": 1, "wait_multiplier": 1},
    "circuit_breaker": {"failure_threshold": 20, "recovery_timeout_seconds": 1},
}
try:
    request = dc.OrderRequest(common_name=name, product_name_id="ssl_dv_geotrust", key_size=2048)
    bundle = dc.order_and_await_certificate(config, {}, None, request)
    revoked = dc.revoke_certificate(config, {}, None, certificate_id=int(bundle.source_id), reason="key_compromise")
    print(json.dumps({"issued": bundle.common_name, "serial": bundle.serial_number, "certificate": bundle.certificate_pem,
                      "source_id": bundle.source_id, "revoked": revoked}))
except Exception as error:  # the test reports what certmesh raised
    print(json.dumps({"error": type(error).__name__, "detail": str(error)[:500]}))
