#!/usr/bin/env python3
"""Turns what one request made the server send to PostgreSQL into a pgbench
script, so the baseline runs exactly the same statements.

The caller turns on `log_statement = 'all'` with a log line prefix that
names the role (`%m [%p] %u `), makes the request once, and hands this
script the log written meanwhile. Every statement the application role
sent (simple ones such as BEGIN and COMMIT, and each prepared statement's
execution) is kept in order, its logged parameters put in as literals;
other roles (the job runner's worker) are left out.

Usage: capture-sql.py LOG ROLE OUT
Prints how many statements it kept.
"""

import re
import sys

PREFIX = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] (?P<user>\S*) (?P<kind>[A-Z]+):  (?P<text>.*)$"
)
EXECUTE = re.compile(r"^execute [^:]+: (?P<sql>.*)$", re.S)
STATEMENT = re.compile(r"^statement: (?P<sql>.*)$", re.S)
PARAMETER = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def records(lines):
    """(user, kind, text) per log record; continuation lines joined on."""
    current = None
    for line in lines:
        m = PREFIX.match(line.rstrip("\n"))
        if m:
            if current:
                yield current
            current = [m["user"], m["kind"], m["text"]]
        elif current:
            current[2] += "\n" + line.rstrip("\n")
    if current:
        yield current


def strip_comments(sql):
    """Drops `-- ...` to the end of each line, unless inside a string."""
    kept = []
    for line in sql.split("\n"):
        at = line.find("--")
        while at != -1 and line[:at].count("'") % 2 == 1:
            at = line.find("--", at + 2)
        kept.append(line if at == -1 else line[:at])
    return "\n".join(kept)


def main():
    log, role, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(log, encoding="utf-8", errors="replace") as f:
        recs = [r for r in records(f) if r[0] == role]
    statements = []
    for i, (_, kind, text) in enumerate(recs):
        if kind != "LOG":
            continue
        m = EXECUTE.match(text) or STATEMENT.match(text)
        if not m:
            continue
        sql = m["sql"].strip().rstrip(";")
        values = {}
        if i + 1 < len(recs) and recs[i + 1][1] == "DETAIL":
            detail = recs[i + 1][2]
            if detail.startswith("parameters: "):
                values = {int(n): v for n, v in PARAMETER.findall(detail)}
        # Highest numbers first is not needed: \b keeps $1 from matching $10.
        sql = re.sub(r"\$(\d+)\b", lambda p: values.get(int(p[1]), p[0]), sql)
        if re.search(r"\$\d+\b", sql):
            sys.exit(f"a parameter was not logged in: {sql[:200]}")
        # pgbench ends a command at a semicolon at the end of a line, so
        # each statement becomes one line: comments go first.
        statements.append(" ".join(strip_comments(sql).split()) + ";")
    if not statements:
        sys.exit("no statements of the role were logged")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(statements) + "\n")
    print(len(statements))


if __name__ == "__main__":
    main()
