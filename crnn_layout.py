"""Reading order of a page's text lines: ruling lines found, then a recursive
XY-cut of the deskewed ink. A region is split at its widest blank gap
(column gaps count 1.5x, so columns are read before their rows); ruling lines
of tables are hard cuts; a gap between a list's labels and their figures (a
narrow side whose lines are level with the other's) is read across by rows;
a region with no gap left is one line. Pure functions of numpy masks.
"""
import cv2
import numpy as np

COLUMN_PREFERENCE = 1.5
COLUMN_LINES = 4  # a column gap runs down at least this many text lines (justified word gaps line up by chance)
NARROW_SIDE = 0.4  # one side of a gap this much narrower than the other or the gap, lines level: labels and figures
STACKED = 1.7  # a box this many times the page's median line height holds lines that no row gap parted


def find_rules(mask, height):
    """(horizontal, vertical) masks of ruling lines: straight ink runs at
    least 4 glyph heights long, which text never makes."""
    length = max(20, int(4 * height))
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # bridge scan noise in a rule
    horizontal = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    grow = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    return cv2.dilate(horizontal, grow), cv2.dilate(vertical, grow)


def _gaps(profile, hard):
    """Interior blank runs of a 1-D ink profile (trimmed: ink at both ends): [(start, end, hard)], end exclusive."""
    edges = np.flatnonzero(np.diff(profile.astype(np.int8)))  # ink->blank at i: blank starts at i+1
    starts, ends = edges[0::2] + 1, edges[1::2] + 1
    return [(int(s), int(e), bool(hard[s:e].any())) for s, e in zip(starts, ends)]


def xy_cut(text, h_rules, v_rules, min_column_gap, min_row_gap=1):
    """Boxes (x0, y0, x1, y1, row) of the text's lines in reading order (row: the
    table row the box is a cell of, counted from 0, or -1): regions cut
    at hard gaps (a ruling line across the region; rows before columns, as a
    table is read) first, else at the widest
    gap, column gaps weighted 1.5x. A column gap is at least ``min_column_gap``
    wide and, in a band no taller than a line, 1.2x its height; a row gap at least
    ``min_row_gap`` high (narrower ones part a syllable from its final consonant)."""
    out, stack, rows_cut = [], [(0, 0, text.shape[1], text.shape[0], -1)], 0
    while stack:
        x0, y0, x1, y1, row = stack.pop()
        sub = text[y0:y1, x0:x1]
        rows, cols = sub.any(axis=1), sub.any(axis=0)
        if not rows.any():
            continue
        top, bottom = int(np.argmax(rows)), len(rows) - int(np.argmax(rows[::-1]))
        left, right = int(np.argmax(cols)), len(cols) - int(np.argmax(cols[::-1]))
        x0, y0, x1, y1 = x0 + left, y0 + top, x0 + right, y0 + bottom
        sub = text[y0:y1, x0:x1]
        rows, cols = sub.any(axis=1), sub.any(axis=0)
        hard_rows = h_rules[y0:y1, x0:x1].sum(axis=1) >= 0.8 * (x1 - x0)
        hard_cols = v_rules[y0:y1, x0:x1].sum(axis=0) >= 0.8 * (y1 - y0)
        row_gaps = [g for g in _gaps(rows, hard_rows) if g[2] or g[1] - g[0] >= min_row_gap]
        bands = np.diff([0] + [v for s, e, _ in row_gaps for v in (s, e)] + [len(rows)])[0::2]
        # in one line, even a big title's, a word gap is no column gap; a taller band is lines of two columns;
        # and a column runs down several lines, or it is the wide word gaps of justified lines lining up
        column_gap = max(min_column_gap, 1.2 * bands.max()) if bands.max() <= 2 * min_column_gap else min_column_gap
        columns_possible = len(bands) >= COLUMN_LINES or bands.max() > 2 * min_column_gap
        cuts = [(hard, False, (e - s) * COLUMN_PREFERENCE, 'v', s, e) for s, e, hard in _gaps(cols, hard_cols)
                if hard or (columns_possible and e - s >= column_gap)]
        cuts += [(hard, hard, e - s, 'h', s, e) for s, e, hard in row_gaps]  # a table: rows before cells
        if not cuts:
            out.append((x0, y0, x1, y1, row))
            continue
        hard, _, _, axis, s, e = max(cuts)
        across = [c for c in cuts if c[3] == 'h']
        if axis == 'v' and not hard and across and rows_across(sub, s, e, min_row_gap):
            hard, _, _, axis, s, e = max(across)  # a list's label and its figure: one row, read across
        if axis == 'h':
            first, second = (x0, y0, x1, y0 + s, row), (x0, y0 + e, x1, y1, row)
        else:
            if hard and row < 0:  # the cells of one table row, apart by ruling lines
                row, rows_cut = rows_cut, rows_cut + 1
            first, second = (x0, y0, x0 + s, y1, row), (x0 + e, y0, x1, y1, row)
        stack += [second, first]  # the first (top or left) part is read first
    return out


def split_stacked(text, boxes):
    """Boxes (x0, y0, x1, y1, row) with those taller than STACKED x the page's line height split at their blank
    rows of any height, into pieces each at least half that height (widest gaps first): lines that xy_cut left
    together because their gap was under its ``min_row_gap``. A photo's defocus narrows the gaps and joins each
    syllable's parts into one blob, which raises the glyph height that gap is measured against. The line height
    is the median height of the boxes without a blank row inside; without such boxes nothing is split."""
    blank_rows = [_gaps(text[y0:y1, x0:x1].any(axis=1), np.zeros(y1 - y0, bool)) for x0, y0, x1, y1, _ in boxes]
    single = [b[3] - b[1] for b, gaps in zip(boxes, blank_rows) if not gaps]
    if not single:
        return boxes
    line, out = float(np.median(single)), []
    for (x0, y0, x1, y1, row), gaps in zip(boxes, blank_rows):
        pieces = [(0, y1 - y0)]
        for s, e, _ in sorted(gaps, key=lambda g: g[0] - g[1]) if y1 - y0 > STACKED * line else []:
            a, b = next(p for p in pieces if p[0] <= s and e <= p[1])
            if s - a >= 0.5 * line and b - e >= 0.5 * line:
                pieces[pieces.index((a, b))] = (a, s)
                pieces.append((e, b))
        for a, b in sorted(pieces):
            cols = np.flatnonzero(text[y0 + a:y0 + b, x0:x1].any(axis=0))
            out.append((x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b, row))
    return out


def _bands(mask, min_row_gap):
    """(start, end) of the ink's row bands of ``mask``, gaps under ``min_row_gap`` closed."""
    rows = mask.any(axis=1)
    if not rows.any():
        return []
    top, bottom = int(np.argmax(rows)), len(rows) - int(np.argmax(rows[::-1]))
    cuts = [(s + top, e + top) for s, e, _ in _gaps(rows[top:bottom], np.zeros(bottom - top, bool))
            if e - s >= min_row_gap]
    edges = [top] + [v for c in cuts for v in c] + [bottom]
    return list(zip(edges[0::2], edges[1::2]))


def rows_across(sub, s, e, min_row_gap):
    """Whether the blank columns ``s:e`` of a region part a list's labels from their figures rather than two
    columns of text: one side is less than NARROW_SIDE of the other's width or of the gap, whichever is wider (a
    gutter is narrower than the columns it parts; short labels lie far from their figures where leader dots are
    too faint to be ink), has two lines or more, and each of its lines lies level with a line of the other side
    (half its height or more shared)."""
    left, right = sub[:, :s], sub[:, e:]
    widths = [int(np.count_nonzero(part.any(axis=0))) for part in (left, right)]
    if min(widths) >= NARROW_SIDE * max(max(widths), e - s):
        return False
    narrow, wide = (left, right) if widths[0] < widths[1] else (right, left)
    narrow, wide = _bands(narrow, min_row_gap), _bands(wide, min_row_gap)
    return len(narrow) >= 2 and all(
        any(min(b, d) - max(a, c) >= 0.5 * (b - a) for c, d in wide) for a, b in narrow)
