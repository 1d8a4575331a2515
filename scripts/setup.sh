#!/usr/bin/env bash
# Installs what Carethread needs to build, run and test on Debian with the
# Rust toolchain, skipping everything already present at the right version:
#   - Debian packages: PostgreSQL server binaries, Chromium, Node.js/npm
#   - the wasm32 target, cargo-leptos, wasm-bindgen-cli (exact version)
#   - wasm-opt (npm binaryen, project-local under tools/) for release builds
#   - the end-to-end test packages (end2end/node_modules)
#   - cargo-deny for the licence, ban and source checks
#   - schemathesis, openapi-spec-validator and openapi-python-client (PyPI,
#     in a project-local venv under tools/) for the OpenAPI checks
#   - localstripe (PyPI, its own venv under tools/: its aiohttp pins differ)
#     for the Stripe adapter's tests
# Usage: scripts/setup.sh [--run]   (--run: only what running the app needs)
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-test}
CARGO_LEPTOS_VERSION=0.3.10
# wasm-bindgen-cli must match the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
BINARYEN_VERSION=132.0.0
# cargo-deny: the newest release (needs rustc 1.88); builds on 1.95.
CARGO_DENY_VERSION=0.20.2
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
# The stateful Stripe emulator the payment adapter's tests run against.
LOCALSTRIPE_VERSION=1.15.10

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages -------------------------------------------------------
apt_missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_missing+=(postgresql)
command -v psql >/dev/null || apt_missing+=(postgresql-client)
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
if [ "$MODE" != "--run" ]; then
  command -v chromium >/dev/null || apt_missing+=(chromium)
  # venv needs ensurepip, which Debian ships separately.
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_missing+=(python3-venv)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
  # The package's own cluster is not ours: Carethread starts its own.
  as_root sh -c 'command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r v c _; do pg_ctlcluster "$v" "$c" stop || true; done' || true
fi

# --- Rust tools ------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (the longest step: 30-50 minutes on 2 cores)"
  # no_downloads: a missing helper tool is an error, never a download.
  cargo install --locked cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --features no_downloads
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  say "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION}"
  # Not --locked: its lock file pins a crate the registry no longer serves.
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
fi

if [ "$MODE" != "--run" ] && ! cargo deny --version 2>/dev/null | grep -q " ${CARGO_DENY_VERSION}\$"; then
  say "installing cargo-deny ${CARGO_DENY_VERSION} (about 4 minutes on 2 cores)"
  cargo install --locked cargo-deny --version "${CARGO_DENY_VERSION}"
fi

# --- Node tools ------------------------------------------------------------
# wasm-opt for release builds. Debian's binaryen is too old (its output
# never hydrates); npm's binaryen is current and installs in seconds.
if [ ! -x tools/node_modules/.bin/wasm-opt ] \
   || [ "$(node -p "require('./tools/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$BINARYEN_VERSION" ]; then
  say "installing wasm-opt (npm binaryen ${BINARYEN_VERSION}) into tools/"
  mkdir -p tools
  npm install --prefix tools --no-audit --no-fund --silent "binaryen@${BINARYEN_VERSION}"
fi

if [ "$MODE" != "--run" ]; then
  if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing the end-to-end test packages"
    (cd end2end && npm ci --no-audit --no-fund --silent)
  fi
  if [ "$(tools/venv/bin/schemathesis --version 2>/dev/null | grep -o '[0-9][0-9.]*$')" != "$SCHEMATHESIS_VERSION" ]; then
    say "installing schemathesis ${SCHEMATHESIS_VERSION} into tools/venv"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
  fi
  # An independent validator of the served document, and a client generated
  # from it that the suite calls (scripts/openapi-client-check.py).
  if [ "$(tools/venv/bin/openapi-spec-validator --version 2>/dev/null | grep -o '[0-9][0-9.]*$')" != "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
    say "installing openapi-spec-validator ${OPENAPI_SPEC_VALIDATOR_VERSION} into tools/venv"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check "openapi-spec-validator==${OPENAPI_SPEC_VALIDATOR_VERSION}"
  fi
  if [ "$(tools/venv/bin/openapi-python-client --version 2>/dev/null | grep -o '[0-9][0-9.]*$')" != "$OPENAPI_PYTHON_CLIENT_VERSION" ]; then
    say "installing openapi-python-client ${OPENAPI_PYTHON_CLIENT_VERSION} into tools/venv"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check "openapi-python-client==${OPENAPI_PYTHON_CLIENT_VERSION}"
  fi
  if [ "$(tools/localstripe/bin/pip show localstripe 2>/dev/null | sed -n 's/^Version: //p')" != "$LOCALSTRIPE_VERSION" ]; then
    say "installing localstripe ${LOCALSTRIPE_VERSION} into tools/localstripe"
    python3 -m venv tools/localstripe
    tools/localstripe/bin/pip install --quiet --disable-pip-version-check "localstripe==${LOCALSTRIPE_VERSION}"
  fi
fi
say "ready"
