"""Photographed pages against the same pages flat, and turns on every held-out set (issue 40's targets).

    python -m utils.synth.heldout --out ~/crnn-pages --pages      # plain, scans, PDFs, then --photos
    python bench/bench_photos.py --sets ~/crnn-pages [--lm none] [--no-tesseract]

Each photo_* set under --sets holds pages of another set photographed
(utils/synth/heldout.py --photos; each record names its flat page, ``flat``,
else it is ``plain/page_NNNN.png``). Every photo is read, and so is its flat
page; reported per set: page CER of photos and of the same pages flat,
how many photos read within FLAT_MARGIN of their flat page, the worst one,
Tesseract --psm 6 on the photos, the reading time of a photo over its flat
page's (median), and pages turned. Every other set is read too, only to count
upright pages turned; and the plain pages turned a quarter, a half and three
quarters must be found turned back (the turn read equals the one undone).
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np

from harness import add_model_args, load_model, write_section
from bench_page import clean, page_sets, tesseract_page
from crnn_utils import edit_distance
from utils.lm import DEFAULT_DECODING

FLAT_MARGIN = 0.01  # issue 40: a mild photo reads within this CER of the same page flat


def truth_text(path):
    record = json.load(open(os.path.splitext(path)[0] + '.json', encoding='utf-8'))
    return '\n'.join(clean([t['text'] for t in record['lines']]))


def read_page(reader, gray):
    """(page text, turn in degrees, seconds) of this project's reader."""
    t = time.perf_counter()
    page = reader.read_page(gray)
    return '\n'.join(clean([line.text for line in page.lines])), page.turn, time.perf_counter() - t


def errors(truth, text):
    return edit_distance(truth, text), len(truth)


def measure_photos(reader, photos, flat_of, tesseract, work):
    """Per photo: (name, CER photo, CER flat, seconds photo, seconds flat, turn, Tesseract (edits, chars), long
    side, edits, chars, flat edits, flat chars); ``flat_of``: {flat page: (edits, chars, seconds)}, filled on
    first use."""
    rows = []
    for path in photos:
        stem = os.path.splitext(os.path.basename(path))[0]
        truth, gray = truth_text(path), cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        text, turn, seconds = read_page(reader, gray)
        flat = os.path.join(os.path.dirname(os.path.dirname(path)), json.load(open(
            os.path.splitext(path)[0] + '.json', encoding='utf-8')).get('flat', 'plain/%s.png' % stem))
        if flat not in flat_of:
            flat_text, _, flat_seconds = read_page(reader, cv2.imread(flat, cv2.IMREAD_GRAYSCALE))
            flat_of[flat] = errors(truth_text(flat), flat_text) + (flat_seconds,)
        tess = errors(truth, '\n'.join(clean(tesseract_page(path, 6, work)[0]))) if tesseract else (0, 0)
        e, n = errors(truth, text)
        fe, fn, fs = flat_of[flat]
        rows.append((stem, e / n, fe / fn, seconds, fs, turn, tess, max(gray.shape), e, n, fe, fn))
        print(os.path.basename(os.path.dirname(path)), stem, 'photo %.4f flat %.4f turn %d %.1fs/%.1fs'
              % (e / n, fe / fn, turn, seconds, fs), flush=True)
    return rows


def photo_row(name, rows, tesseract):
    photo = sum(r[8] for r in rows) / sum(r[9] for r in rows)
    flat = sum(r[10] for r in rows) / sum(r[11] for r in rows)
    worst = max(rows, key=lambda r: r[1] - r[2])
    tess = sum(r[6][0] for r in rows) / max(1, sum(r[6][1] for r in rows))
    within = sum(r[1] - r[2] <= FLAT_MARGIN for r in rows)
    return '| %s | %d | %d-%d | %.4f | %.4f | %d of %d | %s %+.4f | %s | %s | %.2f | %d |' % (
        name, len(rows), min(r[7] for r in rows), max(r[7] for r in rows), photo, flat, within, len(rows), worst[0],
        worst[1] - worst[2], '%.4f' % tess if tesseract else '-',
        '%.2f' % (photo / tess) if tesseract and tess else '-',
        statistics.median(r[3] / r[4] for r in rows), sum(r[5] != 0 for r in rows))


def count_turns(reader, paths, quarter=0):
    """(pages, pages whose turn is the one that undoes ``quarter`` counter-clockwise quarter turns)."""
    right = 0
    for path in paths:
        gray = np.ascontiguousarray(np.rot90(cv2.imread(path, cv2.IMREAD_GRAYSCALE), quarter))
        right += reader.read_page(gray).turn == 90 * ((4 - quarter) % 4)
    return len(paths), right


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sets', required=True, help='folder of page sets (utils/synth/heldout.py --pages --photos --out)')
    add_model_args(p)
    p.add_argument('--lm', default=DEFAULT_DECODING or 'none', help="decoding, as CRNN_predict.py --lm (none: greedy)")
    p.add_argument('--no-tesseract', action='store_true', help='only this project\'s reader')
    p.add_argument('--no-turns', action='store_true', help='only the photo sets, no turn counts on the others')
    p.add_argument('--section', default='photos', help='the BENCHMARKS.md section written')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    sets = page_sets(args.sets)
    if not any(name.startswith('photo_') for name in sets) or 'plain' not in sets:
        raise SystemExit('%s: needs plain and photo_* sets (utils/synth/heldout.py --pages, then --photos)' % args.sets)
    model_pred, charset, size, model_name = load_model(args)
    from crnn_reader import Reader
    reader = Reader.from_model(model_pred, charset, size[1], lm=None if args.lm == 'none' else args.lm)
    reader.size = size
    tesseract = not args.no_tesseract and bool(shutil.which('tesseract'))
    flat_of, out = {}, ['| set | photos | long side (px) | page CER | same pages flat | within %.2f of flat | worst '
                        '(photo - flat) | Tesseract `--psm 6` | ratio | time photo / flat | upright turned |'
                        % FLAT_MARGIN, '|---|---|---|---|---|---|---|---|---|---|---|']
    with tempfile.TemporaryDirectory() as work:
        for name in (n for n in sets if n.startswith('photo_')):
            out.append(photo_row(name, measure_photos(reader, sets[name], flat_of, tesseract, work), tesseract))
    if not args.no_turns:
        out += ['', '| set | pages | upright pages turned |', '|---|---|---|']
        for name in (n for n in sets if not n.startswith('photo_')):
            pages, right = count_turns(reader, sets[name])
            out.append('| %s | %d | %d |' % (name, pages, pages - right))
        out += ['', '| pages turned (counter-clockwise) | pages | turned back right |', '|---|---|---|']
        for name in ('plain', 'photo_mild'):
            for quarter in (1, 2, 3) if name in sets else ():
                out.append('| %s, %d degrees | %d | %d |' % ((name, 90 * quarter) + count_turns(reader, sets[name],
                                                                                                 quarter)))
    out += ['', 'Reader: crnn_page + %s, %s. Photo sets of `utils/synth/heldout.py --photos` (the plain pages '
            'photographed by utils.synth.photo: mild = corners moved 2-7 %% of the page, strong = 6-12 %%, curl = '
            'curled then mild; light gradient, shadow, defocus, noise, JPEG) and photo_columns (the lo_columns pages, '
            'two justified columns laid out by LibreOffice, photographed mildly) and photo_12mp (the plain pages '
            'photographed mildly at 4000 x 3000); flat = the same pages as rendered. Page CER: true lines joined by '
            'newlines against the reader\'s, leader dots and runs of spaces made one. Times are per page, each photo '
            'against its own flat page in the same run. Tesseract runs single-threaded (OMP_THREAD_LIMIT=1).'
            % (model_name, 'greedy' if args.lm == 'none' else '`--lm %s`' % args.lm)]
    print('\n'.join(out))
    if not args.no_write:
        write_section(args.section, 'Photographed pages against the same pages flat, and turns on every set',
                      'python bench/bench_photos.py --sets <utils/synth/heldout.py --pages --photos --out> --lm %s%s'
                      % (args.lm, ' --no-tesseract' if args.no_tesseract else ''), out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
