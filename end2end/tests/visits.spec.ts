// The first visit (issue 13, SPEC J1 step 5 and J4), on a phone: clinic
// staff accept a referral (its packet is released) and schedule a visit;
// the nurse accepts it, goes offline, checks in, fills and signs the log,
// comes back online; the server holds exactly one signed log, with the
// hash the phone shows; the planner sees "First visit done".
import { expect, test } from "@playwright/test";
import { expectAccessible, signIn, watchConsole } from "./helpers";

/** The demo clinic (server/src/demo/mod.rs). */
const RIVERBEND = "de000000-0000-4000-8000-000000000101";

function inDays(n: number): string {
  return new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
}

test("a visit is worked offline on a phone and its signed log arrives once", async ({ browser }) => {
  // The service worker caches the debug build's wasm on its first install.
  test.slow();
  // The planner sends a referral with its packet.
  const planner = await (await browser.newContext()).newPage();
  await signIn(planner, "planner@mercy.example");
  await expect(planner).toHaveURL(/\/referrer$/);
  const sent = await planner.request.post("/rpc/referrals/create", {
    form: {
      patient_initials: "MB",
      patient_birth_year: "1950",
      zip: "43215",
      diagnosis: "I50.9 Heart failure, unspecified",
      care_type: "skilled_nursing",
      priority: "priority",
      requested_start: inDays(2),
      clinic_id: RIVERBEND,
      packet_full_name: "Mae Brooks",
      packet_birth_date: "1950-04-04",
      packet_address: "41 Cedar Lane",
      packet_phone: "(614) 555-0177",
      packet_payer: "medicare",
      packet_member_id: "1EG4TE5MK99",
      packet_emergency_name: "Ray Brooks",
      packet_emergency_phone: "(614) 555-0178",
    },
  });
  expect(sent.status()).toBe(200);
  const referral: string = await sent.json();
  // The discharge summary, attached on the referral's page (a plain
  // multipart form).
  await planner.goto(`/referrer/referrals/${referral}`);
  await planner.locator("#attach-kind").selectOption("discharge_summary");
  await planner.getByLabel(/^PDF file/).setInputFiles({
    name: "summary.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n% Discharge summary for Mae Brooks\n%%EOF\n"),
  });
  await planner.getByRole("button", { name: "Attach" }).click();
  await expect(planner.getByTestId("attach-outcome")).toHaveText("The document was attached.");
  await expect(planner.getByTestId("documents")).toContainText("Discharge summary");

  // Riverbend's staff accept it: the packet appears; they schedule a visit.
  const staff = await (await browser.newContext()).newPage();
  await signIn(staff, "intake@riverbend.example");
  await expect(staff).toHaveURL(/\/clinic$/);
  await staff.goto(`/clinic/inbox/${referral}`);
  await expect(staff.getByTestId("packet")).toHaveCount(0);
  await expect(staff.getByTestId("documents")).toHaveCount(0);
  await staff.getByRole("button", { name: "Accept", exact: true }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("Accepted");
  await expect(staff.getByTestId("packet")).toContainText("Mae Brooks");
  await expect(staff.getByTestId("packet")).toContainText("41 Cedar Lane");
  // The document is released with the packet, and opens as a PDF.
  const doc = staff.getByTestId("documents").getByRole("link", { name: /Discharge summary/ });
  const pdf = await staff.request.get((await doc.getAttribute("href"))!);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).toString()).toContain("Mae Brooks");
  const nurseOption = staff.locator("#schedule-clinician option", { hasText: "Luis Moreno" });
  await staff.locator("#schedule-clinician").selectOption((await nurseOption.getAttribute("value"))!);
  await staff.getByLabel(/^Date/).fill(inDays(3));
  await staff.getByLabel(/^Starts \(UTC\)/).fill("03:00");
  await staff.getByLabel(/^Ends \(UTC\)/).fill("03:45");
  await staff.getByRole("button", { name: "Schedule", exact: true }).click();
  await expect(staff.getByTestId("referral-status")).toHaveText("First visit scheduled");
  await expect(staff.getByTestId("referral-visits")).toContainText("Luis Moreno, RN");
  await expectAccessible(staff, "accepted referral with its visit");

  // The nurse, on a phone, acting for Riverbend.
  const phone = await browser.newContext({
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    geolocation: { latitude: 39.9652, longitude: -82.9988 },
    permissions: ["geolocation"],
  });
  const nurse = await phone.newPage();
  await signIn(nurse, "nurse@carethread.example");
  await expect(nurse).toHaveURL(/\/clinician$/);
  await nurse.goto("/switch");
  await nurse.getByRole("listitem").filter({ hasText: "Riverbend Home Health" }).getByRole("button", { name: "Switch" }).click();
  await expect(nurse).toHaveURL(/\/clinician$/);
  await expect(nurse.getByText("Your day · visits for Riverbend Home Health")).toBeVisible();
  // Watched from here: while the service worker first installs, Chromium
  // may report the switch page's own inline scripts as it is left.
  const problems = watchConsole(nurse);
  await expectAccessible(nurse, "the clinician's day at 360 px");
  const offer = nurse.getByTestId("offers").getByRole("listitem").filter({ hasText: "41 Cedar Lane" });
  await expect(offer).toContainText("41 Cedar Lane");
  await offer.getByRole("button", { name: "Accept", exact: true }).click();
  const upcoming = nurse.getByTestId("upcoming").getByRole("listitem").filter({ hasText: "41 Cedar Lane" });
  await upcoming.getByRole("link", { name: "Open visit" }).click();
  await expect(nurse.getByTestId("visit-status")).toHaveText("Accepted");
  const visitUrl = nurse.url();
  const visit = visitUrl.split("/").pop()!;
  // Nothing wider than the phone, and every target big enough for a thumb.
  expect(await nurse.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  for (const button of await nurse.getByRole("button").all()) {
    if (!(await button.isVisible())) continue;
    const box = (await button.boundingBox())!;
    expect(box.height, await button.textContent() ?? "").toBeGreaterThanOrEqual(44);
  }
  await expectAccessible(nurse, "a visit at 360 px");

  // The service worker has the page; the network goes away.
  await expect
    .poll(() => nurse.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), {
      timeout: 30_000,
    })
    .toBe("activated");
  await nurse.reload();
  await expect.poll(() => nurse.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  // The worker stores the page as it passes it on: wait until it is stored.
  await expect
    .poll(
      () =>
        nurse.evaluate(
          async () => (await caches.match(location.pathname, { cacheName: "carethread-clinician" })) !== undefined,
        ),
      { timeout: 30_000 },
    )
    .toBe(true);
  await phone.setOffline(true);
  await nurse.reload();
  await expect(nurse.getByTestId("visit-status")).toHaveText("Accepted");

  await nurse.getByRole("button", { name: "Check in" }).click();
  await expect(nurse.getByRole("status")).toContainText("Checked in at");
  await nurse.getByRole("button", { name: "Check out" }).click();
  await expect(nurse.getByRole("status")).toContainText("Checked out at");
  const tasks = nurse.locator(".task");
  const count = await tasks.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    await tasks.nth(i).getByText("Done", { exact: true }).click();
  }
  await nurse.getByLabel(/^Pulse/).fill("74");
  await nurse.getByLabel(/^Temperature/).fill("98.4");
  await nurse.getByLabel(/^Notes/).fill("Worked offline; all well.");
  // The patient signs with a finger on the pad (a script even offline).
  const pad = nurse.getByRole("img", { name: "Signature drawing area" });
  const box = (await pad.boundingBox())!;
  await nurse.mouse.move(box.x + 20, box.y + 60);
  await nurse.mouse.down();
  await nurse.mouse.move(box.x + 80, box.y + 30, { steps: 5 });
  await nurse.mouse.move(box.x + 140, box.y + 80, { steps: 5 });
  await nurse.mouse.up();
  await nurse.getByLabel(/^Patient or family signature/).fill("Mae Brooks");
  await nurse.getByLabel(/^Your signature/).fill("Luis Moreno");
  await nurse.getByRole("button", { name: "Sign the log" }).click();
  await expect(nurse.getByRole("status")).toContainText("Signed on this phone");
  const pending = await nurse.evaluate(
    () =>
      new Promise<unknown>((resolve) => {
        const req = indexedDB.open("carethread-visits", 1);
        req.onsuccess = () => {
          const get = req.result.transaction("pending").objectStore("pending").getAll();
          get.onsuccess = () => resolve(get.result);
        };
      }),
  );
  expect(pending).toHaveLength(1);
  const kept = (pending as { id: string; sync_key: string; check_in: unknown; check_out: unknown; log: unknown }[])[0];

  // Back online: the visit is sent, the page shows the signed log.
  await phone.setOffline(false);
  await expect(nurse.getByTestId("signed-log")).toBeVisible({ timeout: 20_000 });
  await expect(nurse.getByTestId("visit-status")).toHaveText("Completed");
  await expect(nurse.getByTestId("evv")).toHaveText("EVV complete");
  await expect(nurse.getByTestId("drawn-signature")).toBeVisible();
  const hash = (await nurse.getByTestId("log-hash").textContent())!.trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);

  // The same sync arriving again stores nothing new: the same hash.
  const again = await nurse.request.post("/rpc/visits/sync", {
    data: { id: kept.id, visit: { sync_key: kept.sync_key, check_in: kept.check_in, check_out: kept.check_out, log: kept.log } },
  });
  expect(again.status()).toBe(200);
  const receipt = await again.json();
  expect(receipt.replayed).toBe(true);
  expect(receipt.sha256).toBe(hash);

  // The clinic reads the one signed log with that hash; the planner sees
  // the first visit done.
  const seen = await staff.request.post("/rpc/visits/get", { form: { id: visit } });
  const detail = await seen.json();
  expect(detail.log.sha256).toBe(hash);
  expect(detail.log.log.vitals.temperature_f10).toBe(984);
  await planner.goto(`/referrer/referrals/${referral}`);
  await expect(planner.getByTestId("referral-status")).toHaveText("First visit done");
  // No script failed; only the expected network refusals while offline.
  expect(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|Failed to fetch/.test(p))).toEqual([]);

  // Signing out forgets the clinician's pages on this phone.
  expect(await nurse.evaluate(() => caches.has("carethread-clinician"))).toBe(true);
  await nurse.getByRole("button", { name: "Sign out" }).click();
  await expect(nurse).toHaveURL(/\/login/);
  await expect.poll(() => nurse.evaluate(() => caches.has("carethread-clinician"))).toBe(false);
  await phone.close();
});

test("the demo shows every state at first look", async ({ page }) => {
  await signIn(page, "director@riverbend.example");
  await expect(page).toHaveURL(/\/clinic$/);
  for (const status of ["received", "matched", "accepted", "declined", "scheduled", "first_visit_done", "closed", "cancelled"]) {
    await page.goto(`/clinic/inbox?status=${status}`);
    await expect(page.getByTestId("referrals").locator("tbody tr").first(), status).toBeVisible();
  }
  await page.goto("/clinic/schedule");
  await expect(page.getByTestId("late")).toContainText("Luis Moreno, RN");
  await expect(page.getByTestId("evv-exceptions")).toContainText("Luis Moreno, RN");
  await expect(page.getByTestId("awaiting-countersign")).toContainText("Luis Moreno, RN");
  await expectAccessible(page, "/clinic/schedule");
  // A signed log, countersigned here.
  await page.getByTestId("awaiting-countersign").getByRole("link").first().click();
  await expect(page.getByTestId("signed-log")).toContainText("SHA-256");
  await page.getByRole("button", { name: "Countersign the log" }).click();
  await expect(page.getByTestId("countersigned")).toContainText("Countersigned by Renée Okafor");
});
