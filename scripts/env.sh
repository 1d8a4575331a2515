# Sourced by the scripts: where builds go and which tools come first.
# shellcheck shell=bash
export SQLX_OFFLINE=true
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export TARGET_DIR
