//! A clinician's availability and rates (issue 14, "Availability and
//! rates"): weekly hours that may not overlap, days off, a rate per service
//! offered, and open slots that avoid every visit the clinician has in any
//! clinic — against a real PostgreSQL, through the server functions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::identity::Role;
use common::TestApp;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

struct World {
    staff: reqwest::Client,
    staff_user: Uuid,
    planner: reqwest::Client,
    planner_user: Uuid,
    nurse: reqwest::Client,
    nurse_clinician: Uuid,
    clinic: Uuid,
    referrer: Uuid,
    /// A second clinic the nurse also works for: she acts for the first,
    /// so its visits are not hers to read.
    other_clinic: Uuid,
    other_staff: reqwest::Client,
}

async fn world(app: &TestApp) -> World {
    let clinic = app.org("clinic", "Riverbend Booking").await;
    let other_clinic = app.org("clinic", "Lakeside Booking").await;
    let referrer = app.org("referrer", "Mercy Booking").await;
    let planner = app
        .user("planner@booking.test", Some(referrer), Role::Referrer)
        .await;
    let staff = app
        .user("staff@booking.test", Some(clinic), Role::ClinicStaff)
        .await;
    app.user(
        "staff@lakeside-booking.test",
        Some(other_clinic),
        Role::ClinicStaff,
    )
    .await;
    let nurse = app
        .user("nurse@booking.test", Some(clinic), Role::Clinician)
        .await;
    let nurse_clinician = app
        .verified_clinician("Bea Booked", "43215", Some(clinic))
        .await;
    app.link_clinician(nurse.id, nurse_clinician).await;
    app.affiliate(other_clinic, nurse_clinician).await;
    World {
        staff: app.signed_in("staff@booking.test").await,
        staff_user: staff.id,
        planner: app.signed_in("planner@booking.test").await,
        planner_user: planner.id,
        nurse: app.signed_in("nurse@booking.test").await,
        nurse_clinician,
        clinic,
        referrer,
        other_clinic,
        other_staff: app.signed_in("staff@lakeside-booking.test").await,
    }
}

/// A day `n` days ahead.
fn ahead(n: i64) -> time::Date {
    OffsetDateTime::now_utc().date() + Duration::days(n)
}

async fn availability(app: &TestApp, who: &reqwest::Client) -> Value {
    let res = app.rpc(who, "clinician/availability", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The openings' start times as "YYYY-MM-DD HH:MM" (UTC, as served).
fn openings(a: &Value) -> Vec<String> {
    a["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = t.as_str().unwrap();
            assert!(t.ends_with("+00:00:00") || t.ends_with('Z'), "{t}");
            t[..16].replace('T', " ")
        })
        .collect()
}

#[tokio::test]
async fn hours_days_off_and_rates_make_the_open_slots() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Nothing yet.
    let a = availability(&app, &w.nurse).await;
    assert_eq!(a["hours"], serde_json::json!([]));
    assert_eq!(a["openings"], serde_json::json!([]));
    assert_eq!(a["rates"], serde_json::json!([["skilled_nursing", null]]));

    // Hours on the weekday three days ahead.
    let day = ahead(3);
    let weekday = day.weekday().number_days_from_monday().to_string();
    let add = |start: &'static str, end: &'static str| {
        let weekday = weekday.clone();
        let app = &app;
        let nurse = &w.nurse;
        async move {
            app.rpc(
                nurse,
                "clinician/availability/hours/add",
                &[("weekday", &weekday), ("start", start), ("end", end)],
            )
            .await
        }
    };
    assert_eq!(add("08:00", "12:00").await.status(), 200);
    // Overlapping hours on that day are refused, by name.
    let res = add("11:00", "13:00").await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("overlap hours you already have"));
    // So are hours that end before they begin.
    assert_eq!(add("14:00", "13:00").await.status(), 422);

    let a = availability(&app, &w.nurse).await;
    let slots = openings(&a);
    for hour in ["08:00", "09:00", "10:00", "11:00"] {
        assert!(
            slots.contains(&format!("{day} {hour}")),
            "{hour} in {slots:?}"
        );
    }

    // Another clinic she works for schedules a visit at 09:00–09:45 that
    // day: that hour is no longer open (that clinic's visit is not hers to
    // read where she acts, nor a family's, but its time is kept free).
    let start = (ahead(2)).to_string();
    let res = app
        .rpc(
            &w.planner,
            "referrals/create",
            &[
                ("patient_initials", "JD"),
                ("zip", "43215"),
                ("diagnosis", "I50.9"),
                ("care_type", "skilled_nursing"),
                ("priority", "routine"),
                ("requested_start", &start),
                ("clinic_id", &w.other_clinic.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let referral: String = res.json().await.unwrap();
    let res = app
        .rpc(
            &w.other_staff,
            "referrals/step",
            &[("id", &referral), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(
            &w.other_staff,
            "visits/schedule",
            &[
                ("referral_id", &referral),
                ("clinician_id", &w.nurse_clinician.to_string()),
                ("date", &day.to_string()),
                ("start", "09:00"),
                ("end", "09:45"),
                ("service", "skilled_nursing"),
                ("tasks[0]", "Vital signs"),
                ("weeks", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let slots = openings(&availability(&app, &w.nurse).await);
    assert!(!slots.contains(&format!("{day} 09:00")), "{slots:?}");
    assert!(slots.contains(&format!("{day} 08:00")));
    assert!(slots.contains(&format!("{day} 10:00")));
    // Acting for the first clinic, she cannot read the visit itself.
    let nurse_user: Uuid = sqlx::query_scalar("SELECT user_id FROM clinicians WHERE id = $1")
        .bind(w.nurse_clinician)
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', 'clinician', true)",
    )
    .bind(nurse_user.to_string())
    .bind(w.clinic.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM visits")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    tx.rollback().await.unwrap();
    // Cancelled, the hour is open again.
    let visit: Uuid = sqlx::query_scalar("SELECT id FROM visits WHERE clinician_id = $1")
        .bind(w.nurse_clinician)
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    let res = app
        .rpc(
            &w.other_staff,
            "visits/cancel",
            &[("id", &visit.to_string()), ("action", "cancel")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let slots = openings(&availability(&app, &w.nurse).await);
    assert!(slots.contains(&format!("{day} 09:00")), "{slots:?}");

    // A day off takes the whole day away.
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/days-off/add",
            &[("day", &day.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let a = availability(&app, &w.nurse).await;
    assert!(!openings(&a).iter().any(|s| s.starts_with(&day.to_string())));
    assert_eq!(a["days_off"][0], day.to_string());
    // A day in the past is refused.
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/days-off/add",
            &[("day", &ahead(-1).to_string())],
        )
        .await;
    assert_eq!(res.status(), 422);

    // Rates: dollars within bounds, only for services the profile offers.
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/rates",
            &[("rates[skilled_nursing]", "92.50")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let a = availability(&app, &w.nurse).await;
    assert_eq!(a["rates"], serde_json::json!([["skilled_nursing", 9250]]));
    for bad in [
        ("rates[skilled_nursing]", "4"),
        ("rates[skilled_nursing]", "a lot"),
        ("rates[physical_therapy]", "80"),
        ("rates[massage]", "80"),
    ] {
        let res = app
            .rpc(&w.nurse, "clinician/availability/rates", &[bad])
            .await;
        assert_eq!(res.status(), 422, "{bad:?}");
    }
    let a = availability(&app, &w.nurse).await;
    assert_eq!(a["rates"], serde_json::json!([["skilled_nursing", 9250]]));

    // Every change is audited.
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'clinician.availability_changed'",
    )
    .fetch_one(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(changes, 3);
}

#[tokio::test]
async fn a_clinician_changes_only_their_own_availability() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/hours/add",
            &[("weekday", "0"), ("start", "08:00"), ("end", "10:00")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let a = availability(&app, &w.nurse).await;
    let id = a["hours"][0]["id"].as_str().unwrap().to_owned();

    // Another clinician cannot remove it: for them it does not exist.
    let other_user = app
        .user("other@booking.test", None, Role::Clinician)
        .await
        .id;
    let theirs = app.verified_clinician("Otto Other", "43215", None).await;
    sqlx::query("UPDATE clinicians SET user_id = $1 WHERE id = $2")
        .bind(other_user)
        .bind(theirs)
        .execute(&mut app.admin().await)
        .await
        .unwrap();
    let other = app.signed_in("other@booking.test").await;
    let res = app
        .rpc(
            &other,
            "clinician/availability/hours/remove",
            &[("id", &id)],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        availability(&app, &w.nurse).await["hours"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A clinician without a profile is told to make one.
    app.user("new@booking.test", None, Role::Clinician).await;
    let newcomer = app.signed_in("new@booking.test").await;
    assert_eq!(
        app.rpc(&newcomer, "clinician/availability", &[])
            .await
            .status(),
        409
    );
    // Clinic staff are not clinicians.
    assert_eq!(
        app.rpc(&w.staff, "clinician/availability", &[])
            .await
            .status(),
        403
    );
    // The owner removes it.
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/hours/remove",
            &[("id", &id)],
        )
        .await;
    assert_eq!(res.status(), 200);

    let (staff_user, planner_user) = (w.staff_user, w.planner_user);
    // Nobody writes another clinician's availability, even by hand: not
    // another clinician, not clinic staff, not a referrer.
    for (user, org, role) in [
        (other_user, Uuid::nil(), "clinician"),
        (staff_user, w.clinic, "clinic_staff"),
        (planner_user, w.referrer, "referrer"),
    ] {
        for sql in [
            "INSERT INTO clinician_hours (clinician_id, weekday, start_minute, end_minute) VALUES ($1, 3, 600, 660)",
            "INSERT INTO clinician_rates (clinician_id, service, cents) VALUES ($1, 'skilled_nursing', 500)",
            "INSERT INTO clinician_days_off (clinician_id, day) VALUES ($1, current_date + 3)",
        ] {
            let mut tx = app::db::begin(&app.pool).await.unwrap();
            sqlx::query(
                "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                        set_config('app.role', $3, true)",
            )
            .bind(user.to_string())
            .bind(if org.is_nil() { app::db::platform_org_id().uuid() } else { org }.to_string())
            .bind(role)
            .execute(&mut *tx)
            .await
            .unwrap();
            let err = sqlx::query(sql)
                .bind(w.nurse_clinician)
                .execute(&mut *tx)
                .await
                .unwrap_err();
            assert_eq!(
                err.as_database_error().unwrap().code().unwrap(),
                "42501",
                "{role}: {sql}"
            );
        }
    }
    // Of the busy times, the application reads the clinician and the times
    // only, never which visit; it writes none.
    let readable: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_name = 'clinician_busy_times'
           AND has_column_privilege('carethread_app', 'clinician_busy_times', column_name, 'SELECT')
         ORDER BY ordinal_position",
    )
    .fetch_all(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(readable, ["clinician_id", "starts_at", "ends_at"]);
    let writable: bool = sqlx::query_scalar(
        "SELECT has_table_privilege('carethread_app', 'clinician_busy_times', 'INSERT, UPDATE, DELETE')",
    )
    .fetch_one(&mut app.admin().await)
    .await
    .unwrap();
    assert!(!writable);
}

/// Registers a family, adds a person, and signs it in.
async fn family_with_person(app: &TestApp) -> (reqwest::Client, String) {
    let browser = TestApp::browser();
    let res = app
        .rpc(
            &browser,
            "auth/register",
            &[
                ("name", "Fay Finder"),
                ("email", "fay@booking.test"),
                ("password", common::PASSWORD),
                ("role", "family"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.login(&browser, "fay@booking.test", common::PASSWORD)
        .await;
    let res = app
        .rpc(
            &browser,
            "family/recipients/add",
            &[
                ("full_name", "Gus Finder"),
                ("birth_date", "1939-05-05"),
                ("address", "1 Oak Street"),
                ("zip", "43215"),
                ("care_types[0]", "skilled_nursing"),
                ("diagnoses", "I50.9"),
                ("language", "Spanish"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let id: String = res.json().await.unwrap();
    (browser, id)
}

fn names(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn families_find_verified_clinicians_with_licenses_rates_and_openings() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Bea speaks Spanish, works Mondays to Sundays 08:00-12:00, $90.
    let mut admin = app.admin().await;
    sqlx::query("UPDATE clinicians SET languages = '{en,es}' WHERE id = $1")
        .bind(w.nurse_clinician)
        .execute(&mut admin)
        .await
        .unwrap();
    for day in 0..7 {
        let res = app
            .rpc(
                &w.nurse,
                "clinician/availability/hours/add",
                &[
                    ("weekday", &day.to_string()),
                    ("start", "08:00"),
                    ("end", "12:00"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/rates",
            &[("rates[skilled_nursing]", "90")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Another nurse nearby who speaks English only; and one not verified.
    app.verified_clinician("Ned English", "43215", None).await;
    let pending = app.verified_clinician("Pat Pending", "43215", None).await;
    // Only a platform administrator changes verification (a trigger).
    sqlx::query("SELECT set_config('app.role', 'platform_admin', false)")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE clinicians SET verification_status = 'pending', verified_at = NULL WHERE id = $1",
    )
    .bind(pending)
    .execute(&mut admin)
    .await
    .unwrap();

    let (family, person) = family_with_person(&app).await;
    // Nothing asked: the form, no results.
    let empty: Value = app
        .rpc(&family, "family/clinicians/find", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["searched"], false);
    assert_eq!(empty["recipients"][0][1], "Gus Finder");

    // For Gus: his ZIP, care, diagnosis and language fill the form.
    let found: Value = app
        .rpc(&family, "family/clinicians/find", &[("for_id", &person)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["form"]["zip"], "43215");
    assert_eq!(found["form"]["language"], "es");
    assert_eq!(names(&found), ["Bea Booked"]);
    let bea = &found["results"][0];
    assert_eq!(bea["rates"], serde_json::json!([["skilled_nursing", 9000]]));
    assert_eq!(bea["licenses"][0]["state"], "OH");
    assert!(bea["licenses"][0]["verified_at"].is_string(), "{bea}");
    assert_eq!(bea["openings"].as_array().unwrap().len(), 3);
    // The person's details were read for it: audited.
    let reads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'care_recipient.viewed' AND subject_id = $1",
    )
    .bind(&person)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(reads, 1);

    // Any language: both verified nurses, the one with a rate first; the
    // unverified one never.
    let all: Value = app
        .rpc(
            &family,
            "family/clinicians/find",
            &[("zip", "43215"), ("care_type", "skilled_nursing")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&all), ["Bea Booked", "Ned English"]);
    // A day Bea is off, when Ned works: only clinicians with an opening
    // that day.
    let day = ahead(2).to_string();
    let res = app
        .rpc(
            &w.nurse,
            "clinician/availability/days-off/add",
            &[("day", &day)],
        )
        .await;
    assert_eq!(res.status(), 200);
    sqlx::query(
        "INSERT INTO clinician_hours (clinician_id, weekday, start_minute, end_minute)
         SELECT id, extract(isodow FROM $2::date)::int - 1, 540, 720 FROM clinicians WHERE display_name = $1",
    )
    .bind("Ned English")
    .bind(ahead(2))
    .execute(&mut admin)
    .await
    .unwrap();
    let that_day: Value = app
        .rpc(
            &family,
            "family/clinicians/find",
            &[
                ("zip", "43215"),
                ("care_type", "skilled_nursing"),
                ("date", &day),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&that_day), ["Ned English"], "{that_day}");
    // The person's details win over whatever the address carries.
    let crafted: Value = app
        .rpc(
            &family,
            "family/clinicians/find",
            &[("for_id", &person), ("zip", "44114")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(crafted["form"]["zip"], "43215");
    // A ZIP that is shaped right but unknown is named.
    let unknown: Value = app
        .rpc(
            &family,
            "family/clinicians/find",
            &[("zip", "00001"), ("care_type", "skilled_nursing")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["problems"][0]["field"], "zip");
    // Bad input is named, nothing searched.
    let bad: Value = app
        .rpc(
            &family,
            "family/clinicians/find",
            &[("zip", "12"), ("language", "xx")],
        )
        .await
        .json()
        .await
        .unwrap();
    let fields: Vec<&str> = bad["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["zip", "care_type", "language"]);

    // Bea's page; the unverified nurse has none for families.
    let page: Value = app
        .rpc(
            &family,
            "family/clinicians/get",
            &[("id", &w.nurse_clinician.to_string())],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["name"], "Bea Booked");
    assert!(page["openings"].as_array().unwrap().len() > 3);
    let res = app
        .rpc(
            &family,
            "family/clinicians/get",
            &[("id", &pending.to_string())],
        )
        .await;
    assert_eq!(res.status(), 404);
    // Only families search this way.
    let res = app.rpc(&w.staff, "family/clinicians/find", &[]).await;
    assert_eq!(res.status(), 403);
}
