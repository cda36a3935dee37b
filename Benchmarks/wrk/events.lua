-- wrk script for the ingest benchmark: the same event stream as Herald events
-- (POST /v1/events) or translated to Alertmanager alerts (POST /api/v2/alerts).
--
--   wrk -t1 -c32 -d10s --latency -s events.lua URL -- FORMAT BATCH TOKEN RUN
--     FORMAT  herald | alertmanager | get (a bodyless GET of the URL: the HTTP layer alone)
--     BATCH   1 = one event per request (a bare object for Herald), N = N per request
--     TOKEN   Herald API token (sent to every server; nginx ignores it)
--     RUN     prefix making event ids unique across runs against one daemon
--
-- The stream: subjects rotate over 4,999 ids (coprime with 100, so the firing subjects
-- change), 1 event in 100 is at 15 (tier "low", fires) and the rest at 5 (below every
-- tier, resolves a firing subject): ~2 % of events cause a notification, the rest are
-- quiet, as in a monitoring feed. Every event has a unique id (idempotency).
-- In Alertmanager's format a firing event is an alert without endsAt, a quiet one an
-- alert with endsAt in the past (how Prometheus reports resolution).
-- done() prints one JSON line (prefix "WRK_JSON ") that Benchmarks/run reads.

local SUBJECTS = 4999
local format, batch, run = "herald", 1, "r"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  format = args[1] or "herald"
  batch = tonumber(args[2] or "1")
  local token = args[3] or "bench-token"
  run = (args[4] or "r") .. "-" .. tostring(tid or 0)
  if format == "get" then
    wrk.method = "GET"
    return
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

local function coordinator(s) return "u" .. ((s % 10) * 10 + 3) end

local function herald_event(k)
  local s = k % SUBJECTS
  local value = (k % 100 == 7) and 15 or 5
  return string.format(
    '{"id":"%s-%d","metric":"metric_%d","value":%d,"subject":{"id":"p-%d","type":"participant"},' ..
    '"relations":{"primary_coordinator":"%s","case_manager":"%s"},"labels":{"region":"%s"},' ..
    '"timestamp":"2026-11-23T10:15:00Z"}',
    run, k, s % 25, value, s, coordinator(s), coordinator(s + 1), (s % 2 == 0) and "north" or "south")
end

local function alert(k)
  local s = k % SUBJECTS
  local firing = (k % 100 == 7)
  return string.format(
    '{"labels":{"alertname":"metric_%d","subject":"p-%d","region":"%s"},' ..
    '"annotations":{"value":"%d","event_id":"%s-%d","primary_coordinator":"%s","case_manager":"%s"}%s}',
    s % 25, s, (s % 2 == 0) and "north" or "south", firing and 15 or 5, run, k,
    coordinator(s), coordinator(s + 1), firing and "" or ',"endsAt":"2026-01-01T00:00:00Z"')
end

function request()
  if format == "get" then return wrk.format() end
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = (format == "alertmanager") and alert(counter) or herald_event(counter)
  end
  local body
  if format == "alertmanager" then
    body = "[" .. table.concat(parts, ",") .. "]"
  elseif batch == 1 then
    body = parts[1]
  else
    body = '{"events":[' .. table.concat(parts, ",") .. "]}"
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,' ..
    '"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
