"""Drives Signet's ACME server with the Python `acme` library (certbot's), unchanged: one scenario
per call, printing one JSON object for the Swift test to judge.

    acme_client.py DIRECTORY KID HMAC STATE_DIR SCENARIO [ARGS...]

Scenarios: order NAME (register, open an order, print its URL), issue NAME PORT (http-01 served on
PORT, finalize, wait, print the chain), finalize-only NAME PORT (stop after finalize: print the order),
poll ORDER_URL (wait for the certificate), keychange, deactivate, badnonce, problems.
"""
import http.server
import json
import os
import sys
import threading
import time

import josepy as jose
import requests
from acme import client, crypto_util, errors, messages
from acme import jws as acme_jws
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DIRECTORY, KID, HMAC, STATE, SCENARIO = sys.argv[1:6]
ARGS = sys.argv[6:]


def out(**fields):
    print(json.dumps(fields))
    sys.stdout.flush()


def account_key():
    path = os.path.join(STATE, "account.pem")
    if os.path.exists(path):
        with open(path, "rb") as handle:
            return jose.JWKEC(key=serialization.load_pem_private_key(handle.read(), password=None))
    key = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return jose.JWKEC(key=key)


def connect(key):
    network = client.ClientNetwork(key, alg=jose.ES256, user_agent="signet-tests", verify_ssl=False)
    directory = client.ClientV2.get_directory(DIRECTORY, network)
    return client.ClientV2(directory, network), directory


def register(acme, directory, key):
    binding = messages.ExternalAccountBinding.from_data(
        account_public_key=key.public_key(), kid=KID, hmac_key=HMAC, directory=directory)
    registration = messages.NewRegistration.from_data(
        email="ops@example.com", terms_of_service_agreed=True, external_account_binding=binding)
    try:
        return acme.new_account(registration)
    except errors.ConflictError as conflict:
        # The key has an account already (200 with its Location): use it.
        account = messages.RegistrationResource(uri=conflict.location, body=messages.Registration())
        acme.net.account = account
        return account


def csr_for(names):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return crypto_util.make_csr(pem, names)


def serve_http01(port, responses):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = responses.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            if body:
                self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def answer_http01(acme, order, port):
    responses = {}
    server = serve_http01(port, responses)
    try:
        for authorization in order.authorizations:
            if authorization.body.status == messages.STATUS_VALID:
                continue
            challenge = next(c for c in authorization.body.challenges if c.chall.typ == "http-01")
            response, validation = challenge.response_and_validation(acme.net.key)
            responses["/.well-known/acme-challenge/" + challenge.chall.encode("token")] = validation
            acme.answer_challenge(challenge, response)
        return acme.poll_authorizations(order, deadline_after(30))
    finally:
        server.shutdown()


def deadline_after(seconds):
    import datetime
    return datetime.datetime.now() + datetime.timedelta(seconds=seconds)


def problem(exception):
    if isinstance(exception, messages.Error):
        return {"type": exception.typ, "detail": exception.detail}
    return {"type": type(exception).__name__, "detail": str(exception)}


def main():
    key = account_key()
    acme, directory = connect(key)
    if SCENARIO == "order":
        register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        out(order=order.uri, status=order.body.status.name)
    elif SCENARIO in ("issue", "finalize-only"):
        register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        order = answer_http01(acme, order, ARGS[1])
        if SCENARIO == "finalize-only":
            order = acme.begin_finalization(order)
            out(order=order.uri, status=order.body.status.name)
        else:
            order = acme.finalize_order(order, deadline_after(30))
            out(order=order.uri, status=order.body.status.name, chain=order.fullchain_pem)
    elif SCENARIO == "finalize-unavailable":
        # The CA's key is away: finalize answers a problem, and the order stays ready.
        register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        order = answer_http01(acme, order, ARGS[1])
        try:
            order = acme.begin_finalization(order)
            out(status=order.body.status.name)
        except messages.Error as error:
            out(error=problem(error), after=acme.poll(order.authorizations[0])[0].body.status.name,
                order=order.uri)
    elif SCENARIO == "profile":
        register(acme, directory, key)
        try:
            order = acme.new_order(csr_for([ARGS[0]]), profile=ARGS[2])
        except messages.Error as error:
            out(error=problem(error))
            return
        order = answer_http01(acme, order, ARGS[1])
        order = acme.finalize_order(order, deadline_after(30))
        out(profile=order.body.profile, chain=order.fullchain_pem)
    elif SCENARIO == "ari":
        # RFC 9773: the window of a fresh certificate, of a revoked one, and `replaces`.
        account = register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        order = answer_http01(acme, order, ARGS[1])
        order = acme.finalize_order(order, deadline_after(30))
        pem = order.fullchain_pem.encode()
        fresh, _ = acme.renewal_time(pem)
        from acme import crypto_util as cu
        from cryptography import x509
        certificate = x509.load_pem_x509_certificate(pem)
        acme.revoke(jose.ComparableX509(certificate) if hasattr(jose, "ComparableX509") else certificate, 1)
        revoked, _ = acme.renewal_time(pem)
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        serial = certificate.serial_number.to_bytes((certificate.serial_number.bit_length() + 8) // 8, "big")
        cert_id = jose.b64encode(aki).decode() + "." + jose.b64encode(serial).decode()
        body = {"identifiers": [{"type": "dns", "value": ARGS[0]}], "replaces": cert_id}

        class Raw:
            def json_dumps(self, indent=None):
                return json.dumps(body)

        def replace():
            try:
                return acme.net.post(directory["newOrder"], Raw()).status_code
            except messages.Error as error:
                return error.typ
            except errors.ConflictError:
                return 409

        first = replace()
        again = replace()
        out(fresh=fresh.isoformat() if fresh else None, revoked=revoked.isoformat() if revoked else None,
            not_after=certificate.not_valid_after_utc.isoformat(), replaced=first, again=again)
    elif SCENARIO == "caa":
        # RFC 8657: ARGS = zone, challenge port, unbound's config. CAA naming another account, this
        # account with another method, and this account with http-01.
        import subprocess
        zone, port, config = ARGS
        account = register(acme, directory, key)

        def record(line):
            subprocess.run(["unbound-control", "-c", config, "local_data", line], check=True, capture_output=True)

        cases = {
            "other": "accounturi=https://elsewhere.example/acme/account/1",
            "method": "accounturi=" + account.uri + "; validationmethods=dns-01",
            "mine": "accounturi=" + account.uri + "; validationmethods=http-01",
        }
        results = {}
        for label, parameters in cases.items():
            name = label + "." + zone
            record(name + ". A 127.0.0.1")
            record(name + '. CAA 0 issue "signet.test; ' + parameters + '"')
            try:
                order = acme.new_order(csr_for([name]))
                order = answer_http01(acme, order, port)
                order = acme.finalize_order(order, deadline_after(30))
                results[label] = "issued"
            except messages.Error as error:
                results[label] = error.typ
        out(**results)
    elif SCENARIO == "dns-account":
        # draft-ietf-acme-dns-account-label: ARGS = name, unbound's config.
        import base64, hashlib, subprocess
        name, config = ARGS
        account = register(acme, directory, key)
        order = acme.new_order(csr_for([name]))
        authorization = order.authorizations[0]
        # The library reads an unknown challenge type as an UnrecognizedChallenge: its JSON is all there is.
        challenge = next(c for c in authorization.body.challenges if c.to_partial_json().get("type") == "dns-account-01")
        label = "_" + base64.b32encode(hashlib.sha256(account.uri.encode()).digest()[:10]).decode().lower()
        token = challenge.to_partial_json()["token"]
        key_authorization = token + "." + jose.b64encode(key.thumbprint()).decode()
        digest = jose.b64encode(hashlib.sha256(key_authorization.encode()).digest()).decode()
        subprocess.run(["unbound-control", "-c", config, "local_data",
                        label + "._acme-challenge." + name + ". 60 TXT " + digest], check=True, capture_output=True)
        class Ready:  # an empty object, which the library would send as an empty (POST-as-GET) body
            def json_dumps(self, indent=None):
                return "{}"

        answer = acme.net.post(challenge.uri, Ready())
        out(status=answer.json().get("status"), label=label)
    elif SCENARIO == "dns-persist":
        # draft-ietf-acme-dns-persist: a record in place makes a new order ready at once. ARGS = name, config, issuer.
        import subprocess
        name, config, issuer = ARGS
        account = register(acme, directory, key)
        for owner, policy in ((name, ""), ("*." + name, "; policy=wildcard")):
            subprocess.run(["unbound-control", "-c", config, "local_data",
                            "_validation-persist." + name + '. 60 TXT "' + issuer + "; accounturi=" + account.uri + policy + '"'],
                           check=True, capture_output=True)
        order = acme.new_order(csr_for([name, "*." + name]))
        persist = [c for a in order.authorizations for c in a.body.challenges
                   if c.to_partial_json().get("type") == "dns-persist-01"]
        order = acme.finalize_order(order, deadline_after(30))
        out(status=order.body.status.name, chain=order.fullchain_pem, offered=len(persist))
    elif SCENARIO == "poll":
        register(acme, directory, key)
        deadline = time.time() + 30
        while True:
            response = acme._post_as_get(ARGS[0])
            body = messages.Order.from_json(response.json())
            if body.status.name in ("valid", "invalid") or time.time() > deadline:
                break
            time.sleep(0.5)
        out(status=body.status.name, certificate=body.certificate,
            error=body.error.to_partial_json() if body.error else None)
    elif SCENARIO == "tls-alpn-plain":
        # tls-alpn-01 against a TLS server that does not speak acme-tls/1: ARGS = name, port, cert, key.
        import socket
        import ssl
        register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ARGS[2], ARGS[3])
        listener = socket.create_server(("127.0.0.1", int(ARGS[1])))

        def serve():
            while True:
                connection, _ = listener.accept()
                try:
                    context.wrap_socket(connection, server_side=True).close()
                except (ssl.SSLError, OSError):
                    connection.close()

        threading.Thread(target=serve, daemon=True).start()
        challenge = next(c for c in order.authorizations[0].body.challenges
                         if c.to_partial_json().get("type") == "tls-alpn-01")

        class Ready:
            def json_dumps(self, indent=None):
                return "{}"

        acme.net.post(challenge.uri, Ready())
        raw = acme._post_as_get(challenge.uri).json()
        out(status=raw.get("status"), error=raw.get("error"))
    elif SCENARIO == "deactivate-authz":
        # RFC 8555 7.5.2: deactivating an authorization ends the order; a second time is refused.
        register(acme, directory, key)
        order = acme.new_order(csr_for([ARGS[0]]))
        authorization = order.authorizations[0]
        deactivated = acme.deactivate_authorization(authorization)
        body = messages.Order.from_json(acme._post_as_get(order.uri).json())
        try:
            acme.deactivate_authorization(authorization)
            again = None
        except messages.Error as error:
            again = problem(error)
        out(authorization=deactivated.body.status.name, order=body.status.name, uri=order.uri,
            error=body.error.to_partial_json() if body.error else None, again=again)
    elif SCENARIO == "keychange":
        account = register(acme, directory, key)
        new_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP384R1()))
        url = directory["keyChange"]
        # RFC 8555 7.3.5 (the library has no call for it): the inner JWS by the new key, no nonce.
        inner = acme_jws.JWS.sign(json.dumps({"account": account.uri, "oldKey": key.public_key().to_json()}).encode(),
                                  key=new_key, alg=jose.ES384, nonce=None, url=url)

        class Raw:
            def json_dumps(self, indent=None):
                return inner.json_dumps()

        acme.net.post(url, Raw())
        old_acme, _ = connect(key)
        try:
            old_acme.new_account(messages.NewRegistration.from_data(only_return_existing=True))
            old_found = True
        except messages.Error as error:
            old_found = error.typ
        new_network = client.ClientNetwork(new_key, alg=jose.ES384, user_agent="signet-tests", verify_ssl=False)
        new_acme = client.ClientV2(client.ClientV2.get_directory(DIRECTORY, new_network), new_network)
        try:
            new_acme.new_account(messages.NewRegistration.from_data(only_return_existing=True))
            found = None
        except errors.ConflictError as conflict:
            found = conflict.location
        out(account=account.uri, old=old_found, new=found)
    elif SCENARIO == "deactivate":
        account = register(acme, directory, key)
        deactivated = acme.deactivate_registration(account)
        try:
            acme.new_order(csr_for(["after.example.com"]))
            refused = None
        except messages.Error as error:
            refused = problem(error)
        out(status=deactivated.body.status, refused=refused)
    elif SCENARIO == "badnonce":
        account = register(acme, directory, key)
        url = directory["newOrder"]
        # A request signed with a nonce the server never gave: badNonce, with a fresh nonce to retry.
        body = acme_jws.JWS.sign(b"{}", key=key, alg=jose.ES256, nonce=b"never-given", url=url, kid=account.uri)
        answer = requests.post(url, data=body.json_dumps(), headers={"Content-Type": "application/jose+json"})
        out(status=answer.status_code, type=answer.json().get("type"), nonce=answer.headers.get("Replay-Nonce"))
    elif SCENARIO == "problems":
        register(acme, directory, key)
        results = {}
        for name, identifiers in (("internal", ["db.corp.internal"]), ("ip", ["10.0.0.1"])):
            try:
                acme.new_order(csr_for(identifiers))
                results[name] = None
            except messages.Error as error:
                results[name] = problem(error)
        try:
            acme.new_order(csr_for(["profile.example.com"]), profile="no-such-profile")
            results["profile"] = None
        except messages.Error as error:
            results["profile"] = problem(error)
        out(**results)
    else:
        raise SystemExit("unknown scenario " + SCENARIO)


if __name__ == "__main__":
    main()
