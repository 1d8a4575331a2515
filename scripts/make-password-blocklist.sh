#!/usr/bin/env bash
# Regenerates app/src/auth/common_passwords.txt: the common passwords that
# our length rule (12+ characters) would otherwise let through, lower-cased.
# Source: the npm package @zxcvbn-ts/language-common (MIT), whose list of
# ~49,000 common passwords comes from leaked-password frequency data.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.1.3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@zxcvbn-ts/language-common@${VERSION}" >/dev/null && tar xzf ./*.tgz)
python3 - "$work/package/src/passwords.json" > app/src/auth/common_passwords.txt <<'PY'
import json, sys
words = json.load(open(sys.argv[1]))
keep = sorted({w.lower() for w in words if 12 <= len(w) <= 128})
print("\n".join(keep))
PY
echo "wrote $(wc -l < app/src/auth/common_passwords.txt) passwords to app/src/auth/common_passwords.txt"
