"""Deletes test executables in a cargo `deps` directory that a newer build of
the same test has superseded (same name, different hash), keeping the newest
of each. They are the bulk of a long-lived debug cache and cost nothing to
lose: cargo rebuilds one if it is ever needed again."""

import collections
import os
import re
import sys

deps = sys.argv[1]
builds = collections.defaultdict(list)
for name in os.listdir(deps):
    path = os.path.join(deps, name)
    match = re.fullmatch(r"(.+)-([0-9a-f]{16})", name)
    if match and os.path.isfile(path) and os.access(path, os.X_OK):
        builds[match.group(1)].append((os.path.getmtime(path), match.group(2)))

freed = 0
for stem, versions in builds.items():
    versions.sort(reverse=True)
    for _, digest in versions[1:]:
        for suffix in ("", ".d"):
            path = os.path.join(deps, f"{stem}-{digest}{suffix}")
            if os.path.exists(path):
                freed += os.path.getsize(path)
                os.remove(path)
print(f"pruned {freed / 2**30:.1f} GiB of superseded test executables", file=sys.stderr)
