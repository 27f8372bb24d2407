-- wrk script of the bench and the soak, configured from the environment:
--   BENCH_METHOD      GET (default) or POST
--   BENCH_PATHS       file of request paths, one a line, used in turn (default: the URL's path)
--   BENCH_BODIES      file of JSON bodies, one a line, used in turn (POST)
--   BENCH_HEADERS     file of headers, one "Name: value" a line, sent on every request
--   BENCH_IDEMPOTENCY 1: a unique Idempotency-Key on every request (BENCH_RUN_ID keeps runs apart)
--   BENCH_RATE        requests per second for the whole run, paced per thread (soak); 0 = flat out
--   BENCH_RECORD      1: remember the "number" of every 201 answer (orders) for the report
--   BENCH_REPORT      file the JSON summary is written to
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } timespec;
  int clock_gettime(int clk_id, timespec *tp);
]]
local clock = ffi.new("timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then return default end
  return value
end

local function lines(path)
  local result = {}
  if path then
    for line in io.lines(path) do
      if line ~= "" then result[#result + 1] = line end
    end
  end
  return result
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  threads[#threads + 1] = thread
end

function init(args)
  method = env("BENCH_METHOD", "GET")
  paths = lines(env("BENCH_PATHS"))
  if #paths == 0 then paths = { wrk.path } end
  bodies = lines(env("BENCH_BODIES"))
  extra_headers = {}
  for _, line in ipairs(lines(env("BENCH_HEADERS"))) do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then extra_headers[name] = value end
  end
  idempotency = env("BENCH_IDEMPOTENCY") == "1"
  run_id = env("BENCH_RUN_ID", tostring(os.time()))
  record = env("BENCH_RECORD") == "1"
  local rate = tonumber(env("BENCH_RATE", "0"))
  -- Each thread paces its share of the rate: one request slot every `interval` ms.
  interval = rate > 0 and (1000 * tonumber(env("BENCH_THREADS", "1")) / rate) or 0
  next_slot = 0
  counter = 0
  statuses = {}
  numbers = {}
end

function request()
  counter = counter + 1
  local headers = { ["Accept"] = "application/json" }
  for name, value in pairs(extra_headers) do headers[name] = value end
  local body = nil
  if #bodies > 0 then
    body = bodies[(counter - 1) % #bodies + 1]
    headers["Content-Type"] = "application/json"
  end
  if idempotency then
    headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run_id, id, counter)
  end
  -- Threads start apart in the list, so they do not ask for the same row at the same moment.
  return wrk.format(method, paths[(counter - 1 + (id - 1) * 7) % #paths + 1], headers, body)
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  next_slot = math.max(next_slot + interval, now)
  return next_slot - now
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if record and status == 201 then
    numbers[#numbers + 1] = string.match(body, '"number"%s*:%s*"([^"]+)"') or "?"
  end
end

local function json_string(value)
  return '"' .. tostring(value):gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local status_counts, recorded = {}, {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      status_counts[status] = (status_counts[status] or 0) + count
    end
    for _, number in ipairs(thread:get("numbers")) do
      recorded[#recorded + 1] = json_string(number)
    end
  end
  local parts = {}
  for status, count in pairs(status_counts) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  local errors = summary.errors
  local report = string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"non_2xx_3xx": %d, "statuses": {%s}, "numbers": [%s]}',
    summary.requests, summary.duration, summary.bytes,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    table.concat(parts, ", "), table.concat(recorded, ", "))
  local path = env("BENCH_REPORT")
  if path then
    local file = assert(io.open(path, "w"))
    file:write(report)
    file:close()
  else
    io.write(report .. "\n")
  end
end
