#!/usr/bin/env python3
"""Whether two HTML pages show the same document: the same elements with
the same attributes and the same text, in the same order. What a
server-rendered Leptos page carries for hydration and a hand-written page
does not is left out of the comparison: comments (Leptos's markers),
scripts, and the attributes that only serve them (`nonce`, `crossorigin`,
an island's generated `data-component`). Text that tells the time since
something ("6 h 36 min") is compared with its digits masked, as the two
pages are fetched moments apart.

Usage: same-page.py A.html B.html   (exit 0 when the same; else prints the
first differences and exits 1)
"""

import difflib
import re
import sys
from html.parser import HTMLParser

IGNORED = {"nonce", "crossorigin", "data-component"}
AGE = re.compile(r"^(\d+ d \d+ h|\d+ h \d+ min|\d+ min|just now)$")


class Tokens(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.in_script = True
            return
        kept = sorted((k, v) for k, v in attrs if k not in IGNORED)
        self.tokens.append(f"<{tag} {kept}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
            return
        self.tokens.append(f"</{tag}>")

    def handle_data(self, data):
        if self.in_script or not data.strip():
            return
        if self.tokens and self.tokens[-1].startswith("text "):
            self.tokens[-1] += data.strip()
        else:
            self.tokens.append("text " + data.strip())


def tokens(path):
    parser = Tokens()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    masked = []
    for token in parser.tokens:
        if token.startswith("text ") and AGE.match(token[5:]):
            token = "text " + re.sub(r"\d+", "N", token[5:])
        masked.append(token)
    return masked


def main():
    a, b = tokens(sys.argv[1]), tokens(sys.argv[2])
    if a == b:
        print(f"same document: {len(a)} elements and texts")
        return
    for line in list(difflib.unified_diff(a, b, sys.argv[1], sys.argv[2], lineterm="", n=1))[:40]:
        print(line)
    sys.exit(1)


if __name__ == "__main__":
    main()
