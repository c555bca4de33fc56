-- wrk script for bench/tracking.sh: GETs one tracking URL (the click redirect or the open pixel) with a phone's
-- user agent, and at the end prints machine-readable "BENCH key=value" lines that bench/tracking.sh parses.
-- No response() callback: wrk then reads answers without Lua, and counts statuses >= 400 itself.

wrk.headers["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("BENCH duration_s=%.3f\n", seconds))
  io.write(string.format("BENCH requests=%d\n", summary.requests))
  io.write(string.format("BENCH requests_per_s=%.0f\n", summary.requests / seconds))
  io.write(string.format("BENCH bad_status=%d\n", e.status))
  io.write(string.format("BENCH socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("BENCH p%d_ms=%.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("BENCH max_ms=%.2f\n", latency.max / 1000))
end
