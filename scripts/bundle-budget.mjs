// What a first visit to each route downloads, from a running server and the
// release bundle that scripts/bundle.sh built: every page is fetched as the
// user who sees it (signed in with a plain form post), the stylesheets,
// scripts and wasm it loads are read from its HTML, and each is measured
// compressed with brotli at quality 11 (release files from target/bundle,
// anything else as the server sends it). Prints one row per route.
//
//   node scripts/bundle-budget.mjs BASE_URL [--check]
//
// With --check it exits 1 when any route's css + js + wasm exceeds the
// SPEC's 150 KB budget (sizes are deterministic: this is not a timing
// check). The HTML is shown but not counted: it is the page itself.
import { readFileSync, existsSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";

const base = process.argv[2];
const check = process.argv.includes("--check");
const BUNDLE = "target/bundle";
const BUDGET = 150 * 1024;
const PASSWORD = "carethread-demo-2026";
if (!base) {
  console.error("usage: node scripts/bundle-budget.mjs BASE_URL [--check]");
  process.exit(2);
}

/** The demo clinic, and one of its demo visits (server/src/demo). */
const RIVERBEND = "de000000-0000-4000-8000-000000000101";
const DEMO_VISIT = "de020000-0000-4000-8000-000000030002";
/** The demo clinic's signed admission consent form. */
const CONSENT_FORM = "de040000-0000-4000-8000-000000000001";

// Every route of the app (app/src/lib.rs), as the user who sees it (acting
// for `org` when given); a route with `:id` takes the first such link found
// on `from`.
const ROUTES = [
  { path: "/" },
  { path: "/trust" },
  { path: "/developers" },
  { path: "/login" },
  { path: "/register" },
  { path: "/forgot-password" },
  { path: "/reset-password?token=unknown" },
  { path: "/invite?token=unknown" },
  { path: "/clinic", user: "director@riverbend.example" },
  { path: "/clinic/inbox", user: "director@riverbend.example" },
  { path: "/clinic/inbox/:id", user: "director@riverbend.example", from: "/clinic/inbox" },
  { path: "/clinic/team", user: "director@riverbend.example" },
  { path: "/clinic/audit", user: "director@riverbend.example" },
  { path: "/clinic/sign-ins", user: "director@riverbend.example" },
  { path: "/clinic/data", user: "director@riverbend.example" },
  { path: "/clinic/exports", user: "director@riverbend.example" },
  { path: "/clinic/settings", user: "director@riverbend.example" },
  { path: "/clinic/data/deletions/:id", user: "director@riverbend.example", from: "/clinic/data" },
  { path: "/clinic/schedule", user: "director@riverbend.example" },
  { path: "/clinic/visits/:id", user: "director@riverbend.example", from: "/clinic/schedule" },
  { path: "/clinic/patients/:id", user: "director@riverbend.example", from: `/clinic/visits/${DEMO_VISIT}` },
  { path: "/account", user: "director@riverbend.example" },
  { path: "/switch", user: "director@riverbend.example" },
  { path: "/referrer", user: "planner@mercy.example" },
  { path: "/referrer/referrals/new", user: "planner@mercy.example" },
  { path: "/referrer/referrals/:id", user: "planner@mercy.example", from: "/referrer" },
  { path: "/clinician", user: "nurse@carethread.example" },
  { path: "/clinician/profile", user: "nurse@carethread.example" },
  { path: "/clinician/availability", user: "nurse@carethread.example" },
  { path: "/clinician/visits/:id", user: "nurse@carethread.example", org: RIVERBEND, from: "/clinician" },
  { path: "/family", user: "family@carethread.example" },
  { path: "/family/recipients/new", user: "family@carethread.example" },
  { path: "/family/find?zip=43215&care_type=skilled_nursing", user: "family@carethread.example" },
  { path: "/family/clinicians/:id", user: "family@carethread.example", from: "/family/find?zip=43215&care_type=skilled_nursing" },
  { path: "/family/recipients/:id", user: "family@carethread.example", from: "/family" },
  { path: "/family/visits/:id", user: "family@carethread.example", from: "/family" },
  { path: "/admin", user: "admin@carethread.example" },
  { path: "/admin/organizations", user: "admin@carethread.example" },
  { path: "/admin/clinicians", user: "admin@carethread.example" },
  { path: "/admin/audit", user: "admin@carethread.example" },
  { path: "/admin/break-glass", user: "admin@carethread.example" },
  { path: "/admin/jobs", user: "admin@carethread.example" },
  { path: "/admin/payments", user: "admin@carethread.example" },
  { path: "/admin/trust", user: "admin@carethread.example" },
  { path: "/admin/sign-ins", user: "admin@carethread.example" },
  { path: "/clinician/earnings", user: "nurse@carethread.example" },
  { path: "/clinic/forms", user: "intake@riverbend.example" },
  { path: "/clinic/forms/:id", user: "intake@riverbend.example", from: "/clinic/forms" },
  { path: "/clinic/intake/:id", user: "intake@riverbend.example", from: `/clinic/forms/${CONSENT_FORM}` },
  { path: "/intake?token=unknown" },
  { path: "/verify" },
];

const sessions = new Map();
async function cookieFor(user, org) {
  if (!user) return "";
  if (sessions.has(`${user} ${org}`)) return sessions.get(`${user} ${org}`);
  const res = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      accept: "text/html",
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
    },
    body: new URLSearchParams({ _rpc: "/rpc/auth/login", email: user, password: PASSWORD, next: "" }),
  });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (res.status !== 303 || !cookie) throw new Error(`signing in as ${user} failed: ${res.status}`);
  if (org) {
    const switched = await fetch(`${base}/switch`, {
      method: "POST",
      redirect: "manual",
      headers: {
        accept: "text/html",
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
        cookie,
      },
      body: new URLSearchParams({ _rpc: "/rpc/auth/switch-organization", org_id: org }),
    });
    if (switched.status !== 303) throw new Error(`switching ${user} to ${org} failed: ${switched.status}`);
  }
  sessions.set(`${user} ${org}`, cookie);
  return cookie;
}

/** Sends one referral from the demo hospital to the demo clinic. */
async function sendReferral() {
  const inbox = await page("/referrer/referrals/new", "planner@mercy.example");
  const clinic = inbox.html.match(/<option value="([0-9a-f-]{36})"[^>]*>Riverbend Home Health</);
  const start = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const res = await fetch(`${base}/referrer/referrals/new`, {
    method: "POST",
    redirect: "manual",
    headers: {
      accept: "text/html",
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
      cookie: await cookieFor("planner@mercy.example"),
    },
    body: new URLSearchParams({
      _rpc: "/rpc/referrals/create",
      patient_initials: "J.D.",
      zip: "43215",
      diagnosis: "I50.9",
      care_type: "skilled_nursing",
      priority: "routine",
      requested_start: start,
      clinic_id: clinic ? clinic[1] : "",
    }),
  });
  if (res.status !== 303) throw new Error(`sending a demo referral failed: ${res.status}`);
}

async function page(path, user, org) {
  const res = await fetch(`${base}${path}`, { headers: { cookie: await cookieFor(user, org), accept: "text/html" } });
  return { status: res.status, html: await res.text() };
}

const sizes = new Map();
async function brotliSize(url) {
  if (sizes.has(url)) return sizes.get(url);
  const name = url.replace(/^\/pkg\//, "").replace(/^\//, "");
  const local = `${BUNDLE}/${name}`;
  const bytes = existsSync(local)
    ? readFileSync(local)
    : Buffer.from(await (await fetch(`${base}${url}`)).arrayBuffer());
  const size = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  sizes.set(url, size);
  return size;
}

/** The css, js and wasm a page loads, from its tags and the islands loader. */
function assets(html) {
  const found = new Set();
  for (const m of html.matchAll(/(?:href|src)="([^"]+\.(?:css|js|wasm))"/g)) found.add(m[1]);
  // The islands loader names the js and wasm it imports as arguments.
  const loader = html.match(/\("([^"]*)", "([^"]+)", "([^"]+)", "([^"]+)"/);
  if (loader) {
    found.add(`${loader[1]}/${loader[2]}/${loader[3]}.js`.replace(/^\/+/, "/"));
    found.add(`${loader[1]}/${loader[2]}/${loader[4]}.wasm`.replace(/^\/+/, "/"));
  }
  // A registered service worker is fetched on the first visit too.
  if ([...found].some((a) => a.endsWith("sw-register.js"))) found.add("/sw.js");
  return [...found].map((a) => (a.startsWith("/") ? a : `/${a}`));
}

// Every island a page names must be in the release bundle, or it would
// silently never hydrate there (the end-to-end run uses a debug build).
const bundleJs = readFileSync(`${BUNDLE}/carethread.js`, "utf8");
const missing = new Set();
function checkIslands(path, html) {
  for (const m of html.matchAll(/<leptos-island[^>]*data-component="([^"]+)"/g)) {
    if (!new RegExp(`export function ${m[1]}\\(`).test(bundleJs)) missing.add(`${m[1]} (on ${path})`);
  }
}
const islandsSeen = new Set();

const kb = (n) => (n / 1024).toFixed(1);
const rows = [];
for (const route of ROUTES) {
  let path = route.path;
  if (path.includes(":id")) {
    const prefix = path.replace("/:id", "/");
    const find = async () =>
      (await page(route.from, route.user, route.org)).html.match(
        new RegExp(`href="(${prefix.replace(/\//g, "\\/")}[0-9a-f-]{36})"`),
      );
    // The demo starts with an empty inbox: send one referral if need be.
    const link = (await find()) ?? ((await sendReferral()), await find());
    if (!link) throw new Error(`no ${path} link on ${route.from}`);
    path = link[1];
  }
  const { status, html } = await page(path, route.user, route.org);
  if (status >= 400 && route.path.includes(":id")) throw new Error(`${path} answered ${status}`);
  if (status >= 500) throw new Error(`${path} answered ${status}`);
  checkIslands(route.path, html);
  for (const m of html.matchAll(/data-component="([^"]+)"/g)) islandsSeen.add(m[1].replace(/_\d+$/, ""));
  const totals = { css: 0, js: 0, wasm: 0 };
  for (const asset of assets(html)) {
    totals[asset.split(".").pop()] += await brotliSize(asset);
  }
  const htmlSize = brotliCompressSync(Buffer.from(html), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  const total = totals.css + totals.js + totals.wasm;
  rows.push({ route: route.path, html: htmlSize, ...totals, total });
}

console.log("What a first visit downloads, brotli q11, KB (budget: css + js + wasm <= 150 KB)");
console.log(
  ["route".padEnd(28), "html", "css", "js", "wasm", "total", ""].map((c, i) => (i ? c.padStart(7) : c)).join(""),
);
let over = 0;
for (const r of rows) {
  const ok = r.total <= BUDGET;
  if (!ok) over++;
  console.log(
    r.route.padEnd(28) +
      [r.html, r.css, r.js, r.wasm, r.total].map((n) => kb(n).padStart(7)).join("") +
      (ok ? "" : "  OVER BUDGET"),
  );
}
const largest = Math.max(...rows.map((r) => r.total));
console.log(`largest first load: ${kb(largest)} KB of 150 KB (${rows.length} routes)`);
console.log(`islands on these pages: ${[...islandsSeen].sort().join(", ") || "none"}`);
if (missing.size) {
  console.error(`islands missing from the release bundle: ${[...missing].join(", ")}`);
  process.exit(1);
}
if (check && over) {
  console.error(`${over} route(s) over the 150 KB budget`);
  process.exit(1);
}
