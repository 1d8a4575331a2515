// Summarises Lighthouse JSON reports (written by scripts/lighthouse.sh) as
// one row per page: performance and accessibility scores (0-100), Largest
// Contentful Paint, Total Blocking Time and Cumulative Layout Shift. Below
// the table, every page under 100 for accessibility lists its failing
// audits and the elements they flagged.
//
//   node scripts/lighthouse-report.mjs [--check] REPORT.json...
//
// With --check it exits 1 when any page scores below 100 for accessibility:
// those audits inspect the DOM and give the same answer every run.
// Performance is only printed: it is timing, and varies with the machine.
// A report that did not audit the page asked for (a runtime error, or a
// redirect such as a rejected sign-in sending the browser to /login) exits
// 2 whatever the flags, since its figures would describe the wrong page.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const check = args.includes("--check");
const files = args.filter((a) => a !== "--check");
if (!files.length) {
  console.error("usage: node scripts/lighthouse-report.mjs [--check] REPORT.json...");
  process.exit(2);
}

const score = (category) => (category?.score == null ? null : Math.round(category.score * 100));
const value = (lhr, id) => lhr.audits[id]?.numericValue ?? null;

const rows = [];
const broken = [];
for (const file of files) {
  const lhr = JSON.parse(readFileSync(file, "utf8"));
  const page = new URL(lhr.requestedUrl).pathname;
  const landed = new URL(lhr.finalDisplayedUrl).pathname;
  if (lhr.runtimeError) broken.push(`${page}: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  else if (landed !== page) broken.push(`${page}: the browser ended on ${landed} (signed out?)`);

  // An accessibility audit fails when it applies to the page and scores
  // below 1; manual and not-applicable ones carry no score.
  const failing = (lhr.categories.accessibility?.auditRefs ?? [])
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative");
  rows.push({
    page,
    file,
    performance: score(lhr.categories.performance),
    accessibility: score(lhr.categories.accessibility),
    lcp: value(lhr, "largest-contentful-paint"),
    tbt: value(lhr, "total-blocking-time"),
    cls: value(lhr, "cumulative-layout-shift"),
    failing,
  });
}

const show = (n, fmt) => (n == null ? "-" : fmt(n));
const columns = [
  ["page", (r) => r.page],
  ["perf", (r) => show(r.performance, String)],
  ["a11y", (r) => show(r.accessibility, String)],
  ["LCP ms", (r) => show(r.lcp, (n) => String(Math.round(n)))],
  ["TBT ms", (r) => show(r.tbt, (n) => String(Math.round(n)))],
  ["CLS", (r) => show(r.cls, (n) => n.toFixed(3))],
];
const cells = rows.map((r) => columns.map(([, cell]) => cell(r)));
const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
// The page name is text (left-aligned); the figures line up on the right.
const line = (values) => values.map((v, i) => (i ? v.padStart(widths[i] + 2) : v.padEnd(widths[i]))).join("");
console.log(line(columns.map(([title]) => title)));
for (const c of cells) console.log(line(c));

// The elements each failing audit flagged, as Lighthouse describes them.
const MAX_ITEMS = 5;
const short = (s, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
for (const r of rows.filter((r) => r.failing.length)) {
  console.log(`\n${r.page}: accessibility ${r.accessibility} (${r.file})`);
  for (const audit of r.failing) {
    console.log(`  ${audit.id}: ${audit.title}`);
    const items = audit.details?.items ?? [];
    for (const item of items.slice(0, MAX_ITEMS)) {
      const node = item.node ?? {};
      console.log(`    ${node.selector ?? "?"}  ${short(node.snippet ?? "")}`);
      // axe's reasons ("Fix any of the following: …"), minus its preamble.
      for (const reason of (node.explanation ?? "").split("\n").slice(1)) console.log(`      ${reason.trim()}`);
    }
    if (items.length > MAX_ITEMS) console.log(`    … and ${items.length - MAX_ITEMS} more`);
  }
}

if (broken.length) {
  console.error(`\nnot audited as asked:\n  ${broken.join("\n  ")}`);
  process.exit(2);
}
const below = rows.filter((r) => r.accessibility !== 100);
if (check && below.length) {
  console.error(`\n${below.length} page(s) below 100 for accessibility`);
  process.exit(1);
}
