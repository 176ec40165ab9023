#!/usr/bin/env python3
"""Makes the upgrade fixtures: an installation written by an earlier Signet, to prove that a newer
one opens it and keeps what it holds.

    make-upgrade-fixture.py OLD_SIGNET_BINARY OUTPUT_FOLDER [POSTGRES_URL]

Starts the old binary on a new data folder (SQLite, or PostgreSQL when a URL is given), places
orders in every state the old version knew (issued, waiting for DCV, waiting for approval, revoked,
a reissue, a reseller order with its details), then stops it and writes the folder's CA files and
keys, and the database as SQL text (sqlite3 .dump or pg_dump), with a manifest of what was stored.
The fixtures in Fixtures/upgrade were made from commit 6ef43b3, the last version on Fluent.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reseller  # noqa: E402  (the signing client the tests use)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + "/services/v2/" + path, data=data, method=method,
                                     headers={"X-DC-DEVKEY": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "{}")


def csr(folder, name):
    key, request = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-subj", "/CN=" + name, "-keyout", key, "-out", request], check=True, capture_output=True)
    return open(request).read()


def main():
    binary, output = sys.argv[1], sys.argv[2]
    database_url = sys.argv[3] if len(sys.argv) > 3 else None
    work = tempfile.mkdtemp()
    data = os.path.join(work, "data")
    env = dict(os.environ, **({"DATABASE_URL": database_url} if database_url else {}))

    def admin(*arguments):
        result = subprocess.run([binary, *arguments, "--data", data], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"signet {' '.join(arguments)}: {result.stderr}")
        return result.stdout

    # A name server that knows no names: CAA permits everything, DNS validation finds nothing.
    dns_port = free_port()
    config = os.path.join(work, "unbound.conf")
    open(config, "w").write(f"""server:
  interface: 127.0.0.1
  port: {dns_port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{work}"
  pidfile: ""
  use-syslog: no
  do-ip6: no
  module-config: "iterator"
  local-zone: "." static
""")
    dns = subprocess.Popen(["unbound", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--rate-limit", "off",
                               "--caa-identity", "signet.test", "--dns-server", f"127.0.0.1:{dns_port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    key = open(os.path.join(data, "admin-api-key")).read().strip()
    admin("balance", "add", "100000")
    admin("domain", "validate", "example.com")
    status, organization = call(base, key, "POST", "organization", {
        "name": "Upgrade Test Ltd", "address": "1 Main Street", "city": "Lehi", "state": "Utah", "zip": "84043",
        "country": "us", "telephone": "801-701-9600",
        "organization_contact": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                                 "telephone": "801-701-9600"}})
    assert status == 201, organization
    organization_id = organization["id"]
    admin("org", "validate", str(organization_id), "--level", "ov")

    def order(common_name, skip_approval=True, extra=None, product="ssl_basic"):
        body = {"certificate": {"common_name": common_name, "csr": csr(work, common_name.replace("*", "star")),
                                "signature_hash": "sha256"},
                "organization": {"id": organization_id}, "validity_years": 1, "skip_approval": skip_approval,
                "dcv_method": "dns-txt-token"}
        body.update(extra or {})
        status, placed = call(base, key, "POST", "order/certificate/" + product, body)
        assert status == 201, placed
        return placed

    manifest = {"orders": {}}
    manifest["orders"]["issued"] = order("example.com", extra={"alternative_order_id": "upgrade-1", "auto_renew": 1})["id"]
    manifest["orders"]["awaits_dcv"] = order("pending.example.org")["id"]
    manifest["orders"]["awaits_approval"] = order("www.example.com", skip_approval=False)["id"]
    revoked = order("api.example.com")["id"]
    status, _ = call(base, key, "PUT", f"order/certificate/{revoked}/revoke", {"skip_approval": True, "reason": "key_compromise"})
    assert status == 204
    manifest["orders"]["revoked"] = revoked
    reissued = order("shop.example.com")["id"]
    status, answer = call(base, key, "POST", f"order/certificate/{reissued}/reissue", {
        "certificate": {"common_name": "shop.example.com", "csr": csr(work, "shop2.example.com"), "signature_hash": "sha256"},
        "skip_approval": True})
    assert status == 201, answer
    manifest["orders"]["reissued"] = reissued

    printed = dict(line.split("=", 1) for line in admin("reseller-key", "create", "--name", "upgrade").split())
    access_key, secret = printed["accessKeyId"], printed["accessKeySecret"]
    status, text = reseller.call(base, "/api/v1/certificate/create", "POST", access_key, secret, {
        "unique_id": "upgrade-reseller-1", "product_id": "ssl_dv_geotrust", "period": "annually",
        "csr": csr(work, "reseller.example.com"), "domain_dcv": {"reseller.example.com": "dns"},
        "contact_email": "ops@example.com"})
    created = json.loads(text)
    assert created.get("success"), text
    manifest["reseller"] = {"access_key_id": access_key, "secret": secret, "service_id": created["data"]["service_id"]}
    status, balance = call(base, key, "GET", "finance/balance")
    manifest["balance"] = balance["balance"]
    manifest["admin_api_key"] = key

    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    dns.terminate()
    os.makedirs(output, exist_ok=True)
    for name in ["ca", "admin-api-key", "reseller-secrets.key"]:
        source = os.path.join(data, name)
        target = os.path.join(output, name)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    if database_url:
        dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", database_url], capture_output=True, text=True, check=True)
        open(os.path.join(output, "postgresql.sql"), "w").write(dump.stdout)
    else:
        dump = subprocess.run(["sqlite3", os.path.join(data, "signet.sqlite"), ".dump"], capture_output=True, text=True, check=True)
        open(os.path.join(output, "sqlite.sql"), "w").write(dump.stdout)
    open(os.path.join(output, "manifest.json"), "w").write(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
