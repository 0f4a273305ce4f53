-- wrk script: optional rotation over request paths (WRK_PATHS file, one per line) and a JSON summary.
local paths = {}
local counter = 0
local file = os.getenv("WRK_PATHS")
if file then
  for line in io.lines(file) do
    if #line > 0 then table.insert(paths, line) end
  end
end

local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body == "" then body = nil end
local headers = {}
if body then headers["Content-Type"] = "application/json" end

request = function()
  counter = counter + 1
  local path = nil
  if #paths > 0 then path = paths[(counter % #paths) + 1] end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
