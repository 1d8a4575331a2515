#!/usr/bin/env python3
"""Draws the app icons in public/icons/ (PNG, standard library only).

The mark: an open ring (a "C" for care, and a thread that does not quite
close) around a dot, white on Carethread teal. `any` icons have rounded
corners; the maskable icon is full-bleed with the mark inside the 80% safe
zone. Run from the repository root: python3 scripts/make-icons.py
"""
import math
import struct
import zlib

TEAL = (11, 85, 96)
WHITE = (255, 255, 255)


def coverage(size, inside, samples=4):
    """Anti-aliased coverage of `inside(x, y)` (unit coordinates) per pixel."""
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hit = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    hit += inside(x, y)
            row.append(hit / (samples * samples))
        rows.append(row)
    return rows


def rounded_square(radius):
    def inside(x, y):
        dx = max(abs(x - 0.5) - (0.5 - radius), 0)
        dy = max(abs(y - 0.5) - (0.5 - radius), 0)
        return dx * dx + dy * dy <= radius * radius
    return inside


def mark(scale):
    """The open ring and dot, centred, scaled into `scale` of the canvas."""
    r_ring, width, r_dot = 0.30 * scale, 0.075 * scale, 0.085 * scale
    gap = math.radians(38)  # opening on the right, like a C

    def inside(x, y):
        dx, dy = x - 0.5, y - 0.5
        d = math.hypot(dx, dy)
        if d <= r_dot:
            return True
        if abs(d - r_ring) <= width:
            angle = abs(math.atan2(dy, dx))
            return angle >= gap
        return False
    return inside


def png(path, size, background, foreground):
    bg = coverage(size, background)
    fg = coverage(size, foreground)
    raw = bytearray()
    for y in range(size):
        raw.append(0)
        for x in range(size):
            a_bg, a_fg = bg[y][x], fg[y][x]
            colour = [round(t * (1 - a_fg) + w * a_fg) for t, w in zip(TEAL, WHITE)]
            alpha = round(255 * max(a_bg, a_fg))
            raw += bytes(colour + [alpha])

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    full = lambda x, y: True  # noqa: E731
    png("public/icons/icon-192.png", 192, rounded_square(0.18), mark(1.0))
    png("public/icons/icon-512.png", 512, rounded_square(0.18), mark(1.0))
    png("public/icons/maskable-512.png", 512, full, mark(0.72))
    print("wrote public/icons/icon-192.png, icon-512.png, maskable-512.png")
