//! Tenant isolation, proven against the database itself: a property test
//! builds random organizations, members, invitations and audit events,
//! then, acting as every member through the same principal transaction the
//! application uses, reads, updates, deletes and inserts across *every*
//! table with an `organization_id` column (found in the catalog, so tables
//! added later are covered without touching this file), and checks that
//! nothing of another organization is ever returned or written.
//!
//! A row counts as the acting organization's when it is in its
//! `organization_id` or in a column marked as a party to the row
//! (`COMMENT ... IS 'tenant-party'`, e.g. the clinic a referral is sent to).
//!
//! The one deliberate exception: platform administrators administer
//! accounts across organizations (memberships and invitations); for every
//! other tenant table they are held to their own organization too.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::session::{resolve, SessionClaim};
use app::auth::Role;
use app::db::platform_org_id;
use common::TestApp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::Row;
use std::collections::HashSet;
use uuid::Uuid;

/// Tables platform administrators may read across organizations.
const ACCOUNT_ADMINISTRATION: [&str; 2] = ["memberships", "invitations"];

#[derive(Debug, Clone)]
struct OrgPlan {
    clinic: bool,
    /// Role of each member (indexes into the kind's roles).
    members: Vec<u8>,
    invitations: u8,
    events: u8,
}

#[derive(Debug, Clone)]
struct World {
    orgs: Vec<OrgPlan>,
    /// Platform members: true = family, false = clinician.
    platform_people: Vec<bool>,
    platform_admin: bool,
}

fn world() -> impl Strategy<Value = World> {
    let org = (
        any::<bool>(),
        prop::collection::vec(0u8..2, 1..4),
        0u8..3,
        0u8..4,
    )
        .prop_map(|(clinic, members, invitations, events)| OrgPlan {
            clinic,
            members,
            invitations,
            events,
        });
    (
        prop::collection::vec(org, 2..4),
        prop::collection::vec(any::<bool>(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(orgs, platform_people, platform_admin)| World {
            orgs,
            platform_people,
            platform_admin,
        })
}

/// A member to act as.
struct Actor {
    claim: SessionClaim,
}

/// A member of `org` with `role`, signed in: their session claim.
async fn add_person(admin: &mut sqlx::PgConnection, org: Uuid, role: Role) -> Actor {
    let hash = common::password_hash().await;
    let user = Uuid::new_v4();
    let login = Uuid::new_v4();
    sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, $2, 'Prop')")
        .bind(user)
        .bind(format!("{}@prop.example", user.simple()))
        .execute(&mut *admin)
        .await
        .unwrap();
    sqlx::query("INSERT INTO user_credentials (user_id, password_hash) VALUES ($1, $2)")
        .bind(user)
        .bind(hash)
        .execute(&mut *admin)
        .await
        .unwrap();
    sqlx::query("INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(&mut *admin)
        .await
        .unwrap();
    sqlx::query(
            "INSERT INTO user_sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
        )
        .bind(login)
        .bind(user)
        .execute(&mut *admin)
        .await
        .unwrap();
    Actor {
        claim: SessionClaim {
            user_id: user.into(),
            login_id: login.into(),
            org_id: org.into(),
            role,
            can_switch: false,
        },
    }
}

/// A fixture referral from `org` to `clinic` (none: not routed) for a
/// patient in `zip`; its id.
async fn insert_referral(
    admin: &mut sqlx::PgConnection,
    org: Uuid,
    clinic: Option<Uuid>,
    zip: &str,
) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
             zip, diagnosis_code, care_type, priority, requested_start)
         VALUES ($1, $2, $3, 'R-' || upper(substr(md5($2::text), 1, 8)), 'AB', $4,
                 'I509', 'skilled_nursing', 'routine', current_date)",
    )
    .bind(org)
    .bind(id)
    .bind(clinic)
    .bind(zip)
    .execute(admin)
    .await
    .unwrap();
    id
}

/// Builds `world` with a superuser connection (fixtures) and returns the
/// members to act as.
async fn build(app: &TestApp, world: &World) -> Vec<Actor> {
    let mut admin = app.admin().await;
    let mut actors = Vec::new();
    let mut made: Vec<(Uuid, bool, OrgPlan)> = Vec::new();
    for plan in &world.orgs {
        let kind = if plan.clinic { "clinic" } else { "referrer" };
        let org: Uuid = sqlx::query_scalar(
            "INSERT INTO organizations (kind, name) VALUES ($1::text::organization_kind, 'Prop org') RETURNING id",
        )
        .bind(kind)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        for pick in &plan.members {
            let role = match (plan.clinic, pick) {
                (true, 0) => Role::ClinicAdmin,
                (true, _) => Role::ClinicStaff,
                (false, _) => Role::Referrer,
            };
            actors.push(add_person(&mut admin, org, role).await);
        }
        for _ in 0..plan.invitations {
            let role = if plan.clinic {
                "clinic_staff"
            } else {
                "referrer"
            };
            sqlx::query(
                "INSERT INTO invitations (organization_id, email, role, token_hash, expires_at)
                 VALUES ($1, $2, $3::text::member_role, $4, now() + interval '1 day')",
            )
            .bind(org)
            .bind(format!("{}@invite.example", Uuid::new_v4().simple()))
            .bind(role)
            .bind(Uuid::new_v4().as_bytes().repeat(2))
            .execute(&mut admin)
            .await
            .unwrap();
        }
        made.push((org, plan.clinic, plan.clone()));
        for _ in 0..plan.events {
            sqlx::query(
                "INSERT INTO audit_events (organization_id, action) VALUES ($1, 'auth.sign_in')",
            )
            .bind(org)
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
    // Referrals (and their events) between the referring organizations
    // and the clinics, some not routed to any clinic.
    let clinics: Vec<Uuid> = made
        .iter()
        .filter(|(_, clinic, _)| *clinic)
        .map(|(o, _, _)| *o)
        .collect();
    for (i, (org, clinic, plan)) in made.iter().enumerate() {
        if *clinic {
            continue;
        }
        for n in 0..plan.events.min(3) {
            let to = (!clinics.is_empty() && n % 2 == 0)
                .then(|| clinics[(i + n as usize) % clinics.len()]);
            let id = insert_referral(&mut admin, *org, to, "43215").await;
            sqlx::query(
                "INSERT INTO domain_events (organization_id, clinic_id, event_type, subject_id)
                 VALUES ($1, $2, 'referral.created', $3)",
            )
            .bind(org)
            .bind(to)
            .bind(id)
            .execute(&mut admin)
            .await
            .unwrap();
        }
    }
    for family in &world.platform_people {
        let role = if *family {
            Role::Family
        } else {
            Role::Clinician
        };
        actors.push(add_person(&mut admin, platform_org_id().uuid(), role).await);
    }
    if world.platform_admin {
        actors.push(add_person(&mut admin, platform_org_id().uuid(), Role::PlatformAdmin).await);
    }
    actors
}

/// A tenant table and the columns naming the organizations that are
/// parties to each row (`organization_id` first).
struct TenantTable {
    name: String,
    parties: Vec<String>,
}

/// Every table with an `organization_id` column, with its party columns.
async fn tenant_tables(app: &TestApp) -> Vec<TenantTable> {
    let mut admin = app.admin().await;
    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT c.relname::text,
                array_agg(a.attname::text ORDER BY a.attname <> 'organization_id', a.attname)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND EXISTS (SELECT FROM pg_attribute o WHERE o.attrelid = c.oid AND o.attname = 'organization_id')
           AND (a.attname = 'organization_id' OR col_description(c.oid, a.attnum) = 'tenant-party')
         GROUP BY c.relname
         ORDER BY 1",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(name, parties)| TenantTable { name, parties })
        .collect()
}

/// Runs `sql` inside a savepoint (so a refusal does not end the
/// transaction, and a change is undone) and returns, for every row it
/// returned, the organizations that are parties to it; None when the
/// database refused.
async fn attempt(conn: &mut sqlx::PgConnection, sql: &str) -> Option<Vec<Vec<Uuid>>> {
    sqlx::raw_sql("SAVEPOINT probe")
        .execute(&mut *conn)
        .await
        .unwrap();
    let result = sqlx::query(sql).fetch_all(&mut *conn).await;
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT probe")
        .execute(&mut *conn)
        .await
        .unwrap();
    match result {
        // Every party column of every row (a party may be unset).
        Ok(rows) => Some(
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .filter_map(|i| r.get::<Option<Uuid>, _>(i))
                        .collect()
                })
                .collect(),
        ),
        Err(e) => {
            let code = e
                .as_database_error()
                .and_then(|d| d.code())
                .unwrap_or_default()
                .to_string();
            // 42501: permission denied or a row-level security refusal;
            // P0001 / 23xxx: a trigger or constraint said no. Anything else
            // is a broken probe.
            assert!(
                code == "42501" || code == "P0001" || code.starts_with("23"),
                "{sql}: unexpected {e}"
            );
            None
        }
    }
}

async fn check(app: &TestApp, world: World, tables: &[TenantTable]) {
    let actors = build(app, &world).await;
    let all_orgs: Vec<Uuid> = {
        let mut admin = app.admin().await;
        sqlx::query_scalar("SELECT id FROM organizations")
            .fetch_all(&mut admin)
            .await
            .unwrap()
    };
    for actor in actors {
        let claim = &actor.claim;
        let mut tx = resolve(&app.pool, &app.policy, claim)
            .await
            .unwrap()
            .expect("a live session resolves");
        let own = claim.org_id.uuid();
        let platform_admin = claim.role == Role::PlatformAdmin;
        for t in tables {
            let table = &t.name;
            // Identifiers from the catalog, quoted: tests only.
            let parties = t
                .parties
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let exempt = platform_admin && ACCOUNT_ADMINISTRATION.contains(&table.as_str());
            let others_ok =
                |rows: &[Vec<Uuid>]| exempt || rows.iter().all(|orgs| orgs.contains(&own));
            let read = attempt(tx.conn(), &format!("SELECT {parties} FROM \"{table}\"")).await;
            if let Some(rows) = &read {
                assert!(
                    others_ok(rows),
                    "{:?} read another organization's {table}",
                    claim.role
                );
            }
            let updated = attempt(
                tx.conn(),
                &format!(
                    "UPDATE \"{table}\" SET organization_id = organization_id RETURNING {parties}"
                ),
            )
            .await;
            if let Some(rows) = &updated {
                assert!(
                    others_ok(rows),
                    "{:?} updated another organization's {table}",
                    claim.role
                );
            }
            let deleted = attempt(
                tx.conn(),
                &format!("DELETE FROM \"{table}\" RETURNING {parties}"),
            )
            .await;
            if let Some(rows) = &deleted {
                assert!(
                    others_ok(rows),
                    "{:?} deleted another organization's {table}",
                    claim.role
                );
            }
            // Moving one's own rows into another organization is refused.
            for other in all_orgs.iter().filter(|o| **o != own).take(1) {
                let moved = attempt(
                    tx.conn(),
                    &format!("UPDATE \"{table}\" SET organization_id = '{other}' RETURNING organization_id"),
                )
                .await;
                if let Some(rows) = moved {
                    assert!(
                        exempt || rows.is_empty(),
                        "{:?} moved {table} rows to {other}",
                        claim.role
                    );
                }
            }
        }
        // Inserting into another organization is refused.
        for other in all_orgs.iter().filter(|o| **o != own) {
            let membership = attempt(
                tx.conn(),
                &format!(
                    "INSERT INTO memberships (organization_id, user_id, role)
                     VALUES ('{other}', '{}', 'clinic_staff') RETURNING organization_id",
                    claim.user_id
                ),
            )
            .await;
            assert!(
                membership.is_none() || platform_admin,
                "{:?} joined {other}",
                claim.role
            );
            let event = attempt(
                tx.conn(),
                &format!("INSERT INTO audit_events (organization_id, actor_user_id, action) VALUES ('{other}', '{}', 'auth.sign_in') RETURNING organization_id", claim.user_id),
            )
            .await;
            assert!(
                event.is_none(),
                "{:?} wrote into {other}'s audit chain",
                claim.role
            );
        }
        // Organizations: exactly one's own, the other party of every
        // referral one can read, and (for a referrer, who picks where to
        // send) every clinic. Stated as the first form of the policy said
        // it, so its faster rewrite is held to the same rows.
        if !platform_admin {
            let kinds: Vec<(Uuid, String)> =
                sqlx::query_as("SELECT id, kind::text FROM organizations")
                    .fetch_all(&mut app.admin().await)
                    .await
                    .unwrap();
            let parties: Vec<(Uuid, Option<Uuid>)> =
                sqlx::query_as("SELECT organization_id, clinic_id FROM referrals")
                    .fetch_all(tx.conn())
                    .await
                    .unwrap();
            let mut expected: HashSet<Uuid> = HashSet::from([own]);
            for (sender, receiver) in parties {
                expected.insert(sender);
                expected.extend(receiver);
            }
            if claim.role == Role::Referrer {
                expected.extend(
                    kinds
                        .iter()
                        .filter(|(_, k)| k == "clinic")
                        .map(|(id, _)| *id),
                );
            }
            let seen: HashSet<Uuid> = sqlx::query_scalar("SELECT id FROM organizations")
                .fetch_all(tx.conn())
                .await
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(
                seen, expected,
                "{:?} saw the wrong organizations",
                claim.role
            );
        }
        // People: only colleagues (or oneself on the platform).
        let people: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM users")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        if !platform_admin {
            let allowed: HashSet<Uuid> = if own == platform_org_id().uuid() {
                HashSet::from([claim.user_id.uuid()])
            } else {
                sqlx::query_scalar("SELECT user_id FROM memberships WHERE organization_id = $1")
                    .bind(own)
                    .fetch_all(tx.conn())
                    .await
                    .unwrap()
                    .into_iter()
                    .collect()
            };
            for p in people {
                assert!(allowed.contains(&p), "{:?} saw a stranger", claim.role);
            }
        }
        // Families and clinicians see only their own membership.
        if matches!(claim.role, Role::Family | Role::Clinician) {
            let mine: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM memberships")
                .fetch_all(tx.conn())
                .await
                .unwrap();
            assert_eq!(mine, [claim.user_id.uuid()]);
        }
        // Secrets: only one's own.
        let hashes: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM user_credentials")
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert_eq!(
            hashes,
            [claim.user_id.uuid()],
            "{:?} read others' credentials",
            claim.role
        );
    }
}

#[test]
fn no_query_as_one_organization_reads_or_writes_another_organizations_rows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let tables = rt.block_on(tenant_tables(&app));
    for expected in [
        "audit_events",
        "invitations",
        "memberships",
        "referrals",
        "domain_events",
    ] {
        assert!(
            tables.iter().any(|t| t.name == expected),
            "{expected} is covered"
        );
    }
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(16);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&world(), |world| {
            rt.block_on(check(&app, world, &tables));
            Ok(())
        })
        .unwrap();
}

/// A clinic with branches: each patient and referral in a ZIP that one
/// branch serves (or none), and staff assigned to a branch or to none.
#[derive(Debug, Clone)]
struct BranchPlan {
    branches: usize,
    /// Each patient's ZIP: the ZIP of branch `i % branches`, or (None) a
    /// ZIP no branch serves.
    patients: Vec<Option<usize>>,
    referrals: Vec<Option<usize>>,
    /// Each staff member's branch (None: the whole clinic).
    staff: Vec<Option<usize>>,
}

fn branch_plan() -> impl Strategy<Value = BranchPlan> {
    (
        1usize..4,
        prop::collection::vec(prop::option::of(0usize..4), 0..8),
        prop::collection::vec(prop::option::of(0usize..4), 0..6),
        prop::collection::vec(prop::option::of(0usize..4), 1..4),
    )
        .prop_map(|(branches, patients, referrals, staff)| BranchPlan {
            branches,
            patients,
            referrals,
            staff,
        })
}

/// Builds the plan and checks that every staff member reads exactly the
/// patients, visits and referrals of their branch (all of the clinic's
/// with no branch), as does the administrator (all), through the same
/// principal transaction the application uses.
async fn check_branches(app: &TestApp, plan: BranchPlan) {
    let mut admin = app.admin().await;
    let zips: Vec<String> =
        sqlx::query_scalar("SELECT zip::text FROM zip_codes ORDER BY zip LIMIT 5")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    let (served, unserved) = (&zips[..4], &zips[4]);
    let clinic: Uuid = sqlx::query_scalar(
        "INSERT INTO organizations (kind, name) VALUES ('clinic', 'Branch clinic') RETURNING id",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let referrer: Uuid = sqlx::query_scalar(
        "INSERT INTO organizations (kind, name) VALUES ('referrer', 'Branch referrer') RETURNING id",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let mut branches = Vec::new();
    for (i, zip) in served.iter().enumerate().take(plan.branches) {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO branches (organization_id, name, zips)
             VALUES ($1, $2, ARRAY[$3]::char(5)[]) RETURNING id",
        )
        .bind(clinic)
        .bind(format!("Branch {i}"))
        .bind(zip)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        branches.push(id);
    }
    let zip_of = |p: &Option<usize>| match p {
        Some(i) => served[i % plan.branches].clone(),
        None => unserved.clone(),
    };
    let branch_of = |p: &Option<usize>| p.map(|i| branches[i % plan.branches]);
    let nurse = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO clinicians (id, display_name, discipline, npi, home_zip, lat, lon,
             service_radius_miles, care_types)
         SELECT $1, 'Branch Nurse', 'rn', '1' || lpad(($2 % 1000000000)::text, 9, '0'), zip, lat, lon, 10,
                '{skilled_nursing}'
         FROM zip_codes WHERE zip = $3",
    )
    .bind(nurse)
    .bind((nurse.as_u128() % 1_000_000_000) as i64)
    .bind(&served[0])
    .execute(&mut admin)
    .await
    .unwrap();
    for (n, p) in plan.patients.iter().enumerate() {
        let patient: Uuid = sqlx::query_scalar(
            "INSERT INTO patients (organization_id, initials, zip, key_id, sealed, match_index)
             VALUES ($1, 'BP', $2, 'dev', '\\x00', sha256(gen_random_uuid()::text::bytea))
             RETURNING id",
        )
        .bind(clinic)
        .bind(zip_of(p))
        .fetch_one(&mut admin)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO visits (organization_id, patient_id, clinician_id, service, starts_at, ends_at)
             VALUES ($1, $2, $3, 'skilled_nursing', now() + make_interval(hours => $4),
                     now() + make_interval(hours => $4, mins => 30))",
        )
        .bind(clinic)
        .bind(patient)
        .bind(nurse)
        .bind(n as i32 + 1)
        .execute(&mut admin)
        .await
        .unwrap();
    }
    for r in &plan.referrals {
        insert_referral(&mut admin, referrer, Some(clinic), &zip_of(r)).await;
    }
    let mut actors = vec![(
        add_person(&mut admin, clinic, Role::ClinicAdmin).await,
        None,
    )];
    for s in &plan.staff {
        let actor = add_person(&mut admin, clinic, Role::ClinicStaff).await;
        sqlx::query("UPDATE memberships SET branch_id = $1 WHERE user_id = $2")
            .bind(branch_of(s))
            .bind(actor.claim.user_id.uuid())
            .execute(&mut admin)
            .await
            .unwrap();
        actors.push((actor, branch_of(s)));
    }
    let expect = |rows: &[Option<usize>], scope: Option<Uuid>| -> Vec<Option<Uuid>> {
        let mut v: Vec<Option<Uuid>> = rows
            .iter()
            .map(branch_of)
            .filter(|b| scope.is_none() || *b == scope)
            .collect();
        v.sort();
        v
    };
    for (actor, scope) in actors {
        let mut tx = resolve(&app.pool, &app.policy, &actor.claim)
            .await
            .unwrap()
            .expect("a live session resolves");
        let read = async |tx: &mut app::db::TenantTx, sql: &str| -> Vec<Option<Uuid>> {
            let mut v: Vec<Option<Uuid>> = sqlx::query_scalar(sql)
                .bind(clinic)
                .fetch_all(tx.conn())
                .await
                .unwrap();
            v.sort();
            v
        };
        let role = actor.claim.role;
        assert_eq!(
            read(
                &mut tx,
                "SELECT branch_id FROM patients WHERE organization_id = $1"
            )
            .await,
            expect(&plan.patients, scope),
            "patients seen by {role:?} of {scope:?}"
        );
        assert_eq!(
            read(
                &mut tx,
                "SELECT branch_id FROM visits WHERE organization_id = $1"
            )
            .await,
            expect(&plan.patients, scope),
            "visits seen by {role:?} of {scope:?}"
        );
        assert_eq!(
            read(
                &mut tx,
                "SELECT clinic_branch_id FROM referrals WHERE clinic_id = $1"
            )
            .await,
            expect(&plan.referrals, scope),
            "referrals seen by {role:?} of {scope:?}"
        );
        // Nor can branch staff write a row into another branch.
        if let Some(own) = scope {
            let other = branches.iter().find(|b| **b != own);
            if let Some(other) = other {
                let written = sqlx::query(
                    "INSERT INTO patients (organization_id, initials, zip, key_id, sealed, match_index, branch_id)
                     VALUES ($1, 'XX', $2, 'dev', '\\x00', sha256(gen_random_uuid()::text::bytea), $3)",
                )
                .bind(clinic)
                .bind(&served[0])
                .bind(other)
                .execute(tx.conn())
                .await;
                assert!(written.is_err(), "branch staff wrote into another branch");
            }
        }
    }
}

#[test]
fn branch_staff_read_only_their_branchs_patients_visits_and_referrals() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&branch_plan(), |plan| {
            rt.block_on(check_branches(&app, plan));
            Ok(())
        })
        .unwrap();
}

/// `app_branch_id()` remembers a staff member's branch for the rest of the
/// transaction; the memory must follow the identity. One transaction acts
/// as a staff member of branch A, then of branch B, then as the clinic's
/// administrator: each sees exactly its own branch's referrals (the
/// administrator all), never what the previous identity was scoped to.
#[tokio::test]
async fn the_remembered_branch_follows_the_identity_within_a_transaction() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let clinic = app.org("clinic", "Memo clinic").await;
    let referrer = app.org("referrer", "Memo referrer").await;
    let mut branches = Vec::new();
    for name in ["Branch A", "Branch B"] {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO branches (organization_id, name, zips) VALUES ($1, $2, '{}') RETURNING id",
        )
        .bind(clinic)
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        branches.push(id);
    }
    let mut referrals = Vec::new();
    for branch in &branches {
        let id = insert_referral(&mut admin, referrer, Some(clinic), "43215").await;
        sqlx::query("UPDATE referrals SET clinic_branch_id = $1 WHERE id = $2")
            .bind(branch)
            .bind(id)
            .execute(&mut admin)
            .await
            .unwrap();
        referrals.push(id);
    }
    let mut staff = Vec::new();
    for branch in &branches {
        let person = add_person(&mut admin, clinic, Role::ClinicStaff).await;
        sqlx::query("UPDATE memberships SET branch_id = $1 WHERE user_id = $2")
            .bind(branch)
            .bind(person.claim.user_id.uuid())
            .execute(&mut admin)
            .await
            .unwrap();
        staff.push(person.claim.user_id.uuid());
    }
    let director = add_person(&mut admin, clinic, Role::ClinicAdmin).await;

    let mut tx = app::db::begin(&app.pool).await.unwrap();
    let mut seen_as = async |user: Uuid, role: &str| -> Vec<Uuid> {
        sqlx::query(
            "SELECT set_config('app.user_id', $1::text, true),
                    set_config('app.org_id', $2::text, true),
                    set_config('app.role', $3, true)",
        )
        .bind(user)
        .bind(clinic)
        .bind(role)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query_scalar("SELECT id FROM referrals ORDER BY clinic_branch_id")
            .fetch_all(&mut *tx)
            .await
            .unwrap()
    };
    assert_eq!(seen_as(staff[0], "clinic_staff").await, [referrals[0]]);
    assert_eq!(seen_as(staff[1], "clinic_staff").await, [referrals[1]]);
    let mut all = seen_as(director.claim.user_id.uuid(), "clinic_admin").await;
    all.sort();
    let mut expected = referrals.clone();
    expected.sort();
    assert_eq!(all, expected);
    assert_eq!(seen_as(staff[0], "clinic_staff").await, [referrals[0]]);
}
