//! The database as the application role sees it: a role that owns nothing
//! and bypasses nothing, every reachable table under forced row-level
//! security with a policy, and start-up that is safe to repeat.

// Integration tests: a panic is the failure message.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;

#[tokio::test]
async fn the_app_role_is_unprivileged_and_owns_nothing() {
    let app = TestApp::spawn().await;
    let (user, superuser, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(user, "carethread_app");
    assert!(!superuser);
    assert!(!bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(owned, 0);
}

#[tokio::test]
async fn tables_are_owned_by_the_owner_role_not_a_superuser() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT pg_get_userbyid(c.relowner)::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p')",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(owners, ["carethread_owner"]);
}

#[tokio::test]
async fn every_table_the_app_can_reach_has_forced_rls_and_a_policy() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let offenders: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND has_table_privilege('carethread_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
           AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
                OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        offenders.is_empty(),
        "without forced RLS or a policy: {offenders:?}"
    );

    let unsafe_views: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'v'
           AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        unsafe_views.is_empty(),
        "views without security_invoker: {unsafe_views:?}"
    );
}

#[tokio::test]
async fn start_up_preparation_is_idempotent() {
    let app = TestApp::spawn().await;
    server::db::prepare(&app.urls)
        .await
        .expect("a second run changes nothing and succeeds");
    assert_eq!(app.get("/api/v1/health").await.status(), 200);
}

/// Tables with an `organization_id` column.
const TENANT_TABLES: &str = "SELECT c.oid FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND EXISTS (SELECT FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)";

#[tokio::test]
async fn every_tenant_table_is_guarded_by_forced_rls_and_a_restrictive_policy() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let offenders: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT c.relname::text FROM pg_class c WHERE c.oid IN ({TENANT_TABLES})
           AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
                OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
                OR (has_table_privilege('carethread_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                    AND NOT EXISTS (
                        SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive
                          AND (p.polroles = '{{0}}'
                               OR (SELECT oid FROM pg_roles WHERE rolname = 'carethread_app') = ANY (p.polroles)))))"
    ))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        offenders.is_empty(),
        "tenant tables without forced RLS and a tenant guard: {offenders:?}"
    );
    let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM ({TENANT_TABLES}) t"))
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(count >= 4, "the lint found the tenant tables");
}

#[tokio::test]
async fn tenant_keys_unique_constraints_and_foreign_keys_include_the_organization() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    // Every unique index (primary keys included) on a tenant table.
    let bad_unique: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT i.indexrelid::regclass::text FROM pg_index i
         WHERE i.indisunique AND i.indrelid IN ({TENANT_TABLES})
           AND NOT EXISTS (SELECT FROM pg_attribute a
                           WHERE a.attrelid = i.indrelid AND a.attname = 'organization_id'
                             AND a.attnum = ANY (i.indkey))"
    ))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        bad_unique.is_empty(),
        "unique indexes without organization_id: {bad_unique:?}"
    );
    // Every foreign key from a tenant table to another tenant table.
    let bad_fk: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT con.conname::text FROM pg_constraint con
         WHERE con.contype = 'f' AND con.conrelid IN ({TENANT_TABLES})
           AND con.confrelid IN ({TENANT_TABLES})
           AND (NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = con.conrelid
                              AND (a.attname = 'organization_id'
                                   -- or a party column: a referral's clinic owns its patient
                                   OR col_description(a.attrelid, a.attnum) = 'tenant-party')
                              AND a.attnum = ANY (con.conkey))
                OR NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = con.confrelid
                              AND a.attname = 'organization_id' AND a.attnum = ANY (con.confkey)))"
    ))
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        bad_fk.is_empty(),
        "tenant foreign keys without organization_id: {bad_fk:?}"
    );
}

#[tokio::test]
async fn the_worker_role_is_unprivileged_and_owns_nothing_either() {
    let app = TestApp::spawn().await;
    let (superuser, bypass, owned): (bool, bool, i64) = sqlx::query_as(
        "SELECT r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&app.worker_pool)
    .await
    .unwrap();
    assert!(!superuser && !bypass);
    assert_eq!(owned, 0);
}

#[tokio::test]
async fn security_definer_functions_are_only_the_reviewed_ones() {
    // Such a function runs with its owner's rights: each one is a hole in
    // row-level security unless it is narrow. Adding one means reviewing
    // it and naming it here.
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let definers: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        definers,
        [
            "audit_events_chain",
            // Erasure of a deletion request and the daily retention purge:
            // they decide what may be removed, for the job and the clinic's
            // administrator alike (migrations/*_data_rights.sql).
            "data_erase",
            // An erasure carried out expires every export's files
            // (migrations/*_exports.sql); a trigger.
            "data_exports_expire_on_erasure",
            "data_retention_purge",
            // A registering family's own organization, with them its one
            // member (migrations/*_care_recipients.sql).
            "family_signup",
            // Intake links: the token holder's four doors (read the link,
            // keep a draft, sign, the signer's copy), the public hash check, the reminder's
            // second token and the expired links' clean-up; each keyed on
            // a token's hash, a hash, or a link (migrations/*_intake_links.sql).
            "intake_link_copy",
            "intake_link_for_token",
            "intake_link_remind",
            "intake_link_save_draft",
            "intake_link_submit",
            "intake_links_prune",
            "intake_verify",
            // Triggers that file one job of a fixed kind for the outbox row
            // just written (migrations/*_jobs.sql); a trigger function
            // cannot be called directly.
            // Bookings' and payments' jobs (migrations/*_booking.sql).
            "jobs_file_booking",
            "jobs_file_clinic_payment",
            "jobs_file_erasure",
            "jobs_file_event",
            "jobs_file_export",
            "jobs_file_intake_reminder",
            "jobs_file_mail",
            "jobs_file_settle",
            "jobs_file_webhook",
            // The ledger: its checks at commit and on each entry (triggers)
            // and the one way to post, which only appends a balanced
            // transaction of a shape the caller may post
            // (migrations/*_ledger.sql).
            "ledger_check_balanced",
            "ledger_check_has_entries",
            "ledger_entries_same_filing",
            "ledger_post",
            // A referral routed to a clinic takes the branch serving its
            // ZIP, which the referrer cannot read (migrations/*_branches.sql);
            // a trigger.
            "referrals_assign_branch",
            "sandbox_signup",
            // Every edit of the trust portal's content writes the public
            // change feed and bumps the last-reviewed date
            // (migrations/*_trust_editing.sql); a trigger.
            "trust_record_change",
            // A booked visit declined, cancelled or missed lets its hold
            // go; completed with its EVV record, it schedules the payout
            // (migrations/*_booking.sql); a trigger.
            "visit_payments_follow_visit",
            // Keeps the times of each clinician's visits (times only) for
            // open slots (migrations/*_availability.sql); a trigger.
            "visits_busy_projection",
            // Session records by id only (server/src/sessions.rs).
            "web_session_create",
            "web_session_delete",
            "web_session_delete_expired",
            "web_session_load",
            "web_session_save",
        ]
    );
}

#[tokio::test]
async fn the_platform_organization_id_in_code_is_the_one_the_database_uses() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let (function, row): (uuid::Uuid, Option<uuid::Uuid>) = sqlx::query_as(
        "SELECT platform_org_id(), (SELECT id FROM organizations WHERE id = platform_org_id())",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(app::db::platform_org_id().uuid(), function);
    assert_eq!(row, Some(function), "the platform organization exists");
}

#[tokio::test]
async fn a_real_database_error_reaches_the_client_as_nothing_specific() {
    use axum::response::IntoResponse;
    let app = TestApp::spawn().await;
    // The web role may not read webhook secrets: the database says so, in
    // words that name the table.
    let error = sqlx::query("SELECT secret FROM webhook_endpoints")
        .fetch_all(&app.pool)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("webhook_endpoints"), "{error}");
    let converted = app::error::AppError::from(error);
    assert_eq!(converted, app::error::AppError::Internal);
    let shown = converted.to_string();
    let response = converted.into_response();
    assert_eq!(response.status(), 500);
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    for said in [shown.as_str(), body.as_str()] {
        for secret in ["webhook_endpoints", "secret", "permission", "42501"] {
            assert!(!said.contains(secret), "{secret} in {said}");
        }
    }
}

#[tokio::test]
async fn every_rust_vocabulary_is_the_database_enum_of_the_same_name() {
    use app::auth::{OrgKind, Role};
    use app::clinicians::Verification;
    use app::developer::{ApiEnvironment, DeliveryStatus, RateWindow};
    use app::domain::EventType;
    use app::payments::{AccountKind, EntryKind};
    use app::referrals::{
        AttachmentKind, CareType, DeclineReason, Discipline, Priority, ReferralStatus,
    };
    use app::trust::{CertificationStatus, PacketKind};
    use app::visits::{EvvException, VisitStatus};
    fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| as_str(*v).to_owned()).collect()
    }
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let vocabularies = [
        ("event_type", names(EventType::ALL, EventType::as_str)),
        ("rate_window", names(RateWindow::ALL, RateWindow::as_str)),
        (
            "api_environment",
            names(ApiEnvironment::ALL, ApiEnvironment::as_str),
        ),
        (
            "webhook_status",
            names(DeliveryStatus::ALL, DeliveryStatus::as_str),
        ),
        (
            "referral_status",
            names(ReferralStatus::ALL, ReferralStatus::as_str),
        ),
        ("care_type", names(CareType::ALL, CareType::as_str)),
        ("discipline", names(Discipline::ALL, Discipline::as_str)),
        ("referral_priority", names(Priority::ALL, Priority::as_str)),
        (
            "decline_reason",
            names(DeclineReason::ALL, DeclineReason::as_str),
        ),
        ("member_role", names(Role::ALL, Role::as_str)),
        ("organization_kind", names(OrgKind::ALL, OrgKind::as_str)),
        (
            "verification_status",
            names(Verification::ALL, Verification::as_str),
        ),
        (
            "vendor_packet_kind",
            names(PacketKind::ALL, PacketKind::as_str),
        ),
        (
            "certification_status",
            names(CertificationStatus::ALL, CertificationStatus::as_str),
        ),
        ("visit_status", names(VisitStatus::ALL, VisitStatus::as_str)),
        (
            "evv_exception",
            names(EvvException::ALL, EvvException::as_str),
        ),
        (
            "attachment_kind",
            names(AttachmentKind::ALL, AttachmentKind::as_str),
        ),
        (
            "ledger_account_kind",
            names(AccountKind::ALL, AccountKind::as_str),
        ),
        (
            "ledger_entry_kind",
            names(EntryKind::ALL, EntryKind::as_str),
        ),
        (
            "payment_state",
            names(
                app::payments::PaymentState::ALL,
                app::payments::PaymentState::as_str,
            ),
        ),
    ];
    for (pg, rust) in vocabularies {
        let stored: Vec<String> =
            sqlx::query_scalar(&format!("SELECT unnest(enum_range(NULL::{pg}))::text"))
                .fetch_all(&mut admin)
                .await
                .unwrap();
        assert_eq!(stored, rust, "{pg}");
    }
}

#[tokio::test]
async fn every_constraint_the_domain_names_exists() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    for violation in app::error::Violation::ALL {
        let name = violation.constraint();
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM pg_constraint WHERE conname = $1)
                 OR EXISTS (SELECT FROM pg_indexes WHERE indexname = $1 AND indexdef LIKE '%UNIQUE%')",
        )
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        assert!(found, "{violation:?}: no constraint {name}");
    }
}
