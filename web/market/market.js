// The LooPIN market page: reads the node's REST routes (same origin) and
// refreshes when a new block is committed. No framework; uPlot draws the
// chart. Every number shown keeps its raw REST value in data-raw, so the
// browser test (tests/system/market_test.go) compares it with the API.
"use strict";

const ULOOP_PER_LOOP = 1000000n;
const state = {
  height: null,
  pools: [],        // the /pools answer
  classOf: {},      // pool id → GPU class
  capacity: {},     // GPU class → the /capacity answer
  minLease: 0,      // x/pools min_lease_duration, seconds
  chartClass: null, // the pool shown in the chart and the device list
  range: { window: 86400, points: 96 },
  chart: null,
  refreshing: false,
};
window.loopinMarket = state; // for the browser test and the curious

function $(sel) { return document.querySelector(sel); }

// get fetches a REST path and returns its JSON, or throws an Error with the
// node's message. Once a block is known, every read is at that height
// (x-cosmos-block-height), so one refresh shows one state.
async function get(path, latest) {
  const headers = { Accept: "application/json" };
  if (state.height && !latest) headers["x-cosmos-block-height"] = state.height;
  const res = await fetch(path, { headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error(body.message || `${path}: HTTP ${res.status}`);
  }
  return body;
}

// uloopOf parses a decimal string of uloop ("26040.000000000000000000")
// to a BigInt, truncated.
function uloopOf(s) {
  const whole = String(s).split(".")[0];
  return BigInt(whole === "" || whole === "-" ? "0" : whole);
}

// fmtLOOP formats an amount of uloop (a decimal string) as LOOP: 6
// decimals below 1 LOOP, 4 below 1 000 LOOP, 2 above, thousands separated.
// tests/system/market_test.go's formatLOOP is the same rule.
function fmtLOOP(s) {
  let u = uloopOf(s);
  const neg = u < 0n;
  if (neg) u = -u;
  const whole = u / ULOOP_PER_LOOP;
  const frac = (u % ULOOP_PER_LOOP).toString().padStart(6, "0");
  const decimals = whole >= 1000n ? 2 : whole >= 1n ? 4 : 6;
  return `${neg ? "−" : ""}${whole.toLocaleString("en-US")}.${frac.slice(0, decimals)} LOOP`;
}

function fmtPerHour(s) { return `${fmtLOOP(s)}/GPU-h`; }

// fmtDuration formats seconds as "2 d 3 h", "5 min 10 s", "45 s".
function fmtDuration(sec) {
  sec = Math.floor(Number(sec));
  if (!isFinite(sec) || sec <= 0) return "0 s";
  const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
  const parts = [];
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m && !d) parts.push(`${m} min`);
  if (s && !d && !h) parts.push(`${s} s`);
  return parts.join(" ");
}

function fmtHours(sec) {
  const h = Number(sec) / 3600;
  return `${h.toLocaleString("en-US", { maximumFractionDigits: h < 10 ? 2 : 0 })} GPU-h`;
}

function fmtPct(dec) { return `${(Number(dec) * 100).toFixed(2)} %`; }

function fmtFactor(dec) {
  const v = Number(dec);
  return v === 0 || v >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}

function fmtAgo(iso) {
  const t = Date.parse(iso);
  if (!t || t < 0) return "—";
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 0) return `in ${fmtDuration(-s)}`;
  return s < 5 ? "just now" : `${fmtDuration(s)} ago`;
}

function short(addr) { return addr && addr.length > 16 ? `${addr.slice(0, 10)}…${addr.slice(-4)}` : (addr || "—"); }

function enumName(v, prefix) { return String(v || "").replace(prefix, "").toLowerCase().replace(/_/g, "-"); }

function seconds(durationString) { return parseInt(String(durationString || "0").replace(/s$/, ""), 10) || 0; }

// cell makes a <td> with text, an optional class and raw value.
function cell(text, opts = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  if (opts.num) td.classList.add("num");
  if (opts.cls) td.classList.add(...String(opts.cls).split(" ").filter(Boolean));
  if (opts.raw !== undefined) td.dataset.raw = opts.raw;
  if (opts.title) td.title = opts.title;
  return td;
}

function setStatus(msg) { $("#status").textContent = msg || ""; }

// twapSince is the TWAP over a window from Query/PriceHistory with one
// interval: the same as Query/Twap once the chain is older than the window,
// and since the first snapshot before that (never an error).
async function twapSince(cls, window) {
  const h = await get(`/loopin/pools/v1/pools/${cls}/price_history?window=${window}s&points=1`);
  return h.points.length ? h.points[0] : null;
}

async function renderPools() {
  const { params } = await get("/loopin/pools/v1/params");
  state.minLease = seconds(params.min_lease_duration);
  const { pools } = await get("/loopin/pools/v1/pools?pagination.limit=200");
  state.pools = pools;
  state.classOf = {};
  for (const p of pools) state.classOf[p.id] = p.gpu_class;
  const body = $("#pools tbody");
  const rows = [];
  // Pools with devices first, then by id.
  const order = pools.slice().sort((a, b) => (Number(b.committed_devices) > 0) - (Number(a.committed_devices) > 0) || Number(a.id) - Number(b.id));
  for (const p of order) {
    const cls = p.gpu_class;
    const [spot, cap, day, week] = await Promise.all([
      get(`/loopin/pools/v1/pools/${cls}/spot_price`),
      get(`/loopin/pools/v1/pools/${cls}/capacity`),
      twapSince(cls, 86400),
      twapSince(cls, 604800),
    ]);
    state.capacity[cls] = cap;
    const tr = document.createElement("tr");
    tr.id = `pool-${cls}`;
    // An empty pool's index does not move: no average to show.
    const twapCell = (pt, label) => pt && uloopOf(pt.per_gpu_hour) > 0n
      ? cell(fmtPerHour(pt.per_gpu_hour), { num: true, cls: `twap-${label}`, raw: pt.per_gpu_hour, title: `from ${pt.from}` })
      : cell("—", { num: true, cls: `twap-${label}`, title: pt ? "no device committed" : "no epoch-end snapshot yet" });
    tr.append(
      cell(cls, { cls: "class" }),
      cell(enumName(p.status, "POOL_STATUS_"), { cls: `status ${enumName(p.status, "POOL_STATUS_")}` }),
      cell(fmtPerHour(spot.per_gpu_hour), { num: true, cls: "spot", raw: spot.per_gpu_hour }),
      twapCell(day, "24h"), twapCell(week, "7d"),
      cell(cap.idle_devices, { num: true, cls: "idle", raw: cap.idle_devices }),
      cell(cap.leased_devices, { num: true, cls: "leased", raw: cap.leased_devices }),
      cell(cap.committed_devices, { num: true, cls: "committed", raw: cap.committed_devices }),
      cell(fmtHours(cap.unsold_seconds), { num: true, cls: "unsold", raw: cap.unsold_seconds }),
      cell(Number(cap.longest_lease_seconds) ? fmtDuration(cap.longest_lease_seconds) : "none idle", { num: true, cls: "longest", raw: cap.longest_lease_seconds }),
    );
    tr.addEventListener("click", () => selectPool(cls));
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  fillPoolSelect($("#chart-pool"));
  fillPoolSelect($("#calc-pool"));
  if (!state.chartClass && pools.length) {
    // The pool with the most committed devices first.
    const best = pools.slice().sort((a, b) => Number(b.committed_devices || 0) - Number(a.committed_devices || 0))[0];
    state.chartClass = best.gpu_class;
  }
  $("#chart-pool").value = state.chartClass || "";
  if (!$("#calc-pool").dataset.touched) $("#calc-pool").value = state.chartClass || "";
}

function fillPoolSelect(sel) {
  const have = Array.from(sel.options).map((o) => o.value).join(",");
  const want = state.pools.map((p) => p.gpu_class);
  if (have === want.join(",")) return;
  const keep = sel.value;
  sel.replaceChildren(...want.map((c) => { const o = document.createElement("option"); o.value = c; o.textContent = c; return o; }));
  if (want.includes(keep)) sel.value = keep;
}

async function renderChart() {
  const cls = state.chartClass;
  if (!cls) return;
  $("#chart-class").textContent = `· ${cls}`;
  const { window, points } = state.range;
  const h = await get(`/loopin/pools/v1/pools/${cls}/price_history?window=${window}s&points=${points}`);
  // Interval i is drawn as a step at its average from its start to the
  // next: n intervals give n + 1 x values (the last one's end repeats it).
  const xs = [], ys = [];
  for (const p of h.points) {
    xs.push(Date.parse(p.from) / 1000);
    ys.push(Number(uloopOf(p.per_gpu_hour)) / 1e6);
  }
  if (h.points.length) {
    xs.push(Date.parse(h.points[h.points.length - 1].to) / 1000);
    ys.push(ys[ys.length - 1]);
  }
  const el = $("#chart");
  el.dataset.points = String(h.points.length);
  el.dataset.class = cls;
  el.dataset.window = String(window);
  $("#chart-note").textContent = h.points.length
    ? `${h.points.length} interval${h.points.length === 1 ? "" : "s"} since ${new Date(h.points[0].from).toISOString().replace(/\.\d+Z$/, "Z")}, each the time-weighted average price from one epoch-end snapshot to the next (LOOP per GPU-hour). Spot now: ${fmtPerHour(h.spot_per_gpu_hour)}.`
    : "No epoch has ended since this pool opened: no snapshot to draw yet.";
  const data = [xs, ys];
  const width = Math.max(320, el.clientWidth || 800);
  const now = xs.length ? xs[xs.length - 1] : Date.now() / 1000;
  const xRange = [xs.length ? xs[0] : now - window, now];
  state.xRange = xRange;
  if (state.chart && state.chart.loopinKey === `${cls}/${window}`) {
    state.chart.setData(data, false);
    state.chart.setScale("x", { min: xRange[0], max: xRange[1] });
    return;
  }
  if (state.chart) state.chart.destroy();
  state.chart = new uPlot({
    width, height: 260,
    scales: { x: { time: true, range: () => state.xRange } },
    series: [
      {},
      { label: "LOOP per GPU-hour", stroke: "#2b6cb0", width: 2, fill: "rgba(43,108,176,0.08)",
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: false },
        value: (u, v) => v == null ? "—" : `${v.toFixed(6)} LOOP` },
    ],
    axes: [{}, { size: 80, values: (u, vals) => vals.map((v) => v.toFixed(4)) }],
  }, data, el);
  state.chart.loopinKey = `${cls}/${window}`;
}

// defaultDuration sets the calculator, until the user touches it, to an
// hour, or to half the longest lease buyable now when that is shorter (in
// minutes), so that the first quote is one the pool can fill.
function defaultDuration(cls) {
  if ($("#calc-pool").dataset.touched) return;
  const longest = Number((state.capacity[cls] || {}).longest_lease_seconds || 0);
  let secs = Math.min(3600, Math.floor(longest / 2));
  secs = Math.max(secs, state.minLease);
  if (secs % 3600 === 0) {
    $("#calc-amount").value = String(secs / 3600);
    $("#calc-unit").value = "3600";
  } else {
    $("#calc-amount").value = String(Math.ceil(secs / 60));
    $("#calc-unit").value = "60";
  }
}

async function renderQuote() {
  const cls = $("#calc-pool").value;
  defaultDuration(cls);
  const amount = Math.floor(Number($("#calc-amount").value));
  const unit = Number($("#calc-unit").value);
  const ids = ["q-price", "q-fee", "q-total", "q-per-hour", "q-impact", "q-device"];
  const clear = () => { for (const id of ids) { const el = $(`#${id}`); el.textContent = "—"; delete el.dataset.raw; } $("#q-cli").textContent = "—"; };
  if (!cls || !(amount > 0)) { clear(); $("#q-error").textContent = "Give a pool and a positive duration."; return; }
  const secs = amount * unit;
  const longest = Number((state.capacity[cls] || {}).longest_lease_seconds || 0);
  if (longest < Math.max(secs, state.minLease)) {
    // Nothing to ask the node: it would refuse (and the browser log it).
    clear();
    $("#q-error").textContent = longest === 0
      ? `No idle device in ${cls} now.`
      : `The longest lease buyable in ${cls} now is ${fmtDuration(longest)}${longest < state.minLease ? `, shorter than the minimum lease of ${fmtDuration(state.minLease)}` : ""}.`;
    return;
  }
  let q;
  try {
    q = await get(`/loopin/pools/v1/pools/${cls}/estimate_buy?duration=${secs}s`);
  } catch (e) {
    clear();
    $("#q-error").textContent = e.message;
    return;
  }
  $("#q-error").textContent = "";
  const set = (id, text, raw) => { const el = $(`#${id}`); el.textContent = text; el.dataset.raw = raw; };
  set("q-price", fmtLOOP(q.price), q.price);
  set("q-fee", fmtLOOP(q.fee), q.fee);
  set("q-total", fmtLOOP(q.total), q.total);
  set("q-per-hour", fmtPerHour(q.per_gpu_hour), q.per_gpu_hour);
  set("q-impact", fmtPct(q.price_impact), q.price_impact);
  set("q-device", `${q.device_id} (commitment ends ${new Date(q.commitment_end).toISOString().replace(".000Z", "Z")})`, q.device_id);
  $("#q-cli").textContent = `loopind tx pools buy-lease ${cls} ${secs}s ${q.total} --device ${q.device_id} --from <key> --yes`;
}

async function renderDevices() {
  const cls = state.chartClass;
  if (!cls) return;
  $("#devices-class").textContent = `· ${cls}`;
  const { devices } = await get(`/loopin/pocps/v1/devices?gpu_class=${encodeURIComponent(cls)}&pagination.limit=20`);
  const rows = await Promise.all(devices.map(async (d) => {
    const [score, chs] = await Promise.all([
      get(`/loopin/pocps/v1/devices/${d.id}/score`).catch(() => null),
      get(`/loopin/pocps/v1/devices/${d.id}/challenges?pagination.limit=1&pagination.reverse=true`),
    ]);
    const tr = document.createElement("tr");
    tr.id = `device-${d.id}`;
    const f = (k) => score ? cell(fmtFactor(score[k]), { num: true, cls: k, raw: score[k] }) : cell("—", { num: true, cls: k });
    const last = chs.challenges && chs.challenges[0];
    const lastText = last
      ? `#${last.id} ${enumName(last.kind, "CHALLENGE_KIND_")}: ${enumName(last.status, "CHALLENGE_STATUS_")}${last.failure_reason && last.failure_reason !== "FAILURE_REASON_UNSPECIFIED" ? ` (${enumName(last.failure_reason, "FAILURE_REASON_")})` : ""}, ${fmtAgo(last.closed_at && !last.closed_at.startsWith("0001") ? last.closed_at : last.deadline)}`
      : "none yet";
    tr.append(
      cell(d.id, { num: true }),
      cell(short(d.owner), { title: d.owner }),
      cell(enumName(d.status, "DEVICE_STATUS_"), { cls: `status ${enumName(d.status, "DEVICE_STATUS_")}` }),
      f("pot"), f("pol"), f("pop"), f("pow"), f("pocps"),
      cell(lastText, { cls: last ? `last ${enumName(last.status, "CHALLENGE_STATUS_")}` : "last", raw: last ? last.id : "" }),
    );
    return tr;
  }));
  $("#devices tbody").replaceChildren(...rows);
}

async function renderLeases() {
  const { leases } = await get("/loopin/pools/v1/leases?pagination.limit=10&pagination.reverse=true");
  $("#leases tbody").replaceChildren(...leases.map((l) => {
    const tr = document.createElement("tr");
    tr.id = `lease-${l.id}`;
    const len = (Date.parse(l.end) - Date.parse(l.start)) / 1000;
    tr.append(
      cell(l.id, { num: true }),
      cell(state.classOf[l.pool_id] || `pool ${l.pool_id}`),
      cell(l.device_id, { num: true }),
      cell(short(l.client), { title: l.client }),
      cell(fmtAgo(l.start), { title: l.start }),
      cell(fmtDuration(len), { num: true }),
      cell(fmtLOOP(l.price), { num: true, cls: "price", raw: l.price }),
      cell(enumName(l.status, "LEASE_STATUS_"), { cls: `status ${enumName(l.status, "LEASE_STATUS_")}` }),
    );
    return tr;
  }));
}

async function renderEpochs() {
  const { epochs } = await get("/loopin/rewards/v1/epochs?pagination.limit=10&pagination.reverse=true");
  $("#epochs tbody").replaceChildren(...epochs.map((e) => {
    const tr = document.createElement("tr");
    tr.id = `epoch-${e.epoch}`;
    tr.append(cell(e.epoch, { num: true }),
      ...["minted", "validators", "miners", "verifiers", "clients", "sink"].map((k) => cell(fmtLOOP(e[k] || "0"), { num: true, cls: k, raw: e[k] || "0" })));
    return tr;
  }));
}

function selectPool(cls) {
  if (cls === state.chartClass) return;
  state.chartClass = cls;
  $("#chart-pool").value = cls;
  Promise.all([renderChart(), renderDevices()]).catch((e) => setStatus(e.message));
}

// refresh redraws everything once; a refresh still running makes the next
// block wait for the one after.
async function refresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  try {
    await renderPools();
    await Promise.all([renderChart(), renderQuote(), renderDevices(), renderLeases(), renderEpochs()]);
    setStatus("");
    document.body.dataset.height = state.height;
  } catch (e) {
    setStatus(`could not read the node: ${e.message}`);
  } finally {
    state.refreshing = false;
  }
}

async function poll() {
  try {
    const b = await get("/cosmos/base/tendermint/v1beta1/blocks/latest", true);
    const h = b.sdk_block ? b.sdk_block.header : b.block.header;
    $("#chain").textContent = `${h.chain_id} · block ${Number(h.height).toLocaleString("en-US")} · ${new Date(h.time).toISOString().replace(/\.\d+Z$/, "Z")}`;
    // Pin to the block before the newest: CometBFT stores block H before
    // the app has committed it, and a query at H can fail until then.
    const pin = String(Number(h.height) - 1);
    if (Number(pin) > 0 && pin !== state.height) {
      state.height = pin;
      await refresh();
    }
  } catch (e) {
    setStatus(`could not read the node: ${e.message}`);
  }
  setTimeout(poll, 2000);
}

$("#chart-pool").addEventListener("change", (e) => selectPool(e.target.value));
$("#ranges").addEventListener("click", (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  for (const o of document.querySelectorAll("#ranges button")) o.classList.toggle("on", o === b);
  state.range = { window: Number(b.dataset.window), points: Number(b.dataset.points) };
  renderChart().catch((err) => setStatus(err.message));
});
for (const id of ["#calc-pool", "#calc-amount", "#calc-unit"]) {
  $(id).addEventListener("input", () => { $("#calc-pool").dataset.touched = "1"; renderQuote(); });
}
poll();
