//! Demo data for development and the end-to-end tests: organizations, one
//! account for every role, all with the password [`DEMO_PASSWORD`] (listed
//! in the README), several hundred de-identified clinicians around them
//! (see [`clinicians`]), and Mercy's referrals to Riverbend in every
//! status with their patients and the demo nurse's visits (see [`care`]).
//! Idempotent: ids are fixed and existing rows are left alone.
//! Refused in production by the caller (`serve --demo`).

pub mod bookings;
pub mod care;
pub mod clinicians;
pub mod data_rights;
pub mod intake;
mod settings;

use anyhow::Result;
use app::auth::hashing::PasswordHasher;
use app::auth::{NewPassword, Role};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// The demo accounts' password. Public by design: demo data only.
pub const DEMO_PASSWORD: &str = "carethread-demo-2026";

const PLATFORM: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);
pub const RIVERBEND: Uuid = Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0000_0101);
pub const LAKESIDE: Uuid = Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0000_0102);
pub const MERCY: Uuid = Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0000_0201);
/// The demo family's own organization.
pub const LIN_FAMILY: Uuid = Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0000_0301);
/// The person the demo family books care for.
pub const WALTER_LIN: Uuid = Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0003_0001);

const ORGS: [(Uuid, &str, &str); 4] = [
    (RIVERBEND, "clinic", "Riverbend Home Health"),
    (LAKESIDE, "clinic", "Lakeside Home Care"),
    (
        MERCY,
        "referrer",
        "Mercy General Hospital · Discharge Planning",
    ),
    (LIN_FAMILY, "family", "Grace Lin's family"),
];

/// A demo account: id, email, name, memberships.
pub struct DemoUser {
    pub id: Uuid,
    pub email: &'static str,
    pub name: &'static str,
    pub memberships: &'static [(Uuid, Role)],
}

pub const USERS: [DemoUser; 7] = [
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0001),
        email: "admin@carethread.example",
        name: "Morgan Platt",
        memberships: &[(PLATFORM, Role::PlatformAdmin)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0002),
        email: "director@riverbend.example",
        name: "Renée Okafor",
        memberships: &[(RIVERBEND, Role::ClinicAdmin)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0003),
        email: "intake@riverbend.example",
        name: "Sam Whitfield",
        memberships: &[(RIVERBEND, Role::ClinicStaff)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0004),
        email: "director@lakeside.example",
        name: "Priya Raman",
        memberships: &[(LAKESIDE, Role::ClinicAdmin)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0005),
        email: "planner@mercy.example",
        name: "Dana Ortiz",
        memberships: &[(MERCY, Role::Referrer)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0006),
        email: "nurse@carethread.example",
        name: "Luis Moreno, RN",
        // Independent on the platform, and affiliated with Riverbend: this
        // account can switch organization.
        memberships: &[(PLATFORM, Role::Clinician), (RIVERBEND, Role::Clinician)],
    },
    DemoUser {
        id: Uuid::from_u128(0xde00_0000_0000_4000_8000_0000_0001_0007),
        email: "family@carethread.example",
        name: "Grace Lin",
        memberships: &[(LIN_FAMILY, Role::Family)],
    },
];

/// Creates whatever demo data is missing. `admin_url` is the
/// administrative connection (demo rows are fixtures, not user actions).
pub async fn seed(
    admin_url: &crate::config::Secret,
    hasher: &PasswordHasher,
    vault: &app::vault::Keyring,
) -> Result<()> {
    let mut conn = PgConnection::connect(admin_url.expose()).await?;
    let password = NewPassword::parse(DEMO_PASSWORD)
        .map_err(|m| anyhow::anyhow!("the demo password breaks the policy: {m}"))?;
    let hash = hasher.hash(&password).await?;
    let mut tx = conn.begin().await?;
    let mut created = 0;
    for (id, kind, name) in ORGS {
        let inserted = sqlx::query!(
            "INSERT INTO organizations (id, kind, name) VALUES ($1, $2::text::organization_kind, $3)
             ON CONFLICT (id) DO NOTHING",
            id,
            kind,
            name
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            created += 1;
            sqlx::query!(
                "INSERT INTO audit_events (organization_id, action, subject_type, subject_id, details)
                 VALUES ($1, 'organization.created', 'organization', $2, '{\"source\": \"demo\"}')",
                id,
                id.to_string()
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    for user in &USERS {
        sqlx::query!(
            "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            user.id,
            user.email,
            user.name
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO user_credentials (user_id, password_hash) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            user.id,
            hash
        )
        .execute(&mut *tx)
        .await?;
        for (org, role) in user.memberships {
            sqlx::query!(
                "INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                org,
                user.id,
                *role as Role
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;

    let have_clinicians: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clinicians WHERE id = $1)")
            .bind(clinicians::id_of(0))
            .fetch_one(&mut conn)
            .await?;
    if !have_clinicians {
        let made = clinicians::generate(
            &mut conn,
            2026,
            0,
            DEMO_CLINICIANS,
            &clinicians::DEMO_REGIONS,
            &[(RIVERBEND, "43215"), (LAKESIDE, "44114")],
        )
        .await?;
        demo_nurse_profile(&mut conn).await?;
        tracing::info!(clinicians = made, "demo clinicians created");
    }
    demo_dead_job(&mut conn).await?;
    settings::seed(&mut conn).await?;
    care::seed(&mut conn, vault).await?;
    demo_family(&mut conn, vault).await?;
    demo_nurse_availability(&mut conn).await?;
    bookings::seed(&mut conn, vault).await?;
    intake::seed(&mut conn, admin_url.expose(), vault).await?;
    data_rights::seed(&mut conn, vault).await?;
    conn.close().await?;
    if created > 0 {
        tracing::info!("demo data created: sign in with any demo account (see the README)");
    }
    Ok(())
}

/// The demo family's person, Walter Lin (sealed as the app seals him), and
/// the family's membership where a database from before family
/// organizations had it on the platform.
async fn demo_family(conn: &mut PgConnection, vault: &app::vault::Keyring) -> Result<()> {
    let grace = USERS[6].id;
    sqlx::query(
        "DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2 AND role = 'family'",
    )
    .bind(grace)
    .bind(PLATFORM)
    .execute(&mut *conn)
    .await?;
    let id = app::identity::RecipientId::from(WALTER_LIN);
    let details = app::families::RecipientDetails {
        full_name: "Walter Lin".to_owned(),
        birth_date: time::Date::from_calendar_date(1938, time::Month::March, 14)?,
        address: "27 Maple Avenue".to_owned(),
        notes: Some("Uses a walker; the side door is easier.".to_owned()),
    };
    let sealed = app::families::service::seal(vault, id, &details);
    sqlx::query(
        "INSERT INTO care_recipients
            (organization_id, id, initials, zip, care_types, diagnoses, language, key_id, sealed, created_by)
         VALUES ($1, $2, 'WL', '43215', '{skilled_nursing,home_health_aide}', '{I509,E119}',
                 'English', $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(LIN_FAMILY)
    .bind(WALTER_LIN)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(grace)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One message that "failed" before the demo started, so a platform
/// administrator can try `/admin/jobs`: its job is dead, and retrying it
/// sends it to the development mailbox. Filed once (a fixed id), in one
/// transaction with its job's state, so no runner claims it in between.
async fn demo_dead_job(conn: &mut PgConnection) -> Result<()> {
    let mail = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0d0a);
    let mut tx = conn.begin().await?;
    let filed = sqlx::query(
        "INSERT INTO mail_outbox (id, template, recipient, subject, body_text, body_html, status,
                                  attempts, last_error)
         VALUES ($1, 'welcome', 'family@carethread.example', 'Welcome to Carethread (demo)',
                 'This message failed in the demo data; retrying its job sends it.',
                 '<p>This message failed in the demo data; retrying its job sends it.</p>',
                 'failed', 12, 'demo: the SMTP server was unreachable')
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(mail)
    .execute(&mut *tx)
    .await?;
    if filed.rows_affected() == 1 {
        // The trigger filed its job as queued; it gave up long ago.
        sqlx::query(
            "UPDATE jobs SET state = 'dead', attempts = 12, finished_at = now(),
                 last_error = 'the SMTP server did not take the message; the outbox row has its answer'
             WHERE kind = 'mail.deliver' AND payload->>'mail_id' = $1::text",
        )
        .bind(mail)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How many generated clinicians the demo directory holds.
pub const DEMO_CLINICIANS: u64 = 400;

/// The demo nurse's own clinician profile: verified, in Columbus, with
/// heart-failure and diabetes experience, affiliated with Riverbend.
/// The demo nurse's weekly hours (weekdays 08:00–16:00 UTC) and rate ($95
/// a skilled-nursing visit), so families can see her openings; once.
async fn demo_nurse_availability(conn: &mut PgConnection) -> Result<()> {
    let id = clinicians::id_of(1 << 40);
    sqlx::query(
        "INSERT INTO clinician_hours (clinician_id, weekday, start_minute, end_minute)
         SELECT $1, d, 480, 960 FROM generate_series(0, 4) AS d
         WHERE EXISTS (SELECT 1 FROM clinicians WHERE id = $1)
           AND NOT EXISTS (SELECT 1 FROM clinician_hours WHERE clinician_id = $1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO clinician_rates (clinician_id, service, cents)
         SELECT $1, 'skilled_nursing', 9500 WHERE EXISTS (SELECT 1 FROM clinicians WHERE id = $1)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn demo_nurse_profile(conn: &mut PgConnection) -> Result<()> {
    let nurse = USERS[5].id;
    let id = clinicians::id_of(1 << 40);
    sqlx::query(
        "INSERT INTO clinicians (id, user_id, display_name, discipline, npi, home_zip, lat, lon,
             service_radius_miles, care_types, diagnosis_categories, languages, available_days,
             open_slots, verification_status, verified_at)
         SELECT $1, $2, 'Luis Moreno, RN', 'rn', $3, zip, lat, lon, 30,
                '{skilled_nursing}', '{I50,E11,J44,I10,L89}', '{en,es}', 31, 3, 'verified', now()
         FROM zip_codes WHERE zip = '43215'
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(nurse)
    .bind(clinicians::npi(1 << 20))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO clinician_licenses (clinician_id, state, number, expires_on,
             verification_status, verified_at)
         VALUES ($1, 'OH', 'RN.417733', current_date + 700, 'verified', now())
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO clinic_affiliations (clinic_id, clinician_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(RIVERBEND)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
