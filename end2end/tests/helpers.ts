import { expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/** Waits until the islands have hydrated: a click on an island before that
 * is lost (plain forms and links need no waiting). */
export async function hydrated(page: Page) {
  await page.locator('html[data-hydrated="true"]').waitFor({ state: "attached", timeout: 30_000 });
}

/** Collects console errors and CSP violations for the life of the page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(String(err)));
  return problems;
}

/** Runs axe-core for WCAG 2.1 A and AA and expects no violations. */
export async function expectAccessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  expect(summary, `axe violations on ${label}`).toEqual([]);
  // axe no longer reports a repeated id, but a label or an error link
  // that names one points at whichever element comes first, which may be
  // a hidden one (two forms with the same field on one page).
  const repeated = await page.evaluate(() => {
    const seen = new Map<string, number>();
    for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
  expect(repeated, `ids used more than once on ${label}`).toEqual([]);
}

/** The demo accounts' password (demo data only; see the README). */
export const DEMO_PASSWORD = "carethread-demo-2026";

/** Signs in through the form and waits for its answer: a signed-in page
 * (its header names who is signed in) or the form's error. A dashboard that
 * answered 401 has neither, so a session that did not stick fails here,
 * not several steps later. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  // A plain form: it works before (and without) the wasm, so no waiting.
  await page.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page
    .getByTestId("who")
    .or(page.getByRole("alert"))
    .first()
    .waitFor({ state: "attached", timeout: 20_000 });
}

/** The newest message the development SMTP sink received for `to` about
 * `subject`, and whose text contains `containing` when given: for an
 * address that had such mail before (a demo account), `containing` must
 * name something only the awaited message has, or an older one is found
 * while the new one is still on its way through the job runner. */
export async function latestMail(page: Page, to: string, subject: string, containing?: string) {
  for (let i = 0; i < 100; i++) {
    const res = await page.request.get("/dev/mail.json");
    const mails: { to: string[]; subject: string; text: string }[] = await res.json();
    const found = mails.find(
      (m) =>
        m.to.includes(to) &&
        m.subject.includes(subject) &&
        (containing === undefined || m.text.includes(containing)),
    );
    if (found) return found;
    await page.waitForTimeout(200);
  }
  throw new Error(`no mail to ${to} about ${subject}${containing ? ` containing ${containing}` : ""}`);
}

/** The path of the first link in `text` containing `needle`. */
export function linkIn(text: string, needle: string): string {
  const url = text.split(/\s+/).find((w) => w.startsWith("http") && w.includes(needle));
  if (!url) throw new Error(`no link with ${needle}`);
  const u = new URL(url);
  return u.pathname + u.search;
}

/** A fresh address for accounts a test creates. */
export function freshEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.org`;
}
