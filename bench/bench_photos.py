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
from dataclasses import dataclass

import cv2
import numpy as np

from harness import add_model_args, load_model, write_section
from bench_page import clean, page_sets, tesseract_page
from crnn_utils import edit_distance
from utils.lm import DEFAULT_DECODING

FLAT_MARGIN = 0.01  # issue 40: a mild photo reads within this CER of the same page flat


def load_record(path):
    return json.load(open(os.path.splitext(path)[0] + '.json', encoding='utf-8'))


def truth_text(record):
    return '\n'.join(clean([t['text'] for t in record['lines']]))


def read_page(reader, gray):
    """(page text, turn in degrees, seconds) of this project's reader."""
    t = time.perf_counter()
    page = reader.read_page(gray)
    return '\n'.join(clean([line.text for line in page.lines])), page.turn, time.perf_counter() - t


@dataclass
class Photo:
    """One photo as read, beside its flat page: edits and characters of each, seconds of each, the turn read,
    Tesseract's edits and characters on the photo, and the photo's long side."""
    name: str
    edits: int
    chars: int
    flat_edits: int
    flat_chars: int
    seconds: float
    flat_seconds: float
    turn: int
    tesseract: tuple
    long_side: int

    @property
    def over_flat(self):
        return self.edits / self.chars - self.flat_edits / self.flat_chars


def measure_photos(reader, photos, flat_of, tesseract, work):
    """A Photo per photo; ``flat_of``: {flat page: (edits, chars, seconds)}, filled on first use."""
    out = []
    for path in photos:
        stem = os.path.splitext(os.path.basename(path))[0]
        record, gray = load_record(path), cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        truth = truth_text(record)
        text, turn, seconds = read_page(reader, gray)
        flat = os.path.join(os.path.dirname(os.path.dirname(path)), record.get('flat', 'plain/%s.png' % stem))
        if flat not in flat_of:
            flat_text, _, flat_seconds = read_page(reader, cv2.imread(flat, cv2.IMREAD_GRAYSCALE))
            flat_truth = truth_text(load_record(flat))
            flat_of[flat] = (edit_distance(flat_truth, flat_text), len(flat_truth), flat_seconds)
        tess = ((edit_distance(truth, '\n'.join(clean(tesseract_page(path, 6, work)[0]))), len(truth)) if tesseract
                else (0, 0))
        photo = Photo(stem, edit_distance(truth, text), len(truth), *flat_of[flat][:2], seconds, flat_of[flat][2],
                      turn, tess, max(gray.shape))
        out.append(photo)
        print(os.path.basename(os.path.dirname(path)), stem, 'photo %.4f flat %.4f turn %d %.1fs/%.1fs'
              % (photo.edits / photo.chars, photo.flat_edits / photo.flat_chars, turn, seconds, photo.flat_seconds),
              flush=True)
    return out


def photo_row(name, photos, tesseract):
    cer = sum(p.edits for p in photos) / sum(p.chars for p in photos)
    flat = sum(p.flat_edits for p in photos) / sum(p.flat_chars for p in photos)
    worst = max(photos, key=lambda p: p.over_flat)
    tess = sum(p.tesseract[0] for p in photos) / max(1, sum(p.tesseract[1] for p in photos))
    sides = [p.long_side for p in photos]
    return '| %s | %d | %d-%d | %.4f | %.4f | %d of %d | %s %+.4f | %s | %s | %.2f | %d |' % (
        name, len(photos), min(sides), max(sides), cer, flat, sum(p.over_flat <= FLAT_MARGIN for p in photos),
        len(photos), worst.name, worst.over_flat, '%.4f' % tess if tesseract else '-',
        '%.2f' % (cer / tess) if tesseract and tess else '-',
        statistics.median(p.seconds / p.flat_seconds for p in photos), sum(p.turn != 0 for p in photos))


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
