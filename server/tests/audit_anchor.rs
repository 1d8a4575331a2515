//! The audit chains anchored outside the database: signed checkpoints
//! catch what the SQL walk cannot, a superuser who rewrites an event and
//! recomputes every later hash and the chain head with the database's own
//! function; forged checkpoints and removed ones are reported; a key file
//! others may read is refused.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use server::audit_anchor::{self, Keyring, Problem, Signer};
use sqlx::PgConnection;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A directory of its own for a test's key files, removed when dropped.
struct KeyDir(PathBuf);

impl KeyDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ct-anchor-{}", Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }

    /// A new key made the way the operator makes one (`server audit keygen`).
    fn key(&self, name: &str) -> (PathBuf, Signer) {
        let path = self.0.join(name);
        let public = audit_anchor::keygen(&path).unwrap();
        let signer = Signer::load(&path).unwrap();
        assert_eq!(signer.verifying_key(), public);
        (path, signer)
    }
}

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Appends an event to `org`'s chain (the chaining trigger assigns its
/// sequence number and hashes).
async fn event(admin: &mut PgConnection, org: Uuid, n: i32) {
    sqlx::query(
        "INSERT INTO audit_events (organization_id, action, subject_type, subject_id, details)
         VALUES ($1, 'invitation.sent', 'invitation', $2, jsonb_build_object('n', $2))",
    )
    .bind(org)
    .bind(n)
    .execute(&mut *admin)
    .await
    .unwrap();
}

async fn verify(app: &TestApp, keys: &Keyring) -> audit_anchor::Report {
    audit_anchor::verify(&mut app.admin().await, keys)
        .await
        .unwrap()
}

/// What a superuser can do without the key: with the triggers off, change
/// event `seq`'s details, then recompute its hash and every later link
/// and hash with the database's own `audit_event_hash`, and move the
/// chain head, so the chain is consistent again.
async fn rewrite_history(admin: &mut PgConnection, org: Uuid, seq: i64) {
    sqlx::raw_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        .execute(&mut *admin)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_events SET details = '{\"n\": 0, \"role\": \"clinic_admin\"}'
         WHERE organization_id = $1 AND seq = $2",
    )
    .bind(org)
    .bind(seq)
    .execute(&mut *admin)
    .await
    .unwrap();
    let head: i64 =
        sqlx::query_scalar("SELECT seq FROM audit_chain_heads WHERE organization_id = $1")
            .bind(org)
            .fetch_one(&mut *admin)
            .await
            .unwrap();
    for s in seq..=head {
        sqlx::query(
            "UPDATE audit_events e SET prev_hash = p.hash FROM audit_events p
             WHERE e.organization_id = $1 AND e.seq = $2
               AND p.organization_id = e.organization_id AND p.seq = e.seq - 1",
        )
        .bind(org)
        .bind(s)
        .execute(&mut *admin)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE audit_events SET hash = audit_event_hash(prev_hash, organization_id, seq,
                 occurred_at, actor_user_id, action, subject_type, subject_id, ip, details,
                 actor_type, actor_api_key_id)
             WHERE organization_id = $1 AND seq = $2",
        )
        .bind(org)
        .bind(s)
        .execute(&mut *admin)
        .await
        .unwrap();
    }
    sqlx::query(
        "UPDATE audit_chain_heads h SET hash = e.hash FROM audit_events e
         WHERE h.organization_id = $1 AND e.organization_id = h.organization_id AND e.seq = h.seq",
    )
    .bind(org)
    .execute(&mut *admin)
    .await
    .unwrap();
    sqlx::raw_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
        .execute(&mut *admin)
        .await
        .unwrap();
}

/// Runs the real `server audit verify` against the test's database;
/// its exit code and everything it printed.
fn run_verify(app: &TestApp, env: &[(&str, &str)]) -> (i32, String) {
    let cwd = KeyDir::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["audit", "verify"])
        .current_dir(&cwd.0)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app.urls.admin.expose())
        .env("APP_DATABASE_URL", app.urls.app.expose())
        .env("WORKER_DATABASE_URL", app.urls.worker.expose())
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn rewritten_history_with_recomputed_hashes_is_caught_by_the_signed_checkpoints() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let keys = KeyDir::new();
    let (_, signer) = keys.key("audit.pem");
    let mut admin = app.admin().await;
    // Checkpoint #1 signs event 2, #2 event 4, #3 event 6.
    for n in 1..=6 {
        event(&mut admin, clinic, n).await;
        if n % 2 == 0 {
            let written = audit_anchor::checkpoint(&mut admin, &signer).await.unwrap();
            assert_eq!(written.number, i64::from(n / 2));
            assert_eq!(written.key_id, signer.key_id());
        }
    }
    let keyring = Keyring::new([signer.verifying_key()]);
    let report = verify(&app, &keyring).await;
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!((report.checkpoints, report.verified), (3, 3));

    rewrite_history(&mut admin, clinic, 3).await;

    // The database's own walk is satisfied: that is the hole.
    let walk = app::audit::repo::verify_chain(&mut admin, clinic)
        .await
        .unwrap();
    assert!(walk.intact(), "{walk:?}");
    assert_eq!(walk.events, 6);
    let reports = server::operator::verify_all(&app.urls.admin).await.unwrap();
    assert!(reports.iter().all(|r| r.status.intact()));

    // The signed checkpoints are not.
    let report = verify(&app, &keyring).await;
    assert_eq!(report.verified, 3, "the checkpoints themselves are genuine");
    let [problem] = report.problems.as_slice() else {
        panic!("one rewritten chain: {:?}", report.problems);
    };
    let Problem::Rewritten {
        organization_id,
        organization,
        first_event,
        checkpoint,
        event_missing,
        last_matching,
        ..
    } = problem
    else {
        panic!("{problem:?}");
    };
    assert_eq!(*organization_id, clinic);
    assert_eq!(organization, "Riverbend Home Health");
    assert_eq!((*first_event, *checkpoint), (4, 2));
    assert!(!event_missing);
    assert_eq!(*last_matching, Some((1, 2)));
    let said = problem.to_string();
    assert!(
        said.contains("REWRITTEN Riverbend Home Health")
            && said.contains("event 4 no longer matches signed checkpoint #2")
            && said.contains("still matches is #1 (through event 2)")
            && said.contains("events 3 to 4 were rewritten"),
        "{said}"
    );

    // The operator's command says so and exits 1, with only the public key.
    let public = audit_anchor::encode_public_key(&signer.verifying_key());
    let (code, printed) = run_verify(&app, &[("AUDIT_CHECKPOINT_PUBLIC_KEY", &public)]);
    assert_eq!(code, 1, "{printed}");
    assert!(
        printed.contains("ok      Riverbend Home Health (6 events)"),
        "{printed}"
    );
    assert!(printed.contains(&said), "{printed}");
}

#[tokio::test]
async fn removing_signed_events_is_caught_too() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let keys = KeyDir::new();
    let (_, signer) = keys.key("audit.pem");
    let mut admin = app.admin().await;
    for n in 1..=3 {
        event(&mut admin, clinic, n).await;
    }
    audit_anchor::checkpoint(&mut admin, &signer).await.unwrap();
    // The newest event goes, and the head is moved back to match.
    sqlx::raw_sql("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_events WHERE organization_id = $1 AND seq = 3")
        .bind(clinic)
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_chain_heads h SET seq = 2, hash = e.hash FROM audit_events e
         WHERE h.organization_id = $1 AND e.organization_id = $1 AND e.seq = 2",
    )
    .bind(clinic)
    .execute(&mut admin)
    .await
    .unwrap();
    let walk = app::audit::repo::verify_chain(&mut admin, clinic)
        .await
        .unwrap();
    assert!(walk.intact(), "{walk:?}");
    let report = verify(&app, &Keyring::new([signer.verifying_key()])).await;
    assert!(
        matches!(
            report.problems.as_slice(),
            [Problem::Rewritten {
                first_event: 3,
                checkpoint: 1,
                event_missing: true,
                last_matching: None,
                ..
            }]
        ),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn an_untouched_chain_with_checkpoints_verifies() {
    let app = TestApp::spawn().await;
    let riverbend = app.org("clinic", "Riverbend Home Health").await;
    let lakeside = app.org("clinic", "Lakeside Home Care").await;
    let keys = KeyDir::new();
    let (path, signer) = keys.key("audit.pem");
    let mut admin = app.admin().await;
    for n in 1..=3 {
        event(&mut admin, riverbend, n).await;
        event(&mut admin, lakeside, n).await;
        audit_anchor::checkpoint(&mut admin, &signer).await.unwrap();
    }
    event(&mut admin, riverbend, 4).await; // after the newest checkpoint
    let report = verify(&app, &Keyring::new([signer.verifying_key()])).await;
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!((report.checkpoints, report.verified), (3, 3));
    assert_eq!(report.newest.map(|(n, _)| n), Some(3));

    // The stored bytes are the documented format, signed as they are.
    let payload: Vec<u8> =
        sqlx::query_scalar("SELECT payload FROM audit_checkpoints WHERE number = 3")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let content = audit_anchor::Checkpoint::parse(&payload).unwrap();
    assert_eq!(content.key_id, signer.key_id());
    let mut expected = [riverbend, lakeside];
    expected.sort();
    let signed: Vec<(Uuid, i64)> = content
        .heads
        .iter()
        .filter(|h| expected.contains(&h.organization_id))
        .map(|h| (h.organization_id, h.seq))
        .collect();
    assert_eq!(signed, [(expected[0], 3), (expected[1], 3)]);

    // The command: with the key file, and with the public key alone.
    let (code, printed) = run_verify(&app, &[("AUDIT_SIGNING_KEY_PATH", path.to_str().unwrap())]);
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.contains("3 of 3 checkpoints verified")
            && printed.contains("every signed chain head matches"),
        "{printed}"
    );
    let public = audit_anchor::encode_public_key(&signer.verifying_key());
    let (code, printed) = run_verify(&app, &[("AUDIT_CHECKPOINT_PUBLIC_KEY", &public)]);
    assert_eq!(code, 0, "{printed}");

    // Another key's verifier cannot vouch for them.
    let (_, other) = keys.key("other.pem");
    let report = verify(&app, &Keyring::new([other.verifying_key()])).await;
    assert_eq!(report.verified, 0);
    assert!(report
        .problems
        .iter()
        .all(|p| matches!(p, Problem::UnknownKey { key_id, .. } if key_id == signer.key_id())));
}

#[tokio::test]
async fn a_checkpoint_with_a_tampered_signature_is_reported_forged() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let keys = KeyDir::new();
    let (_, signer) = keys.key("audit.pem");
    let mut admin = app.admin().await;
    for n in 1..=2 {
        event(&mut admin, clinic, n).await;
        audit_anchor::checkpoint(&mut admin, &signer).await.unwrap();
    }
    // Append-only, even for a superuser, while the triggers are on.
    for sql in [
        "UPDATE audit_checkpoints SET signature = signature",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
    ] {
        let err = sqlx::raw_sql(sql).execute(&mut admin).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    sqlx::raw_sql(
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;
         UPDATE audit_checkpoints
            SET signature = overlay(signature PLACING '\\x00'::bytea FROM 10 FOR 1)
          WHERE number = 1;
         ALTER TABLE audit_checkpoints ENABLE TRIGGER USER;",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let keyring = Keyring::new([signer.verifying_key()]);
    let report = verify(&app, &keyring).await;
    assert_eq!(report.verified, 1);
    assert_eq!(
        report.problems,
        [Problem::Forged {
            number: 1,
            key_id: signer.key_id().to_owned(),
            reason: "its signature does not verify",
        }]
    );
    assert!(report.problems[0]
        .to_string()
        .starts_with("FORGED  checkpoint #1"));

    // A signed head changed to vouch for a rewritten chain fails the same
    // way (the signature covers every byte), and removing the checkpoint
    // before it leaves a gap in the numbers.
    sqlx::raw_sql(
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;
         UPDATE audit_checkpoints
            SET payload = overlay(payload PLACING
                    (CASE WHEN get_byte(payload, length(payload) - 2) = 48
                          THEN '1' ELSE '0' END)::bytea
                    FROM length(payload) - 1 FOR 1)
          WHERE number = 2;
         DELETE FROM audit_checkpoints WHERE number = 1;
         ALTER TABLE audit_checkpoints ENABLE TRIGGER USER;",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let report = verify(&app, &keyring).await;
    assert_eq!(report.verified, 0);
    assert_eq!(
        report.problems,
        [
            Problem::Removed { from: 1, to: 1 },
            Problem::Forged {
                number: 2,
                key_id: signer.key_id().to_owned(),
                reason: "its signature does not verify",
            }
        ]
    );
    let public = audit_anchor::encode_public_key(&signer.verifying_key());
    let (code, printed) = run_verify(&app, &[("AUDIT_CHECKPOINT_PUBLIC_KEY", &public)]);
    assert_eq!(code, 1, "{printed}");
    assert!(printed.contains("FORGED  checkpoint #2"), "{printed}");
    assert!(
        printed.contains("REMOVED checkpoint #1 is missing"),
        "{printed}"
    );
}

#[tokio::test]
async fn the_server_checkpoints_as_the_worker_role_at_most_once_an_interval() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let keys = KeyDir::new();
    let (_, signer) = keys.key("audit.pem");
    event(&mut app.admin().await, clinic, 1).await;
    let hour = std::time::Duration::from_secs(3600);
    let first = audit_anchor::checkpoint_if_due(&app.worker_pool, &signer, hour)
        .await
        .unwrap()
        .expect("the first is due at once");
    assert_eq!(first.number, 1);
    assert!(first.chains >= 1);
    // Another process a moment later: not due yet.
    let again = audit_anchor::checkpoint_if_due(&app.worker_pool, &signer, hour)
        .await
        .unwrap();
    assert!(again.is_none());
    let report = verify(&app, &Keyring::new([signer.verifying_key()])).await;
    assert!(report.intact() && report.verified == 1, "{report:?}");

    // The web application's role can neither read nor write checkpoints.
    for sql in [
        "SELECT count(*) FROM audit_checkpoints",
        "INSERT INTO audit_checkpoints (number, created_at, key_id, payload, signature)
         VALUES (9, now(), '0000000000000000', '\\x00', decode(repeat('00', 64), 'hex'))",
    ] {
        let err = sqlx::raw_sql(sql).execute(&app.pool).await.unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "42501", "{sql}: {err}");
    }
}

#[tokio::test]
async fn a_key_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let keys = KeyDir::new();
    let (path, _) = keys.key("audit.pem");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "keygen writes 0600");
    // keygen never overwrites a key.
    assert!(audit_anchor::keygen(&path).is_err());

    for loose in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
        let err = Signer::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("AUDIT_SIGNING_KEY_PATH") && err.contains(&format!("{loose:04o}")),
            "{err}"
        );
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    Signer::load(&path).unwrap();

    // Not a key at all.
    let junk = keys.0.join("junk.pem");
    write_private(&junk, b"not a key");
    let err = Signer::load(&junk).unwrap_err().to_string();
    assert!(err.contains("PKCS#8"), "{err}");
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(bytes).unwrap();
}

#[tokio::test]
async fn an_event_altered_behind_a_replaced_sql_check_is_named_by_the_verifier() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let keys = KeyDir::new();
    let (_, signer) = keys.key("audit.pem");
    let ring = Keyring::new([signer.verifying_key()]);
    let mut admin = app.admin().await;
    for n in 1..=4 {
        event(&mut admin, clinic, n).await;
    }
    // Events and no checkpoint, with a key configured: not "all is well".
    let report = verify(&app, &ring).await;
    assert!(
        report.problems.contains(&Problem::NoCheckpoints),
        "{:?}",
        report.problems
    );
    audit_anchor::checkpoint(&mut admin, &signer).await.unwrap();

    // The table owner changes event 2 without touching any hash, and
    // replaces the database's own check with one that always passes.
    sqlx::raw_sql(
        "ALTER TABLE audit_events DISABLE TRIGGER USER;
         UPDATE audit_events SET details = '{\"n\": 99}' WHERE seq = 2;
         ALTER TABLE audit_events ENABLE TRIGGER USER;
         CREATE OR REPLACE FUNCTION audit_verify(org uuid)
             RETURNS TABLE (events bigint, first_broken_seq bigint, problem text)
             LANGUAGE sql AS $$ SELECT 4::bigint, NULL::bigint, NULL::text $$;",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let walk = app::audit::repo::verify_chain(&mut admin, clinic)
        .await
        .unwrap();
    assert!(walk.intact(), "the replaced SQL check passes: {walk:?}");

    let report = verify(&app, &ring).await;
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            Problem::Altered { organization_id, seq: 2, .. } if *organization_id == clinic
        )),
        "{:?}",
        report.problems
    );
    // The untouched chain verifies from the recomputed hashes alone.
    assert!(!report
        .problems
        .iter()
        .any(|p| matches!(p, Problem::Rewritten { .. })));
}
