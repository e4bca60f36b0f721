"""Synthetic document pages with ground-truth line boxes, to measure and test the page path.

    python -m utils.synth.page --out data/pages --count 20 --seed 7 [--heldout]

A page is an A4 sheet at 150 dpi (1240x1754 px): a header, a centred title,
numbered contract clauses (one column, or two with --columns), a ruled table,
a page number; then a slight rotation, uneven lighting and scan noise. Writes
``page_NNNN.png`` and ``page_NNNN.json`` ({"text", "lines": [{"text",
"polygon"}]}, lines in reading order, polygons in page pixels); --jpeg writes
``page_NNNN.jpg`` instead, as scanners often do. --heldout
draws text and fonts that training never uses (bench_page.py).
"""
import argparse
import json
import os
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from crnn_page import box_polygon
from utils.synth.lines import find_fonts
from utils.synth.text import ARTICLE_TITLES, HELDOUT_CORPUS, PARTY_ROLES, TRAINING_CORPUS, amount, read_corpus

PAGE = (1240, 1754)
MARGIN = (110, 120)
TITLES = ['부동산 임대차 계약서', '물품 공급 계약서', '용역 계약서', '근로 계약서', '비밀유지 계약서', '업무 위탁 계약서',
          '공사 도급 계약서', '매매 계약서']


class PageWriter:
    """Lays text out top to bottom and records each drawn line's box and text."""

    def __init__(self, draw, font_path, size, rng):
        self.draw, self.font_path, self.size, self.rng = draw, font_path, size, rng
        self.lines = []
        self.y = MARGIN[1]

    def font(self, scale=1.0):
        return ImageFont.truetype(self.font_path, int(round(self.size * scale)))

    def line(self, text, x, font, align='left', width=None):
        """Draw one line at the current y; returns its height."""
        left, top, right, bottom = font.getbbox(text)
        if align == 'center':
            x += (width - (right - left)) // 2
        elif align == 'right':
            x += width - (right - left)
        self.draw.text((x - left, self.y - top), text, font=font, fill=int(self.rng.integers(0, 60)))
        self.lines.append(dict(text=text, box=[x, self.y, x + right - left, self.y + bottom - top]))
        return bottom - top

    def justified(self, text, x, font, width):
        """Draw one line at the current y with its word gaps widened to fill ``width`` px."""
        words = text.split()
        widths = [font.getlength(w) for w in words]
        gap = (width - sum(widths)) / max(1, len(words) - 1)
        left, top, _, bottom = font.getbbox(text)
        fill, at = int(self.rng.integers(0, 60)), float(x)
        for word, w in zip(words, widths):
            self.draw.text((round(at) - font.getbbox(word)[0], self.y - top), word, font=font, fill=fill)
            at += w + gap
        right = round(at - gap)
        self.lines.append(dict(text=text, box=[x, self.y, right, self.y + bottom - top]))

    def paragraph(self, text, x, width, font, leading, justify=False):
        """Word-wrapped text in a column of ``width`` px; ``justify``: every row but the last spans the column."""
        rows = wrap(text, font, width)
        for k, row in enumerate(rows):
            if justify and k < len(rows) - 1 and ' ' in row:
                self.justified(row, x, font, width)
            else:
                self.line(row, x, font)
            self.y += leading

    def table(self, rows, x, width, font, leading):
        """A table with a full grid of ruling lines; each cell's text is a line."""
        cols = len(rows[0])
        cell_w = width // cols
        row_h = int(leading * 1.5)
        top = self.y
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.y = top + r * row_h + (row_h - self.size) // 2
                self.line(text, x + c * cell_w + 12, font)
        for r in range(len(rows) + 1):
            self.draw.line([(x, top + r * row_h), (x + cols * cell_w, top + r * row_h)], fill=40, width=2)
        for c in range(cols + 1):
            self.draw.line([(x + c * cell_w, top), (x + c * cell_w, top + len(rows) * row_h)], fill=40, width=2)
        self.y = top + len(rows) * row_h + leading


def wrap(text, font, width):
    """Rows of ``text`` that fit ``width`` px, broken at spaces (inside a word only when it alone is too long)."""
    rows, current = [], ''
    for word in text.split():
        trial = (current + ' ' + word).strip()
        if font.getlength(trial) <= width:
            current = trial
            continue
        if current:
            rows.append(current)
        current = word
        while font.getlength(current) > width:
            cut = max(1, max(i for i in range(1, len(current) + 1) if font.getlength(current[:i]) <= width))
            rows.append(current[:cut])
            current = current[cut:]
    if current:
        rows.append(current)
    return rows


def clause_texts(rng, paragraphs, count):
    """(heading, body) of ``count`` numbered clauses: 12-40 words of running corpus text each."""
    out = []
    for n in range(1, count + 1):
        i, words = rng.randrange(len(paragraphs)), []
        target = rng.randint(12, 40)
        while len(words) < target:
            words += [w for w in paragraphs[i % len(paragraphs)].split() if any('가' <= ch <= '힣' for ch in w)
                      or any(ch.isalnum() for ch in w)]
            i += 1
        out.append(('제%d조 (%s)' % (n, rng.choice(ARTICLE_TITLES)), ' '.join(words[:target])))
    return out


def table_rows(rng, fake):
    cols = rng.randint(2, 4)
    header = ['구분', '성명', '금액', '일자'][:cols]
    rows = [header]
    for _ in range(rng.randint(2, 4)):
        cells = [rng.choice(PARTY_ROLES), fake.name(), amount(rng),
                 '%d. %d. %d.' % (rng.randint(2020, 2030), rng.randint(1, 12), rng.randint(1, 28))]
        rows.append(cells[:cols])
    return rows


def scan(img, rng, angle):
    """Rotate by ``angle`` degrees, then uneven lighting, blur and noise as a scanner leaves them."""
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.12, 0.12, 2)
    light = 1.0 - np.abs(gx) / 2 - np.abs(gy) / 2 + gx * xx / w + gy * yy / h
    out = out * light * rng.uniform(0.85, 1.0)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.9))
    out += rng.normal(0, rng.uniform(2, 8), out.shape)
    return np.clip(out, 0, 255).astype(np.uint8), m


def render_page(seed, fonts, paragraphs, columns=None, max_angle=3.0, angle=None, table=True, justify=False):
    """(gray page, ground-truth lines in reading order, settings) for ``seed``;
    rotated by ``angle`` degrees, or a random angle within ``max_angle``;
    ``table``: a ruled table under the clauses of a one-column page;
    ``justify``: justified paragraphs and a letter-spaced title."""
    from faker import Faker
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    fake = Faker('ko_KR')
    fake.seed_instance(seed)
    size = rng.randint(26, 32)
    leading = int(size * rng.uniform(1.5, 1.8))
    columns = columns or (2 if rng.random() < 0.3 else 1)
    img = Image.new('L', PAGE, 255)
    w = PageWriter(ImageDraw.Draw(img), fonts[rng.randrange(len(fonts))], size, nprng)
    text_w = PAGE[0] - 2 * MARGIN[0]
    small, body, big = w.font(0.75), w.font(), w.font(1.5)
    w.line('계약번호 %d-%04d' % (rng.randint(2020, 2030), rng.randint(1, 9999)), MARGIN[0], small, 'right', text_w)
    w.y += 2 * leading
    title = rng.choice(TITLES)
    w.line('  '.join(title.replace(' ', '')) if justify else title, MARGIN[0], big, 'center', text_w)
    w.y += 2 * leading
    w.paragraph('%s(이하 "갑"이라 한다)과 %s(이하 "을"이라 한다)은 다음과 같이 계약을 체결한다.'
                % (fake.company(), fake.name()), MARGIN[0], text_w, body, leading, justify)
    w.y += leading // 2
    bottom = PAGE[1] - MARGIN[1] - 2 * leading
    gutter = 2 * size + 20
    col_w = (text_w - gutter * (columns - 1)) // columns
    col_top = w.y
    for c in range(columns):
        w.y = col_top
        x = MARGIN[0] + c * (col_w + gutter)
        for heading, text in clause_texts(rng, paragraphs, 12):
            rows = wrap(text, body, col_w)
            if w.y + (len(rows) + 1) * leading > bottom - (7 * leading if columns == 1 and table else 0):
                break
            w.line(heading, x, body)
            w.y += leading
            w.paragraph(text, x, col_w, body, leading, justify)
            w.y += leading // 3
    if columns == 1 and table:
        w.y += leading // 2
        w.table(table_rows(rng, fake), MARGIN[0], text_w, body, leading)
    w.y = PAGE[1] - MARGIN[1]
    w.line('- %d -' % rng.randint(1, 9), MARGIN[0], small, 'center', text_w)
    angle = rng.uniform(-max_angle, max_angle) if angle is None else angle
    page, m = scan(np.asarray(img), nprng, angle)
    lines = [dict(text=line['text'], polygon=box_polygon(line['box'], m)) for line in w.lines]
    return page, lines, dict(font=os.path.basename(w.font_path), size=size, columns=columns, angle=round(angle, 2))


def write_pages(out, count, seed, heldout=False, columns=None, max_angle=3.0, ext='.png', table=True,
                paragraphs=None):
    """Render ``count`` pages into ``out``: page_NNNN.png (or ``ext``: .jpg) + page_NNNN.json; returns the
    image paths. ``table``: one-column pages end with a ruled table; ``paragraphs``: the clauses' text (default:
    the held-out or the training corpus)."""
    fonts = find_fonts(heldout=heldout)
    if not fonts:
        raise ValueError('no fonts found for %s pages (install the Debian fonts, README)' % (
            'held-out' if heldout else 'training'))
    paragraphs = paragraphs or read_corpus(HELDOUT_CORPUS if heldout else TRAINING_CORPUS)
    os.makedirs(out, exist_ok=True)
    paths = []
    for k in range(count):
        page, lines, settings = render_page(seed * 100_003 + k, fonts, paragraphs, columns, max_angle, table=table)
        stem = os.path.join(out, 'page_%04d' % (k + 1))
        cv2.imwrite(stem + ext, page, [cv2.IMWRITE_JPEG_QUALITY, 90] if ext == '.jpg' else [])
        with open(stem + '.json', 'w', encoding='utf-8') as f:
            json.dump(dict(text='\n'.join(l['text'] for l in lines), lines=lines, **settings), f,
                      ensure_ascii=False, indent=1)
        paths.append(stem + ext)
    return paths


def parse_args(argv=None):
    from utils.cli import HelpFormatter, add_generator_args
    p = argparse.ArgumentParser(prog='python -m utils.synth.page', description=__doc__, formatter_class=HelpFormatter)
    add_generator_args(p, 'pages', 10, 'text and fonts that training never uses')
    p.add_argument('--columns', type=int, choices=[1, 2], help='text columns (unset: two columns on 30%% of pages)')
    p.add_argument('--max-angle', type=float, default=3.0, help='rotation, degrees either way')
    p.add_argument('--jpeg', action='store_true', help='write JPEG (quality 90) instead of PNG pages')
    p.add_argument('--no-table', dest='table', action='store_false', help='no ruled table on one-column pages')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths = write_pages(args.out, args.count, args.seed, args.heldout, args.columns, args.max_angle,
                        '.jpg' if args.jpeg else '.png', table=args.table)
    print('wrote %d pages to %s' % (len(paths), args.out))
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
