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
    planner: reqwest::Client,
    nurse: reqwest::Client,
    nurse_clinician: Uuid,
    clinic: Uuid,
}

async fn world(app: &TestApp) -> World {
    let clinic = app.org("clinic", "Riverbend Booking").await;
    let referrer = app.org("referrer", "Mercy Booking").await;
    app.user("planner@booking.test", Some(referrer), Role::Referrer)
        .await;
    app.user("staff@booking.test", Some(clinic), Role::ClinicStaff)
        .await;
    let nurse = app
        .user("nurse@booking.test", Some(clinic), Role::Clinician)
        .await;
    let nurse_clinician = app
        .verified_clinician("Bea Booked", "43215", Some(clinic))
        .await;
    sqlx::query("UPDATE clinicians SET user_id = $1 WHERE id = $2")
        .bind(nurse.id)
        .bind(nurse_clinician)
        .execute(&mut app.admin().await)
        .await
        .unwrap();
    World {
        staff: app.signed_in("staff@booking.test").await,
        planner: app.signed_in("planner@booking.test").await,
        nurse: app.signed_in("nurse@booking.test").await,
        nurse_clinician,
        clinic,
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

    // The clinic schedules a visit at 09:00–09:45 that day: that hour is
    // no longer open (the clinic's visit is not the family's to read, but
    // its time is kept free).
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
                ("clinic_id", &w.clinic.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let referral: String = res.json().await.unwrap();
    let res = app
        .rpc(
            &w.staff,
            "referrals/step",
            &[("id", &referral), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(
            &w.staff,
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
    let other = app.user("other@booking.test", None, Role::Clinician).await;
    let theirs = app.verified_clinician("Otto Other", "43215", None).await;
    sqlx::query("UPDATE clinicians SET user_id = $1 WHERE id = $2")
        .bind(other.id)
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

    // Busy times: only for a signed-in caller, for 62 days at most.
    let err = sqlx::query("SELECT * FROM clinician_busy($1, now(), now() + interval '1 day')")
        .bind(w.nurse_clinician)
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("signed-in caller"), "{err}");
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.user_id', $1, true)")
        .bind(Uuid::new_v4().to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("SELECT * FROM clinician_busy($1, now(), now() + interval '90 days')")
        .bind(w.nurse_clinician)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("62 days"), "{err}");
}
