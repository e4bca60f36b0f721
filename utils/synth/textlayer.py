"""The PDF text layer as ground truth: ``pdftotext -bbox-layout`` (poppler-utils) gives each page's lines in PDF
points; they are put in reading order (column_order, merge_rows) and checked against the document they were laid
out from (check_lines), so that a line the layout engine printed differently from its source is never a truth."""
import html
import re
import shutil
import subprocess

import numpy as np

from crnn_utils import drop_leaders


class ToolMissing(RuntimeError):
    """soffice or pdftotext is not installed."""


def require(tool, package):
    if not shutil.which(tool):
        raise ToolMissing('%s not found (Debian: apt-get install %s)' % (tool, package))


LINE_RE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)
WORD_RE = re.compile(r'<word[^>]*>(.*?)</word>', re.S)
PAGE_RE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def pdf_lines(pdf):
    """Per page: (width, height in points, [(text, (x0, y0, x1, y1) in points)]) from the PDF's text layer."""
    require('pdftotext', 'poppler-utils')
    out = subprocess.run(['pdftotext', '-bbox-layout', pdf, '-'], capture_output=True, text=True, check=True).stdout
    pages = []
    for w, h, body in PAGE_RE.findall(out):
        lines = []
        for x0, y0, x1, y1, inner in LINE_RE.findall(body):
            text = drop_leaders(' '.join(html.unescape(t) for t in WORD_RE.findall(inner)))
            if text.strip():
                lines.append((text, (float(x0), float(y0), float(x1), float(y1))))
        pages.append((float(w), float(h), lines))
    return pages


def column_order(pages, columns):
    """Each page's lines in reading order for ``columns`` equal columns: column by column, top to bottom, the
    pieces of a row within a column joined left to right however wide a justified line's word gaps (pdftotext
    may take a row across both columns before the next, and cuts a justified line at its widest gaps)."""
    out = []
    for w, h, lines in pages:
        def column(box):
            return min(columns - 1, int((box[0] + box[2]) / 2 / w * columns))
        rows = []  # [(column, the row's pieces)], top to bottom within each column
        for text, box in sorted(lines, key=lambda tb: (column(tb[1]), tb[1][1])):
            c, middle = column(box), (box[1] + box[3]) / 2
            last = rows[-1][1][-1][1] if rows and rows[-1][0] == c else None
            if last is not None and abs(middle - (last[1] + last[3]) / 2) < 0.5 * (last[3] - last[1]):
                rows[-1][1].append((text, box))
            else:
                rows.append((c, [(text, box)]))
        joined = []
        for _, row in rows:
            row.sort(key=lambda tb: tb[1][0])
            boxes = np.array([box for _, box in row])
            joined.append((' '.join(text for text, _ in row), (boxes[:, 0].min(), boxes[:, 1].min(),
                                                                 boxes[:, 2].max(), boxes[:, 3].max())))
        out.append((w, h, joined))
    return out


def merge_rows(pages):
    """Pieces of one printed line joined: pdftotext cuts a justified line where its word gaps are wide into
    several 'lines' of one row; consecutive pieces on one row, each to the right of the last, become one (a
    one-column page: column_order does this for several)."""
    out = []
    for w, h, lines in pages:
        merged = []
        for text, box in lines:
            if merged:
                last_text, last = merged[-1]
                same_row = abs((box[1] + box[3]) - (last[1] + last[3])) / 2 < 0.5 * (last[3] - last[1])
                if same_row and box[0] >= last[2]:
                    merged[-1] = (last_text + ' ' + text, (last[0], min(last[1], box[1]), box[2],
                                                            max(last[3], box[3])))
                    continue
            merged.append((text, box))
        out.append((w, h, merged))
    return out


def nonspace(text):
    return ''.join(text.split())


def check_lines(paragraphs, pages, source=''):
    """``pages`` (as pdf_lines returns them) checked against the document's own
    paragraphs: the lines must consume the paragraphs' non-space characters in
    order; raises ValueError where they differ. The text kept is the PDF's: its
    spaces are where the page shows gaps (LibreOffice sets Hangul and digits
    apart, so the source's '제1조' prints, and copies, as '제 1 조')."""
    stream = [text for _, text in paragraphs]
    p, pos = 0, 0
    out = []
    for w, h, lines in pages:
        aligned = []
        for pdf_text, box in lines:
            want = nonspace(pdf_text)
            while p < len(stream) and not nonspace(stream[p][pos:]):
                p, pos = p + 1, 0
            if p == len(stream):
                raise ValueError('%s: the PDF has more text than the document (%r)' % (source, pdf_text))
            text, start, taken = stream[p], pos, 0
            while text[start].isspace():
                start += 1
            end = start
            while taken < len(want) and end < len(text):
                taken += not text[end].isspace()
                end += 1
            if nonspace(text[start:end]) != want:
                raise ValueError('%s: PDF line %r does not match the document text %r'
                                 % (source, pdf_text, text[start:end]))
            aligned.append((pdf_text, box))
            pos = end
        out.append((w, h, aligned))
    return out
