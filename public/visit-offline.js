// The visit with no network (issue 13, SPEC J4): a small progressive
// enhancement of the visit page's plain forms, loaded only on the
// clinician's pages. Without it every step is an ordinary form post.
//
// - Check-in and check-out take the device's time and, when the phone
//   allows, its location (otherwise the coded reason the clinician picks).
// - Offline (or once a visit has been started offline), each step is kept
//   on the phone in IndexedDB instead of posted, and the next step is shown:
//   check in, check out, fill and sign the log.
// - When the network returns, the whole visit is sent once to
//   /rpc/visits/sync with the phone's idempotency key: sent twice, it is
//   stored once; a log signed elsewhere meanwhile is answered 409 and the
//   phone's copy is kept and shown, never dropped.
// - On the day page, today's visit pages are fetched while online so the
//   service worker has them for the road.
(() => {
  const DB = "carethread-visits";
  const STORE = "pending";

  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req && req.result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const load = (id) => run("readonly", (s) => s.get(id));
  const save = (rec) => run("readwrite", (s) => s.put(rec));
  const drop = (id) => run("readwrite", (s) => s.delete(id));
  const everything = () => run("readonly", (s) => s.getAll());

  function position() {
    return new Promise((resolve) => {
      if (!("geolocation" in navigator)) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
        () => resolve(null),
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 },
      );
    });
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  async function sync() {
    if (!navigator.onLine) return;
    const pending = (await everything()) || [];
    for (const rec of pending) {
      // Check points posted while online are the server's already.
      if (!rec.log) continue;
      let res;
      try {
        res = await fetch("/rpc/visits/sync", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({
            id: rec.id,
            visit: { sync_key: rec.sync_key, check_in: rec.check_in ?? null, check_out: rec.check_out ?? null, log: rec.log },
          }),
        });
      } catch {
        return; // Still offline after all: try again on the next "online".
      }
      if (res.ok) {
        await drop(rec.id);
        if (root && root.dataset.offlineVisit === rec.id) location.reload();
      } else {
        const body = await res.json().catch(() => ({}));
        rec.error = body.message || `The server answered ${res.status}.`;
        await save(rec);
        if (root && root.dataset.offlineVisit === rec.id) say(`Not sent: ${rec.error} Your copy stays on this phone.`, true);
      }
    }
  }

  // The day page: keep today's visits at hand.
  const day = document.querySelector("[data-testid=today]");
  if (day && navigator.onLine) {
    for (const a of day.querySelectorAll("a[href^='/clinician/visits/']")) {
      fetch(a.href, { credentials: "same-origin" }).catch(() => {});
    }
  }

  const root = document.querySelector("[data-offline-visit]");
  function say(text, error) {
    const line = root.querySelector("[data-offline-status]");
    line.textContent = text;
    line.hidden = false;
    line.classList.toggle("field__error", !!error);
  }
  function show(step) {
    for (const el of root.querySelectorAll("[data-step]")) el.hidden = el.dataset.step !== step;
  }

  if (root) {
    const id = root.dataset.offlineVisit;
    const tasks = JSON.parse(root.dataset.tasks || "[]");

    load(id).then((rec) => {
      if (!rec) return;
      if (rec.log) {
        show("none");
        say(rec.error ? `Not sent: ${rec.error} Your copy stays on this phone.` : "Signed on this phone; it will be sent when you are back online.", !!rec.error);
      } else if (rec.check_out) {
        show("log");
      } else if (rec.check_in) {
        show("out");
      }
    });

    for (const form of root.querySelectorAll("form[data-check]")) {
      form.addEventListener("submit", async (ev) => {
        if (form.dataset.ready) return;
        ev.preventDefault();
        const step = form.dataset.check;
        const at = new Date().toISOString();
        const pos = await position();
        form.elements.at.value = at;
        if (pos) {
          form.elements.lat.value = String(pos.lat);
          form.elements.lon.value = String(pos.lon);
        }
        const rec = await load(id);
        if (navigator.onLine && !rec) {
          form.dataset.ready = "1";
          form.submit();
          return;
        }
        const exception = form.elements.exception.value;
        if (!pos && !exception) {
          say("The phone cannot share its location: choose why, then try again.", true);
          return;
        }
        const point = { at, location: pos ? { Device: { lat: pos.lat, lon: pos.lon } } : { Exception: exception } };
        const kept = rec || { id, sync_key: crypto.randomUUID() };
        kept[step === "in" ? "check_in" : "check_out"] = point;
        await save(kept);
        show(step === "in" ? "out" : "log");
        say(`Checked ${step} at ${clock(at)}. Saved on this phone; it will be sent when you are back online.`);
      });
    }

    const logForm = root.querySelector("form[data-log]");
    if (logForm) {
      logForm.addEventListener("submit", async (ev) => {
        if (logForm.dataset.ready) return;
        // Decided after a look at IndexedDB, which cannot be waited for
        // inside the event: held, then posted as usual if nothing is kept.
        ev.preventDefault();
        const rec = await load(id);
        if (navigator.onLine && !rec) {
          logForm.dataset.ready = "1";
          logForm.submit();
          return;
        }
        const f = new FormData(logForm);
        const text = (name) => String(f.get(name) || "").trim();
        const int = (name) => (text(name) === "" ? null : Number.parseInt(text(name), 10));
        const problems = [];
        const results = tasks.map((task, i) => {
          const outcome = text(`outcomes[${i}]`);
          const reason = text(`reasons[${i}]`);
          if (!outcome) problems.push(`Say what became of “${task}”.`);
          else if (outcome !== "done" && !reason) {
            problems.push(`Say why “${task}” was ${outcome === "refused" ? "refused" : "not done"}.`);
          }
          return { task, outcome, reason: outcome === "done" || !reason ? null : reason };
        });
        const signature = text("clinician_signature");
        if (signature.length < 2) problems.push("Type your full name to sign the log.");
        if (text("patient_strokes") && !text("patient_signature")) {
          problems.push("Type the name of the person who drew the signature.");
        }
        if (problems.length) {
          say(problems.join(" "), true);
          return;
        }
        const temperature = text("temperature") === "" ? null : Math.round(Number.parseFloat(text("temperature")) * 10);
        const patient = text("patient_signature");
        const kept = rec || { id, sync_key: crypto.randomUUID() };
        kept.log = {
          visit_id: id,
          tasks: results,
          vitals: {
            systolic: int("systolic"),
            diastolic: int("diastolic"),
            pulse: int("pulse"),
            temperature_f10: temperature,
            spo2: int("spo2"),
            respirations: int("respirations"),
            pain: int("pain"),
          },
          notes: text("notes"),
          patient_signature: patient ? { name: patient, strokes: JSON.parse(text("patient_strokes") || "[]") } : null,
          clinician_signature: { name: signature, strokes: [] },
        };
        delete kept.error;
        await save(kept);
        show("none");
        say("Signed on this phone; it will be sent when you are back online.");
        sync();
      });
    }
  }

  window.addEventListener("online", sync);
  sync();
})();
