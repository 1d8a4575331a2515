#!/usr/bin/env python3
"""Turns what one request made the server send to PostgreSQL into a pgbench
script, so the baseline runs exactly the same statements.

The caller turns on `log_statement = 'all'` with a log line prefix that
names the role (`%m [%p] %u `), makes the request once, and hands this
script the log written meanwhile. Every statement the application role
sent (simple ones such as BEGIN and COMMIT, and each prepared statement's
execution) is kept in order, its logged parameters put in as literals;
other roles (the job runner's worker) are left out.

sqlx looks up a type's definition (an enum's labels) the first time a
connection meets it; those catalog queries are dropped, since a warm
connection never sends them again and the baseline would pay for them on
every transaction.

A request that creates a row cannot be replayed as it was: its key is
taken. Each `--vary LITERAL=EXPR` puts a pgbench expression in place of
every occurrence of the quoted SQL literal, keeping its type cast (not inside longer strings,
such as a JSON payload), and `--set NAME=EXPR` adds a `\set` line before
the statements, to draw fresh values per transaction.

sqlx binds typed parameters; a bare literal in their place can be
ambiguous (`'1.5' - '0.2'`). Each literal of a compile-time checked query
gets its parameter's type from the query's entry in `.sqlx/`.

Usage: capture-sql.py LOG ROLE OUT [--set NAME=EXPR ...] [--vary LITERAL=EXPR ...]
Prints how many statements it kept.
"""

import glob
import json
import os
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


def sql_type(described):
    """A parameter's SQL type as `.sqlx/` describes it ("Float8",
    "TextArray", {"Custom": {"name": "care_type", ...}})."""
    if isinstance(described, dict):
        return described["Custom"]["name"]
    if described.endswith("Array"):
        return described[: -len("Array")].lower() + "[]"
    return described.lower()


def parameter_types(root=".sqlx"):
    """Each compile-time checked query (whitespace collapsed) -> the SQL
    types of its parameters."""
    types = {}
    for path in glob.glob(os.path.join(root, "query-*.json")):
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
        params = entry.get("describe", {}).get("parameters", {}).get("Left", [])
        types[" ".join(entry["query"].split())] = [sql_type(p) for p in params]
    return types


# sqlx's per-connection type lookups (see the module doc).
TYPE_LOOKUP = re.compile(r"FROM pg_catalog\.pg_(type|enum) WHERE|^SELECT '[a-z_]+'::regtype::oid$")


def main():
    log, role, out = sys.argv[1], sys.argv[2], sys.argv[3]
    sets, varies = [], []
    args = sys.argv[4:]
    while args:
        flag, value = args[0], args[1] if len(args) > 1 else None
        if flag not in ("--set", "--vary") or value is None or "=" not in value:
            sys.exit(f"unknown argument: {' '.join(args)}")
        name, expr = value.split("=", 1)
        (sets if flag == "--set" else varies).append((name, expr))
        args = args[2:]
    with open(log, encoding="utf-8", errors="replace") as f:
        recs = [r for r in records(f) if r[0] == role]
    typed = parameter_types()
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
        types = typed.get(" ".join(sql.split()), [])

        def literal(p):
            n = int(p[1])
            if n not in values:
                return p[0]
            if n <= len(types):
                return f"{values[n]}::{types[n - 1]}"
            return values[n]

        # Highest numbers first is not needed: \b keeps $1 from matching $10.
        sql = re.sub(r"\$(\d+)\b", literal, sql)
        if re.search(r"\$\d+\b", sql):
            sys.exit(f"a parameter was not logged in: {sql[:200]}")
        if TYPE_LOOKUP.search(" ".join(sql.split())):
            continue
        for value, expr in varies:
            # The literal's type cast stays: the same value may be a uuid in
            # one place and text (a set_config argument) in another.
            sql = re.sub(
                re.escape(f"'{value}'") + r"(::[a-z0-9_\[\]]+)?",
                lambda m, expr=expr: f"({expr})" + (m.group(1) or ""),
                sql,
            )
        # pgbench ends a command at a semicolon at the end of a line, so
        # each statement becomes one line: comments go first.
        statements.append(" ".join(strip_comments(sql).split()) + ";")
    if not statements:
        sys.exit("no statements of the role were logged")
    with open(out, "w", encoding="utf-8") as f:
        for name, expr in sets:
            f.write(f"\\set {name} {expr}\n")
        f.write("\n".join(statements) + "\n")
    print(len(statements))


if __name__ == "__main__":
    main()
