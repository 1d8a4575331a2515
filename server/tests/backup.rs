//! The restore drill (issue 16, item 8): back up, destroy the database,
//! restore; every table's rows match the manifest and every audit chain
//! verifies. Also: the archive is age-encrypted (no plaintext on disk),
//! opens only with its identity, and an altered archive is refused.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::{TestApp, PASSWORD};
use server::secret::Secret;
use std::path::PathBuf;

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("carethread-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn back_up_destroy_restore_and_everything_checks_out() {
    use age::secrecy::ExposeSecret;
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Backup Home Health").await;
    app.user("keeper@backup.test", Some(clinic), Role::ClinicAdmin)
        .await;
    for _ in 0..2 {
        let res = app
            .login(&TestApp::browser(), "keeper@backup.test", PASSWORD)
            .await;
        assert_eq!(res.status(), 200);
    }
    let dir = scratch_dir();
    let key = age::x25519::Identity::generate();
    let identity = dir.join("identity.txt");
    std::fs::write(&identity, key.to_string().expose_secret()).unwrap();
    let other = dir.join("other.txt");
    std::fs::write(
        &other,
        age::x25519::Identity::generate()
            .to_string()
            .expose_secret(),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    for file in [&identity, &other] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // The audit checkpoint key signs the manifest.
    let public = server::audit_anchor::keygen(&dir.join("checkpoint.pem")).unwrap();
    let signer = server::audit_anchor::Signer::load(&dir.join("checkpoint.pem")).unwrap();
    let keys = server::audit_anchor::Keyring::new([public]);
    let none = server::audit_anchor::Keyring::default();
    let manifest = server::backup::create(
        &app.urls.admin,
        &dir.join("backups"),
        &key.to_public().to_string(),
        Some(&signer),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let archive = dir.join("backups").join(&manifest.file);
    let bytes = std::fs::read(&archive).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(
        !bytes.windows(18).any(|w| w == b"keeper@backup.test"),
        "no plaintext in the archive"
    );
    assert_eq!(manifest.bytes as usize, bytes.len());
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(manifest.row_counts["users"], users);
    assert!(manifest.row_counts["audit_events"] >= 2);
    assert!(
        manifest.audit_heads.contains_key(&clinic.to_string()) || !manifest.audit_heads.is_empty()
    );

    // Verify: the right identity reads it all; another does not.
    assert!(manifest.signature.is_some());
    let (_, plain) = server::backup::verify(&archive, &identity, &keys)
        .await
        .unwrap();
    assert!(plain > 10_000, "{plain} bytes");
    let wrong = server::backup::verify(&archive, &other, &keys)
        .await
        .unwrap_err();
    assert!(format!("{wrong:#}").contains("decrypt"), "{wrong:#}");
    // An altered copy is refused by its digest.
    let altered = dir.join("backups").join("altered.dump.age");
    let mut changed = bytes.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    std::fs::write(&altered, &changed).unwrap();
    std::fs::copy(
        dir.join("backups").join(format!("{}.json", manifest.file)),
        dir.join("backups").join("altered.dump.age.json"),
    )
    .unwrap();
    let refused = server::backup::verify(&altered, &identity, &keys)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("SHA-256"), "{refused:#}");
    // Anyone with the public recipient can make an archive and a matching
    // manifest; without the checkpoint key's signature it is refused.
    let forged_manifest = dir.join("backups").join("altered.dump.age.json");
    let mut forged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&forged_manifest).unwrap()).unwrap();
    forged["sha256"] = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&changed)).into();
    std::fs::write(&forged_manifest, forged.to_string()).unwrap();
    let refused = server::backup::verify(&altered, &identity, &keys)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("signature"), "{refused:#}");
    forged.as_object_mut().unwrap().remove("signature");
    std::fs::write(&forged_manifest, forged.to_string()).unwrap();
    let refused = server::backup::verify(&altered, &identity, &keys)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("not signed"), "{refused:#}");
    // With no keys configured nothing can be checked (the CLI warns).
    server::backup::verify(&archive, &identity, &none)
        .await
        .unwrap();

    // The drill: the database is destroyed, then restored.
    app.drop_database().await;
    let mut maintenance = url::Url::parse(app.urls.admin.expose()).unwrap();
    maintenance.set_path("/postgres");
    let maintenance = Secret::new(maintenance.to_string());
    let restored = server::backup::restore(
        &maintenance,
        &app.database,
        &archive,
        &identity,
        &keys,
        false,
    )
    .await
    .unwrap();
    assert!(restored.mismatched.is_empty(), "{:?}", restored.mismatched);
    assert!(
        restored.broken_chains.is_empty(),
        "{:?}",
        restored.broken_chains
    );
    let users_after: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(users_after, users);
    // The running app works on the restored database.
    let res = app
        .login(&TestApp::browser(), "keeper@backup.test", PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    // An existing database is not replaced unless asked.
    let again = server::backup::restore(
        &maintenance,
        &app.database,
        &archive,
        &identity,
        &keys,
        false,
    )
    .await
    .unwrap_err();
    assert!(format!("{again:#}").contains("--replace"));
    // A restore that cannot open the archive leaves the database in use
    // as it was, even with --replace.
    let refused =
        server::backup::restore(&maintenance, &app.database, &archive, &other, &keys, true)
            .await
            .unwrap_err();
    assert!(format!("{refused:#}").contains("decrypt"), "{refused:#}");
    let still: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(still, users);
    std::fs::remove_dir_all(&dir).ok();
}
