//! Tells cargo that the migrations are inputs of this crate:
//! `sqlx::migrate!` (in `db.rs`) embeds them when it compiles, and without
//! this a new or edited migration would leave an old binary in place.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
