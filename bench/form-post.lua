-- wrk script for bench/form-post.sh: POSTs the public subscription form, every request a new address.
--
--   wrk -s bench/form-post.lua <url> -- <prefix>
--
-- Addresses are <prefix>-<thread>-<n>@bench.test: a per-thread id plus a per-thread counter, so the
-- threads never collide, and a prefix per wrk run (warm-up vs measured) so the runs never collide.
-- At the end it prints machine-readable "BENCH key=value" lines that bench/form-post.sh parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  prefix = args[1] or "m"
  counter = 0
  ok200 = 0       -- accepted subscriptions
  other2xx = 0
  non2xx = 0
  statuses = {}   -- non-2xx status -> count
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
  counter = counter + 1
  local body = "email=" .. prefix .. "-" .. id .. "-" .. counter .. "%40bench.test&name=Bench&consent=yes"
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  if status == 200 then
    ok200 = ok200 + 1
  elseif status >= 200 and status < 300 then
    other2xx = other2xx + 1
  else
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local ok, o2, bad, sent = 0, 0, 0, 0
  local by = {}
  for _, t in ipairs(threads) do
    ok = ok + t:get("ok200")
    o2 = o2 + t:get("other2xx")
    bad = bad + t:get("non2xx")
    sent = sent + t:get("counter")
    for s, n in pairs(t:get("statuses")) do
      by[s] = (by[s] or 0) + n
    end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local codes = {}
  for s, n in pairs(by) do table.insert(codes, s .. ":" .. n) end
  io.write(string.format("BENCH duration_s=%.3f\n", seconds))
  io.write(string.format("BENCH requests=%d\n", summary.requests))
  io.write(string.format("BENCH requests_per_s=%.1f\n", summary.requests / seconds))
  io.write(string.format("BENCH ok200=%d\n", ok))
  io.write(string.format("BENCH ok200_per_s=%.1f\n", ok / seconds))
  io.write(string.format("BENCH other2xx=%d\n", o2))
  io.write(string.format("BENCH non2xx=%d\n", bad))
  io.write(string.format("BENCH non2xx_codes=%s\n", #codes > 0 and table.concat(codes, ",") or "-"))
  io.write(string.format("BENCH socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("BENCH timeouts=%d\n", e.timeout))
  io.write(string.format("BENCH generated=%d\n", sent))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("BENCH p%d_ms=%.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("BENCH max_ms=%.2f\n", latency.max / 1000))
end
