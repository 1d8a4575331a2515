// The integrator's journey (issue: developer API): from the developer page
// alone, get a sandbox key by email, try requests, register a webhook,
// create a referral with FHIR, receive the webhooks on a local receiver and
// verify them with the Standard Webhooks package from npm (an independent
// implementation) and the body HMAC, see the delivery log, ping and
// resend, and run into the rate limit.
import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { expectAccessible, freshEmail, hydrated, latestMail, signIn, watchConsole } from "./helpers";

type Hit = { headers: Record<string, string>; body: string };

/** A webhook receiver on loopback that records every request. */
async function receiver(): Promise<{ url: string; hits: Hit[]; close: () => void }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string") headers[k] = v;
      }
      hits.push({ headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, hits, close: () => server.close() };
}

test("an integrator gets a sandbox key, calls the API and verifies its webhooks", async ({ page }) => {
  // Three waits on the job runner and 130 requests.
  test.slow();
  const problems = watchConsole(page);
  const hooks = await receiver();

  await page.goto("/developers");
  await expect(page.getByRole("heading", { level: 1, name: "Developers" })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page, "/developers");

  // A sandbox key, by email: bad input first.
  await page.locator("#email").fill("not-an-address");
  await page.getByRole("button", { name: "Email me a sandbox key" }).click();
  await expect(page.getByRole("alert")).toContainText("Please correct the highlighted fields");
  const email = freshEmail("integrator");
  await page.locator("#email").fill(email);
  await page.getByRole("button", { name: "Email me a sandbox key" }).click();
  await expect(page.getByTestId("sandbox-sent")).toBeVisible();
  const mail = await latestMail(page, email, "sandbox API key");
  const key = mail.text.match(/ct_sandbox_[a-z0-9]{12}_[A-Za-z0-9]{32}/)![0];

  // Try a request with it.
  await page.locator("#key").fill(key);
  await page.getByRole("button", { name: "Use this key" }).click();
  await expect(page.getByTestId("key-in-use")).toContainText("Using ct_sandbox_");
  // The key is kept for the session, never written into the page.
  expect(await page.content()).not.toContain(key);
  await page.getByRole("link", { name: "Search clinicians" }).click();
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("try-status")).toHaveText("200 OK");
  await expect(page.getByTestId("try-response")).toContainText("ratelimit-remaining");
  await expect(page.getByTestId("try-body")).toContainText('"rate"');

  // Register a webhook endpoint: the secret is shown once.
  await page.locator("#url").fill(hooks.url);
  await page.getByRole("button", { name: "Register endpoint" }).click();
  const secretBox = page.getByTestId("webhook-secret").locator("code");
  await expect(secretBox).toHaveText(/^whsec_/);
  const secret = (await secretBox.textContent())!;
  await expect(page.getByTestId("endpoint")).toHaveCount(1);
  await expectAccessible(page, "/developers with an endpoint");

  // A referral created with FHIR fires referral.created.
  await page.getByRole("link", { name: "FHIR ServiceRequest" }).click();
  await expect(page.locator("#path")).toHaveValue("/api/v1/fhir/ServiceRequest");
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("try-status")).toHaveText("201 Created");
  await expect
    .poll(() => hooks.hits.map((h) => JSON.parse(h.body).type), { timeout: 30_000 })
    .toContain("referral.created");

  const wh = new Webhook(secret);
  for (const hit of hooks.hits) {
    wh.verify(hit.body, hit.headers); // throws if the signature is wrong
    const mac = createHmac("sha256", secret).update(hit.body).digest("hex");
    expect(hit.headers["x-carethread-signature"]).toBe(`sha256=${mac}`);
    expect(hit.body).not.toContain("Jane");
  }
  expect(() => wh.verify(hooks.hits[0].body + " ", hooks.hits[0].headers)).toThrow();

  // The delivery log shows them delivered; a ping arrives too.
  await page.getByRole("button", { name: "Send ping" }).click();
  await expect
    .poll(() => hooks.hits.some((h) => JSON.parse(h.body).type === "ping"), { timeout: 30_000 })
    .toBe(true);
  // The receiver has the ping before the server has read its answer and
  // recorded it: refresh until the log says delivered.
  const pingRow = page.getByTestId("deliveries").locator("tbody tr").filter({ hasText: "ping" }).first();
  await expect
    .poll(
      async () => {
        await page.getByRole("link", { name: "Refresh log" }).click();
        return (await pingRow.count()) ? pingRow.getAttribute("data-status") : "not listed";
      },
      { timeout: 30_000 },
    )
    .toBe("delivered");

  // Resend the ping: the same message id again.
  const pingId = hooks.hits.find((h) => JSON.parse(h.body).type === "ping")!.headers["webhook-id"];
  const before = hooks.hits.length;
  await pingRow.getByRole("button", { name: "Resend" }).click();
  await expect.poll(() => hooks.hits.length, { timeout: 30_000 }).toBeGreaterThan(before);
  expect(hooks.hits[hooks.hits.length - 1].headers["webhook-id"]).toBe(pingId);

  // The sandbox allows 60 requests a minute: the limit answers 429. The
  // count is per calendar minute, and the loop may cross into the next
  // one: 130 tries put more than 60 into one minute whatever the split.
  let limited = null;
  for (let i = 0; i < 130 && !limited; i++) {
    const res = await page.request.get("/api/v1/geo/zip/43215", {
      headers: { Authorization: `Bearer ${key}` },
    });
    if (res.status() === 429) limited = res;
  }
  expect(limited, "the limit was reached").not.toBeNull();
  expect(Number(limited!.headers()["retry-after"])).toBeGreaterThan(0);
  const body = await limited!.json();
  expect(body.error.code).toBe("rate_limited");
  expect(body.rate.remaining).toBe(0);

  hooks.close();
  // The one expected: the browser logs the 422 of the rejected address.
  const unexpected = problems.filter((p) => !p.includes("status of 422"));
  expect(unexpected, "console errors").toEqual([]);
});

test("a clinic administrator makes a live key, sees it once and revokes it", async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  await page.goto("/developers");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Live keys" })).toBeVisible();
  await expect(page.getByText("Keys that act for Riverbend Home Health.", { exact: false })).toBeVisible();

  const name = `Scheduling ${Date.now()}`;
  await page.locator("#name").fill(name);
  await page.getByRole("button", { name: "Create live key" }).click();
  const shown = page.getByTestId("new-key");
  await expect(shown).toContainText("It will not be shown again");
  const key = (await shown.locator("code").textContent())!.trim();
  expect(key).toMatch(/^ct_live_[a-z0-9]{12}_[A-Za-z0-9]{32}$/);
  const zip = () => page.request.get("/api/v1/geo/zip/43215", { headers: { "X-API-Key": key } });
  expect((await zip()).status()).toBe(200);

  // Listed by its prefix only, never the secret.
  const row = page.getByTestId("live-keys").locator("tbody tr", { hasText: name });
  await expect(row).toContainText(key.split("_").slice(0, 3).join("_"));
  await expect(page.getByTestId("live-keys")).not.toContainText(key);
  await expectAccessible(page, "/developers as a clinic administrator");

  // Revoking asks first (a disclosure, so it works without JavaScript);
  // closing it again backs out.
  const ask = row.locator("summary", { hasText: "Revoke" });
  await ask.click();
  await expect(row.getByRole("group", { name: "Revoke" })).toContainText("stop working at once");
  await ask.click();
  await expect(row.getByRole("button", { name: "Revoke key" })).toBeHidden();

  await ask.click();
  await row.getByRole("button", { name: "Revoke key" }).click();
  await expect(row).toContainText("Revoked");
  expect((await zip()).status()).toBe(401);
  expect(problems, "console errors").toEqual([]);
});

test("the developer page fits a phone screen without sideways scrolling", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto("/developers");
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});
