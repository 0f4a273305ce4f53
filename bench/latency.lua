-- wrk script: optional rotation over request paths (WRK_PATHS file, one per line), request bodies
-- (WRK_BODIES file, one JSON body per line) and bearer tokens (WRK_TOKENS file, one per line),
-- and a JSON summary. Each wrk thread starts at its own place in the rotations.
local function lines(name)
  local items = {}
  local file = os.getenv(name)
  if file and #file > 0 then
    for line in io.lines(file) do
      if #line > 0 then table.insert(items, line) end
    end
  end
  return items
end

local paths, bodies, tokens = lines("WRK_PATHS"), lines("WRK_BODIES"), lines("WRK_TOKENS")
local counter = 0
local threads = 0

local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body == "" then body = nil end

setup = function(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

init = function(args)
  counter = offset or 0  -- the global that setup() set in this thread
end

local function pick(items)
  if #items == 0 then return nil end
  return items[(counter % #items) + 1]
end

request = function()
  counter = counter + 1
  local headers = {}
  local this_body = pick(bodies) or body
  if this_body then headers["Content-Type"] = "application/json" end
  local token = pick(tokens)
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format(method, pick(paths), headers, this_body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
