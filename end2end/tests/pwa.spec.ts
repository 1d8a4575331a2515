// The installable shell: manifest, service worker, offline page, and
// Chromium's own installability verdict.
import { chromium, expect, test } from "@playwright/test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromiumArgs } from "../playwright.config";

test("every page links a complete web app manifest", async ({ page, request }) => {
  for (const route of ["/", "/trust", "/no-such-page"]) {
    await page.goto(route);
    await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
  }
  const res = await request.get("/manifest.webmanifest");
  expect(res.status()).toBe(200);
  const manifest = await res.json();
  expect(manifest.name).toBe("Carethread");
  expect(manifest.short_name).toBeTruthy();
  expect(manifest.start_url).toMatch(/^\//);
  expect(manifest.display).toBe("standalone");
  expect(manifest.theme_color).toMatch(/^#/);
  const sizes = (purpose: string) =>
    manifest.icons.filter((i: { purpose: string }) => i.purpose === purpose).map((i: { sizes: string }) => i.sizes);
  expect(sizes("any")).toEqual(expect.arrayContaining(["192x192", "512x512"]));
  expect(sizes("maskable")).toContain("512x512");
  for (const icon of manifest.icons) {
    const r = await request.get(icon.src);
    expect(r.status(), icon.src).toBe(200);
  }
});

test("the service worker registers and the offline page is served offline", async ({ page, context }) => {
  await page.goto("/trust");
  // `ready` resolves once a worker is active, possibly still "activating".
  await expect
    .poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
    .toBe("activated");
  // Once the worker controls the page, take the network away.
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await context.setOffline(true);
  await page.goto("/trust");
  await expect(page.getByRole("heading", { name: "You are offline" })).toBeVisible();
  await context.setOffline(false);
});

test("Chromium reports the app installable", async ({ baseURL }) => {
  // Incognito contexts are never installable: use a real profile.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ct-pwa-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: chromiumArgs,
  });
  try {
    const page = await context.newPage();
    await page.goto(`${baseURL}/`);
    await page.evaluate(async () => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(async () => (await cdp.send("Page.getInstallabilityErrors")).installabilityErrors.map((e) => e.errorId), {
        timeout: 15_000,
      })
      .toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test("static assets travel compressed, pages never", async ({ request }) => {
  for (const asset of ["/pkg/carethread.wasm", "/pkg/carethread.js", "/pkg/carethread.css"]) {
    const res = await request.get(asset, { headers: { "accept-encoding": "br, gzip" } });
    expect(res.status(), asset).toBe(200);
    expect(res.headers()["content-encoding"], asset).toBe("br");
  }
  // A page or an API answer can hold a secret: never compressed (BREACH).
  for (const path of ["/trust", "/developers", "/api/v1/health", "/trust.json"]) {
    const res = await request.get(path, { headers: { "accept-encoding": "br, gzip" } });
    expect(res.headers()["content-encoding"], path).toBeUndefined();
  }
});
