"""An AnquanSSL API client and notify_url receiver for Signet's tests, written from
shared/api/reseller.md section 2 (not from Signet's code), so that a disagreement shows.

  reseller.py call BASE PATH METHOD AK SECRET JSON [--style sdk|php] [--timestamp T] [--nonce N] [--repeat K]
  reseller.py receiver SECRET LOGFILE FAIL_FIRST      (prints its port, then serves)
  reseller.py fuzz BASE AK SECRET CASES_FILE          (each line {"path","method","body": raw JSON text};
                                                        prints one result line per case, /healthz after each)
"""
import base64, datetime, hashlib, hmac, http.server, json, socketserver, sys, threading, urllib.parse, urllib.request, uuid


def php_urlencode(text):
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "-_."):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def php_key(key):
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def stringize(value):
    """The PHP SDK's everthingStringize: numbers to strings, strings trimmed, '' to null."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return None if value == "" else value
    if isinstance(value, dict):
        return {k: stringize(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): stringize(v) for i, v in enumerate(value)}
    return value


def http_build_query(params, prefix=None):
    pairs = []
    for key in sorted(params.keys(), key=lambda k: (php_key(k) if prefix is not None else (1, 0, k))):
        value = params[key]
        name = key if prefix is None else "%s[%s]" % (prefix, key)
        if value is None:
            continue
        if isinstance(value, dict):
            pairs += http_build_query(value, name)
        elif isinstance(value, bool):
            pairs.append("%s=%s" % (php_urlencode(name), "1" if value else "0"))
        else:
            pairs.append("%s=%s" % (php_urlencode(name), php_urlencode(str(value))))
    return pairs


def signature(path, params, secret):
    message = path + "?" + "&".join(http_build_query(stringize(params)))
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


def china_time(offset_seconds=0):
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8, seconds=offset_seconds)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def call(base, path, method, access_key, secret, body, style="sdk", timestamp=None, nonce=None, raw=None):
    auth = {"accessKeyId": access_key, "nonce": nonce or uuid.uuid4().hex, "timestamp": timestamp or china_time()}
    params = dict(body)
    params.update(auth)
    auth["sign"] = signature(path, params, secret)
    if style == "php":
        # The PHP SDK: everything, sign included, in the query for GET and in the JSON body for POST.
        everything = dict(stringize(body) or {})
        everything = {k: v for k, v in everything.items() if v is not None}
        everything.update(auth)
        if method == "GET":
            url = base + path + "?" + "&".join(http_build_query(everything))
            data = None
        else:
            url = base + path
            data = json.dumps(everything).encode()
    else:
        # Python/Node/Go/Java SDKs: auth fields in the query, business fields in the JSON body.
        url = base + path + "?" + "&".join(http_build_query(auth))
        data = raw.encode() if raw is not None else json.dumps(body).encode() if method != "GET" or body else None
        if method == "GET" and body:
            url += "&" + "&".join(http_build_query(stringize(body)))
            data = None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def receiver(secret, log_path, fail_first):
    lock = threading.Lock()
    count = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            sent = query.pop("sign", "")
            body = json.loads(raw or b"{}")
            params = dict(body)
            params.update(query)
            verified = hmac.compare_digest(signature(url.path, params, secret), sent)
            with lock:
                count[0] += 1
                number = count[0]
            ok = number > fail_first
            with open(log_path, "a") as log:
                log.write(json.dumps({"number": number, "verified": verified, "accepted": ok, "event": body.get("event"),
                                      "status": (body.get("data") or {}).get("status"),
                                      "service_id": (body.get("data") or {}).get("service_id")}) + "\n")
            self.send_response(200 if ok else 500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"success":true}' if ok else b'{"success":false}')

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def fuzz(base, access_key, secret, cases_path):
    """Sends each case signed as the SDKs sign (the body exactly as written), then asks /healthz."""
    with open(cases_path) as cases:
        for line in cases:
            case = json.loads(line)
            try:
                body = json.loads(case["body"])
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            try:
                status, text = call(base, case["path"], case["method"], access_key, secret, body, raw=case["body"])
            except Exception as error:  # a dropped connection is a finding, not a crash of the client
                status, text = 0, repr(error)
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
                    health = response.status
            except Exception:
                health = 0
            print(json.dumps({"status": status, "body": text, "health": health}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "receiver":
        receiver(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "fuzz":
        fuzz(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        base, path, method, access_key, secret, body = sys.argv[2:8]
        options = dict(zip(sys.argv[8::2], sys.argv[9::2]))
        repeat = int(options.get("--repeat", "1"))
        args = dict(style=options.get("--style", "sdk"), timestamp=options.get("--timestamp"), nonce=options.get("--nonce"))
        if repeat == 1:
            status, text = call(base, path, method, access_key, secret, json.loads(body), **args)
            print(json.dumps({"status": status, "body": json.loads(text) if text.startswith("{") else text}))
        else:
            results = [None] * repeat
            def run(i):
                results[i] = call(base, path, method, access_key, secret, json.loads(body), **args)
            threads = [threading.Thread(target=run, args=(i,)) for i in range(repeat)]
            for thread in threads: thread.start()
            for thread in threads: thread.join()
            print(json.dumps([{"status": s, "body": json.loads(t) if t.startswith("{") else t} for s, t in results]))
