//! Branches (issue 16, item 6): a clinic's offices and the ZIP codes each
//! serves, and which staff member works in which. The scoping itself is
//! row-level security (`migrations/*_branches.sql`): a staff member
//! assigned to a branch sees its patients, visits and referrals only; new
//! patients and routed referrals take the branch serving their ZIP.

use crate::error::AppError;
use app_macros::rpc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::audit::repo::{record, Entry, Subject};
#[cfg(feature = "ssr")]
use crate::audit::AuditAction;
#[cfg(feature = "ssr")]
use crate::auth::Role;

/// A branch with its area and its staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchView {
    pub id: Uuid,
    pub name: String,
    pub zips: Vec<String>,
    pub staff: Vec<String>,
}

/// A staff member and their branch (none: the whole clinic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffBranch {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub branch_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branches {
    pub branches: Vec<BranchView>,
    pub staff: Vec<StaffBranch>,
}

/// The clinic's branches and its staff's assignments (administrators).
#[rpc(prefix = "/rpc", endpoint = "clinic/branches")]
pub async fn get_branches() -> Result<Branches, AppError> {
    let mut tx = crate::auth::require(&[Role::ClinicAdmin]).await?;
    let branches: Vec<(Uuid, String, Vec<String>)> =
        sqlx::query_as("SELECT id, name, zips::text[] FROM branches ORDER BY name, id")
            .fetch_all(tx.conn())
            .await?;
    let org = tx.principal().org_id;
    let staff: Vec<(Uuid, String, String, Option<Uuid>)> = sqlx::query_as(
        "SELECT u.id, u.display_name, u.email, m.branch_id
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organization_id = $1 AND m.role = 'clinic_staff'
         ORDER BY u.display_name, u.id",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    let staff: Vec<StaffBranch> = staff
        .into_iter()
        .map(|(user_id, name, email, branch_id)| StaffBranch {
            user_id,
            name,
            email,
            branch_id,
        })
        .collect();
    Ok(Branches {
        branches: branches
            .into_iter()
            .map(|(id, name, zips)| BranchView {
                staff: staff
                    .iter()
                    .filter(|s| s.branch_id == Some(id))
                    .map(|s| s.name.clone())
                    .collect(),
                id,
                name,
                zips,
            })
            .collect(),
        staff,
    })
}

/// Adds a branch serving `zips`.
#[rpc(prefix = "/rpc", endpoint = "clinic/branches/add")]
pub async fn add_branch(
    #[server(default)] branch_name: String,
    #[server(default)] zips: String,
) -> Result<Uuid, AppError> {
    use crate::error::FieldError;
    let mut fields = Vec::new();
    let name = branch_name.trim().to_owned();
    if !(2..=80).contains(&name.chars().count()) || name.contains(['\n', '\r']) {
        fields.push(FieldError::new(
            "branch_name",
            "Name the branch in 2 to 80 characters, like “Columbus office”.",
        ));
    }
    let zips = match super::parse_zip_list(&zips) {
        Ok(list) if list.len() <= 500 => list,
        Ok(_) => {
            fields.push(FieldError::new("zips", "List at most 500 ZIP codes."));
            Vec::new()
        }
        Err(why) => {
            fields.push(FieldError::new("zips", why));
            Vec::new()
        }
    };
    let mut tx = crate::auth::require(&[Role::ClinicAdmin]).await?;
    let unknown = super::api::repo::unknown_zips(&mut tx, &zips).await?;
    if let Some(u) = unknown.first() {
        fields.push(FieldError::new(
            "zips",
            format!("{u} is not a US ZIP code we know."),
        ));
    }
    if !fields.is_empty() {
        return Err(fields.into());
    }
    let org = tx.principal().org_id;
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO branches (organization_id, name, zips) VALUES ($1, $2, $3::char(5)[])
         ON CONFLICT (organization_id, name) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(&name)
    .bind(&zips)
    .fetch_optional(tx.conn())
    .await?;
    let id = id.ok_or_else(|| AppError::invalid("branch_name", "A branch of that name exists."))?;
    record(
        &mut tx,
        Entry::new(AuditAction::ClinicSettingsChanged)
            .subject(Subject::new("branch", id))
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({ "changed": ["branch_added"], "zips": zips.len() })),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/clinic/settings?saved=branch#branches-heading");
    Ok(id)
}

/// Puts a staff member in a branch (`branch` empty: the whole clinic).
/// What they see changes at once.
#[rpc(prefix = "/rpc", endpoint = "clinic/branches/assign")]
pub async fn assign_branch(
    user_id: Uuid,
    #[server(default)] branch: String,
) -> Result<(), AppError> {
    let branch: Option<Uuid> = match branch.trim() {
        "" => None,
        id => Some(
            Uuid::parse_str(id)
                .map_err(|_| AppError::invalid("branch", "Choose a branch from the list."))?,
        ),
    };
    let mut tx = crate::auth::require(&[Role::ClinicAdmin]).await?;
    let org = tx.principal().org_id;
    if let Some(b) = branch {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM branches WHERE id = $1)")
                .bind(b)
                .fetch_one(tx.conn())
                .await?;
        if !known {
            return Err(AppError::invalid(
                "branch",
                "Choose a branch from the list.",
            ));
        }
    }
    let moved = sqlx::query(
        "UPDATE memberships SET branch_id = $3
         WHERE organization_id = $1 AND user_id = $2 AND role = 'clinic_staff'",
    )
    .bind(org)
    .bind(user_id)
    .bind(branch)
    .execute(tx.conn())
    .await?;
    if moved.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    record(
        &mut tx,
        Entry::new(AuditAction::ClinicSettingsChanged)
            .subject(Subject::new("user", user_id))
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({ "changed": ["member_branch"], "branch_id": branch })),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/clinic/settings?saved=branch#branches-heading");
    Ok(())
}
