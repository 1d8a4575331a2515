//! Loads the reference data (US ZIP codes, ICD-10-CM codes) that ships in
//! `reference/*.csv.gz` (made by `scripts/make-reference-data.sh`, sources
//! and licences in the README) into the database at start-up.
//!
//! Each file's SHA-256 is recorded in `reference_data`; a file whose hash
//! is already there is skipped, so this costs one query on a normal start
//! and a reload only when the committed file changes. Rows go through a
//! temporary table because `COPY` cannot write into a table under (forced)
//! row-level security; the owner role inserts them from there.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use std::io::Read;

struct Dataset {
    name: &'static str,
    gz: &'static [u8],
    /// Creates the staging table `load` (its columns are the file's).
    staging: &'static str,
    /// Moves `load` into place.
    replace: &'static str,
}

const DATASETS: [Dataset; 2] = [
    Dataset {
        name: "us_zip_codes",
        gz: include_bytes!("../../reference/us_zip_codes.csv.gz"),
        staging: "CREATE TEMP TABLE load (zip char(5), city text, state char(2), county text,
                  lat double precision, lon double precision, kind text, active boolean) ON COMMIT DROP",
        replace: "DELETE FROM zip_codes WHERE zip NOT IN (SELECT zip FROM load);
                  INSERT INTO zip_codes (zip, city, state, county, lat, lon, kind, active)
                  SELECT zip, city, state, coalesce(county, ''), lat, lon, coalesce(kind, ''),
                         coalesce(active, true)
                  FROM load
                  ON CONFLICT (zip) DO UPDATE SET city = excluded.city, state = excluded.state,
                      county = excluded.county, lat = excluded.lat, lon = excluded.lon,
                      kind = excluded.kind, active = excluded.active",
    },
    Dataset {
        name: "icd10cm_codes",
        gz: include_bytes!("../../reference/icd10cm_codes.csv.gz"),
        staging: "CREATE TEMP TABLE load (code text, display text, description text, billable boolean)
                  ON COMMIT DROP",
        replace: "DELETE FROM icd10cm_codes WHERE code NOT IN (SELECT code FROM load);
                  INSERT INTO icd10cm_codes (code, display, description, billable)
                  SELECT code, display, coalesce(description, ''), coalesce(billable, false) FROM load
                  ON CONFLICT (code) DO UPDATE SET display = excluded.display,
                      description = excluded.description, billable = excluded.billable",
    },
];

/// Loads whatever reference data is missing or out of date. `conn` is the
/// administrative connection, acting as the owner role.
pub async fn load(conn: &mut PgConnection) -> Result<()> {
    for dataset in &DATASETS {
        let sha = hex::encode(Sha256::digest(dataset.gz));
        let loaded: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM reference_data WHERE name = $1")
                .bind(dataset.name)
                .fetch_optional(&mut *conn)
                .await?;
        if loaded.as_deref() == Some(sha.as_str()) {
            continue;
        }
        let mut csv = Vec::new();
        flate2::read::GzDecoder::new(dataset.gz)
            .read_to_end(&mut csv)
            .with_context(|| format!("reference/{}.csv.gz is not valid gzip", dataset.name))?;
        let mut tx = conn.begin().await?;
        // Several processes may start at once: one loads, the others wait
        // and then find it done.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carethread.reference_data'))")
            .execute(&mut *tx)
            .await?;
        let loaded: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM reference_data WHERE name = $1")
                .bind(dataset.name)
                .fetch_optional(&mut *tx)
                .await?;
        if loaded.as_deref() == Some(sha.as_str()) {
            continue;
        }
        sqlx::raw_sql(dataset.staging).execute(&mut *tx).await?;
        let mut copy = tx
            .copy_in_raw("COPY load FROM STDIN WITH (FORMAT csv, HEADER true)")
            .await?;
        copy.send(csv).await?;
        let rows = copy.finish().await?;
        sqlx::raw_sql(dataset.replace).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO reference_data (name, sha256, row_count) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256,
                 row_count = excluded.row_count, loaded_at = now()",
        )
        .bind(dataset.name)
        .bind(&sha)
        .bind(i64::try_from(rows).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(dataset = dataset.name, rows, "reference data loaded");
    }
    Ok(())
}
