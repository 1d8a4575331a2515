//! Platform administrators reach tenant PHI only by break-glass (SPEC §7):
//! no grant, no read; a grant (with a reason) reads a clinic's referrals
//! through the audited reads, each one an event in the clinic's own chain
//! naming the break-glass actor; never a write, by the code or by the
//! policies; nothing after expiry; the clinic's administrators are mailed
//! and see it on their audit page. And no more live keys minted for
//! another organization. Policies are checked as the application role.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::session::{resolve, SessionClaim};
use app::auth::{RequestMeta, Role};
use app::db::platform_org_id;
use app::error::AppError;
use common::{TestApp, TestUser};
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

struct World {
    riverbend: Uuid,
    ops: TestUser,
    /// The platform administrator, signed in.
    ops_client: reqwest::Client,
    director: reqwest::Client,
    /// A referral Mercy sent to Riverbend.
    referral: String,
}

/// `(action, actor_type, actor_user_id, actor_grant_id, subject_id)`.
type EventRow = (String, String, Option<Uuid>, Option<Uuid>, Option<String>);

const REASON: &str = "Support ticket 4411: the clinic cannot find a referral";

async fn world(app: &TestApp) -> World {
    let riverbend = app.org("clinic", "Riverbend Home Health").await;
    let lakeside = app.org("clinic", "Lakeside Home Care").await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    app.user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    app.user(
        "director@riverbend.example",
        Some(riverbend),
        Role::ClinicAdmin,
    )
    .await;
    app.user(
        "intake@riverbend.example",
        Some(riverbend),
        Role::ClinicStaff,
    )
    .await;
    app.user(
        "director@lakeside.example",
        Some(lakeside),
        Role::ClinicAdmin,
    )
    .await;
    let ops = app
        .user("ops@carethread.example", None, Role::PlatformAdmin)
        .await;
    app.verified_clinician("Near Nurse", "43215", Some(riverbend))
        .await;
    let planner = app.signed_in("planner@mercy.example").await;
    let start = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let res = app
        .rpc(
            &planner,
            "referrals/create",
            &[
                ("patient_initials", "J.D."),
                ("patient_birth_year", "1948"),
                ("zip", "43215"),
                ("diagnosis", "I50.9 Heart failure, unspecified"),
                ("care_type", "skilled_nursing"),
                ("priority", "priority"),
                ("requested_start", &start),
                ("notes", "Daily weights; lives alone."),
                ("clinic_id", &riverbend.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let referral = res.json::<Uuid>().await.unwrap().to_string();
    World {
        riverbend,
        ops,
        ops_client: app.signed_in("ops@carethread.example").await,
        director: app.signed_in("director@riverbend.example").await,
        referral,
    }
}

/// Opens a grant on `org` as the platform administrator; its id.
async fn open(app: &TestApp, w: &World, org: Uuid) -> Uuid {
    let res = app
        .rpc(
            &w.ops_client,
            "break-glass/open",
            &[
                ("organization_id", &org.to_string()),
                ("reason", REASON),
                ("minutes", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let grant: Value = res.json().await.unwrap();
    assert_eq!(grant["active"], true);
    assert_eq!(grant["reason"], REASON);
    grant["id"].as_str().unwrap().parse().unwrap()
}

async fn referrals(app: &TestApp, w: &World) -> reqwest::Response {
    app.rpc(
        &w.ops_client,
        "break-glass/referrals",
        &[("organization_id", &w.riverbend.to_string())],
    )
    .await
}

/// A transaction as the application role with this identity, exactly as
/// the app sets it (transaction-local settings).
async fn as_app(
    app: &TestApp,
    user: Uuid,
    org: Uuid,
    role: &str,
    grant: Option<Uuid>,
) -> Transaction<'static, Postgres> {
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', $3, true), set_config('app.break_glass', $4, true)",
    )
    .bind(user.to_string())
    .bind(org.to_string())
    .bind(role)
    .bind(grant.map(|g| g.to_string()).unwrap_or_default())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

async fn count(tx: &mut Transaction<'static, Postgres>, table: &str) -> i64 {
    // Table names from this file only.
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .unwrap()
}

fn sql_state(e: &sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .unwrap_or_default()
        .to_string()
}

/// The platform administrator's principal, resolved from their sign-in.
async fn ops_principal(app: &TestApp, w: &World) -> app::auth::Principal {
    let mut db = app.admin().await;
    let login: Uuid = sqlx::query_scalar(
        "SELECT id FROM user_sessions WHERE user_id = $1 AND ended_at IS NULL
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(w.ops.id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    let claim = SessionClaim {
        user_id: w.ops.id.into(),
        login_id: login.into(),
        org_id: platform_org_id(),
        role: Role::PlatformAdmin,
        can_switch: false,
    };
    let tx = resolve(&app.pool, &app.policy, &claim)
        .await
        .unwrap()
        .expect("a live sign-in");
    let principal = tx.principal().clone();
    tx.commit().await.unwrap();
    principal
}

#[tokio::test]
async fn without_a_grant_a_platform_admin_reads_nothing_of_a_clinic() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;

    assert_eq!(referrals(&app, &w).await.status(), 403);
    let res = app
        .rpc(
            &w.ops_client,
            "break-glass/referral",
            &[
                ("organization_id", &w.riverbend.to_string()),
                ("id", &w.referral),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(&w.ops_client, "referrals/get", &[("id", &w.referral)])
        .await;
    assert_eq!(res.status(), 403);

    // The policies: acting for the clinic as platform_admin, with no grant
    // or a made-up one, reads no referral, history or match.
    for grant in [None, Some(Uuid::new_v4())] {
        let mut tx = as_app(&app, w.ops.id, w.riverbend, "platform_admin", grant).await;
        for table in ["referrals", "referral_history", "referral_matches"] {
            assert_eq!(count(&mut tx, table).await, 0, "{table} with {grant:?}");
        }
    }
    // Nothing was recorded as a break-glass read.
    let mut db = app.admin().await;
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE actor_type = 'break_glass'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(events, 0);
}

#[tokio::test]
async fn with_a_grant_each_read_is_an_event_in_the_clinics_chain() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let grant = open(&app, &w, w.riverbend).await;

    let res = referrals(&app, &w).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [w.referral.as_str()]);
    let res = app
        .rpc(
            &w.ops_client,
            "break-glass/referral",
            &[
                ("organization_id", &w.riverbend.to_string()),
                ("id", &w.referral),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let referral: Value = res.json().await.unwrap();
    assert_eq!(referral["patient_initials"], "JD");

    let mut db = app.admin().await;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT action, actor_type, actor_user_id, actor_grant_id, subject_id FROM audit_events
         WHERE organization_id = $1 AND actor_type = 'break_glass' ORDER BY seq",
    )
    .bind(w.riverbend)
    .fetch_all(&mut db)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        actions,
        ["break_glass.opened", "referral.searched", "referral.viewed"]
    );
    for (_, kind, user, event_grant, _) in &events {
        assert_eq!(kind, "break_glass");
        assert_eq!(*user, Some(w.ops.id));
        assert_eq!(*event_grant, Some(grant));
    }
    assert_eq!(events[2].4.as_deref(), Some(w.referral.as_str()));
    // Not in the platform's chain: the tenant's own.
    let elsewhere: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
         WHERE organization_id <> $1 AND (actor_type = 'break_glass' OR action LIKE 'break_glass.%')",
    )
    .bind(w.riverbend)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(elsewhere, 0);

    // The clinic's chain, with the new actor kind in it, still verifies.
    let res = app.rpc(&w.director, "audit/verify", &[]).await;
    let status: Value = res.json().await.unwrap();
    assert_eq!(status["first_broken_seq"], Value::Null, "{status}");
    assert!(status["events"].as_i64().unwrap() >= 3);
    // The operator's verifier, recomputing outside the database, agrees.
    let chains = server::audit_anchor::walk_chains(&mut db).await.unwrap();
    assert!(chains.problems.is_empty(), "{:?}", chains.problems);
    // And the hash covers the grant: pointing an event at another grant
    // breaks the chain there (as the superuser, past the append-only rule).
    sqlx::raw_sql(
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET actor_grant_id = gen_random_uuid()
          WHERE actor_type = 'break_glass' AND action = 'referral.viewed';
         ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let res = app.rpc(&w.director, "audit/verify", &[]).await;
    let status: Value = res.json().await.unwrap();
    assert!(status["first_broken_seq"].is_i64(), "{status}");
    let chains = server::audit_anchor::walk_chains(&mut db).await.unwrap();
    assert!(
        chains.problems.iter().any(|p| matches!(
            p,
            server::audit_anchor::Problem::Altered { organization_id, .. }
                if *organization_id == w.riverbend
        )),
        "{:?}",
        chains.problems
    );
}

#[tokio::test]
async fn even_with_a_grant_the_admin_cannot_write() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let grant = open(&app, &w, w.riverbend).await;

    // The doors refuse.
    let res = app
        .rpc(
            &w.ops_client,
            "referrals/step",
            &[("id", &w.referral), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 403);

    // The domain operation refuses a break-glass principal.
    let principal = ops_principal(&app, &w).await;
    let referral: Uuid = w.referral.parse().unwrap();
    for step in [
        app::referrals::service::Step::Accept,
        app::referrals::service::Step::parse("decline", "no_capacity", "").unwrap(),
    ] {
        let tx = app::auth::session::break_glass(&app.pool, &principal, w.riverbend.into())
            .await
            .unwrap();
        assert!(tx.principal().break_glass().is_some());
        let refused = app::referrals::service::take_step(
            tx,
            &app::vault::Keyring::development(),
            referral.into(),
            step,
            &RequestMeta::default(),
        )
        .await;
        assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
    }

    // The policies: under the live grant the referral is readable, and
    // nothing about it is writable.
    let mut tx = as_app(&app, w.ops.id, w.riverbend, "platform_admin", Some(grant)).await;
    assert_eq!(count(&mut tx, "referrals").await, 1);
    let updated: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE referrals SET status = 'accepted', updated_at = now() RETURNING id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(updated.is_empty(), "a break-glass update went through");
    for table in ["referral_history", "referral_matches"] {
        assert!(count(&mut tx, table).await > 0, "{table} is readable");
        sqlx::raw_sql("SAVEPOINT s")
            .execute(&mut *tx)
            .await
            .unwrap();
        // Table names from this file only.
        let copied = sqlx::query(&format!(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE SELECT * FROM {table} LIMIT 1"
        ))
        .execute(&mut *tx)
        .await;
        let state = sql_state(&copied.expect_err("a break-glass insert went through"));
        assert_eq!(state, "42501", "{table}");
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT s")
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    // Nor may it write an event as the administrator in person.
    let as_person = sqlx::query(
        "INSERT INTO audit_events (organization_id, actor_type, actor_user_id, action)
         VALUES ($1, 'user', $2, 'referral.viewed')",
    )
    .bind(w.riverbend)
    .bind(w.ops.id)
    .execute(&mut *tx)
    .await;
    assert_eq!(sql_state(&as_person.unwrap_err()), "42501");
    drop(tx);

    let mut db = app.admin().await;
    let status: String = sqlx::query_scalar("SELECT status::text FROM referrals WHERE id = $1")
        .bind(referral)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_ne!(status, "accepted");
    assert_ne!(status, "declined");
}

#[tokio::test]
async fn after_expiry_the_grant_reads_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let grant = open(&app, &w, w.riverbend).await;
    assert_eq!(referrals(&app, &w).await.status(), 200);

    // An hour later.
    let mut db = app.admin().await;
    sqlx::query(
        "UPDATE break_glass_grants SET opened_at = now() - interval '2 hours',
                expires_at = now() - interval '1 hour' WHERE id = $1",
    )
    .bind(grant)
    .execute(&mut db)
    .await
    .unwrap();

    assert_eq!(referrals(&app, &w).await.status(), 403);
    let options: Value = app
        .rpc(
            &w.ops_client,
            "break-glass/options",
            &[("organization_id", &w.riverbend.to_string())],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(options["grant"], Value::Null, "{options}");
    // The database itself compares now() with expires_at.
    let mut tx = as_app(&app, w.ops.id, w.riverbend, "platform_admin", Some(grant)).await;
    for table in ["referrals", "referral_history", "referral_matches"] {
        assert_eq!(count(&mut tx, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn opening_mails_the_clinic_admins_and_shows_on_their_audit_page() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    open(&app, &w, w.riverbend).await;

    let mail = app
        .wait_for_mail("director@riverbend.example", "Break-glass access")
        .await;
    assert!(
        mail.subject.contains("Riverbend Home Health"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Test ops"), "{}", mail.text);
    assert!(mail.text.contains(REASON), "{}", mail.text);
    assert!(mail.text.contains("UTC"), "the expiry: {}", mail.text);
    assert!(mail.text.contains("/clinic/audit"), "{}", mail.text);
    // No patient information.
    for phi in ["JD", "1948", "Heart failure", "Daily weights"] {
        assert!(
            !mail.text.contains(phi) && !mail.html.contains(phi),
            "{phi}"
        );
    }
    // Only the organization's administrators.
    assert!(app
        .mail_to("intake@riverbend.example")
        .iter()
        .all(|m| !m.subject.contains("Break-glass")));
    assert!(app
        .mail_to("director@lakeside.example")
        .iter()
        .all(|m| !m.subject.contains("Break-glass")));

    let res = app.rpc(&w.director, "audit/log", &[]).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let grants = page["break_glass"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{page}");
    assert_eq!(grants[0]["admin_name"], "Test ops");
    assert_eq!(grants[0]["reason"], REASON);
    assert_eq!(grants[0]["active"], true);
    let opened = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "break_glass.opened")
        .expect("the opening is in the clinic's log");
    assert!(
        opened["actor"].as_str().unwrap().contains("break-glass"),
        "{opened}"
    );
    assert!(opened["actor"].as_str().unwrap().contains("Test ops"));

    // Another clinic's administrator sees none of it.
    let lakeside = app.signed_in("director@lakeside.example").await;
    let page: Value = app
        .rpc(&lakeside, "audit/log", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["break_glass"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_reason_and_a_sane_duration_are_required() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let org = w.riverbend.to_string();
    let too_long = "x".repeat(501);
    for (reason, minutes, field) in [
        ("", "30", "reason"),
        ("   ", "30", "reason"),
        ("too short", "30", "reason"),
        (too_long.as_str(), "30", "reason"),
        (REASON, "90", "minutes"),
        (REASON, "5", "minutes"),
    ] {
        let res = app
            .rpc(
                &w.ops_client,
                "break-glass/open",
                &[
                    ("organization_id", &org),
                    ("reason", reason),
                    ("minutes", minutes),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{reason:?} {minutes}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(field), "{body}");
    }
    let res = app
        .rpc(&w.ops_client, "break-glass/open", &[("reason", REASON)])
        .await;
    assert_eq!(res.status(), 422);
    // Not the platform itself, nor an organization that does not exist.
    for org in [platform_org_id().uuid(), Uuid::new_v4()] {
        let res = app
            .rpc(
                &w.ops_client,
                "break-glass/open",
                &[("organization_id", &org.to_string()), ("reason", REASON)],
            )
            .await;
        assert_eq!(res.status(), 422, "{org}");
    }
    // Only platform administrators open one.
    let res = app
        .rpc(
            &w.director,
            "break-glass/open",
            &[("organization_id", &org), ("reason", REASON)],
        )
        .await;
    assert_eq!(res.status(), 403);

    let mut db = app.admin().await;
    let grants: i64 = sqlx::query_scalar("SELECT count(*) FROM break_glass_grants")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(grants, 0);
    // The database holds the same rules.
    let short = sqlx::query(
        "INSERT INTO break_glass_grants (organization_id, id, admin_user_id, admin_name, reason, expires_at)
         VALUES ($1, gen_random_uuid(), $2, 'Ops', 'short', now() + interval '30 minutes')",
    )
    .bind(w.riverbend)
    .bind(w.ops.id)
    .execute(&mut db)
    .await;
    assert_eq!(sql_state(&short.unwrap_err()), "23514");
    let long = sqlx::query(
        "INSERT INTO break_glass_grants (organization_id, id, admin_user_id, admin_name, reason, expires_at)
         VALUES ($1, gen_random_uuid(), $2, 'Ops', $3, now() + interval '2 hours')",
    )
    .bind(w.riverbend)
    .bind(w.ops.id)
    .bind(REASON)
    .execute(&mut db)
    .await;
    assert_eq!(sql_state(&long.unwrap_err()), "23514");
}

#[tokio::test]
async fn a_platform_admin_can_no_longer_create_a_live_key_for_a_clinic() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;

    let res = app
        .rpc(
            &w.ops_client,
            "developer/keys/create",
            &[
                ("name", "Quiet reader"),
                ("organization_id", &w.riverbend.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(
            &w.ops_client,
            "developer/keys/create",
            &[("name", "Quiet reader")],
        )
        .await;
    assert_eq!(res.status(), 403);

    // The policy refuses it too, as the application role, whichever
    // organization the administrator acts for (even under a grant).
    let grant = open(&app, &w, w.riverbend).await;
    for (org, grant) in [
        (platform_org_id().uuid(), None),
        (w.riverbend, None),
        (w.riverbend, Some(grant)),
    ] {
        let mut tx = as_app(&app, w.ops.id, org, "platform_admin", grant).await;
        let made = sqlx::query(
            "INSERT INTO api_keys (organization_id, key_id, secret_hash, environment, name, acts_as, created_by)
             VALUES ($1, 'abcdefabcdef', decode(repeat('ab', 32), 'hex'), 'live', 'Quiet reader',
                     'clinic_staff', $2)",
        )
        .bind(w.riverbend)
        .bind(w.ops.id)
        .execute(&mut *tx)
        .await;
        assert_eq!(sql_state(&made.unwrap_err()), "42501", "acting for {org}");
    }
    // A clinic administrator still makes their own clinic's key, and the
    // policy admits exactly that.
    let res = app
        .rpc(&w.director, "developer/keys/create", &[("name", "EHR")])
        .await;
    assert_eq!(res.status(), 200);
    let mut db = app.admin().await;
    let keys: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT organization_id, name FROM api_keys WHERE environment = 'live'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(keys, [(w.riverbend, "EHR".to_owned())]);
}
