-- wrk script: POSTs one JSON body over and over and counts answers other than the expected status.
-- SIGNET_BENCH_BODY: the body's file; SIGNET_BENCH_EXPECT: the success status (201 for a Signet
-- order, 200 for cfssl's sign); SIGNET_BENCH_KEY, when set: the CertCentral API key;
-- SIGNET_BENCH_VAULT_TOKEN, when set: OpenBao's token.
local file = assert(io.open(os.getenv("SIGNET_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("SIGNET_BENCH_KEY")
if key then wrk.headers["X-DC-DEVKEY"] = key end
local token = os.getenv("SIGNET_BENCH_VAULT_TOKEN")
if token then wrk.headers["X-Vault-Token"] = token end

local expected = tonumber(os.getenv("SIGNET_BENCH_EXPECT") or "200")
local failures = 0
response = function(status, headers, body)
  if status ~= expected then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("unexpected " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end
