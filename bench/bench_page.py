"""Page reading: this project (crnn_page + the CRNN) vs Tesseract 5 --psm 6 (and --psm 3), same pages.

    python bench/bench_page.py [--pages 12] [--seed 9100] [--run RUN | --weights W --charset C]
    python -m utils.synth.heldout --out ~/crnn-heldout-pages --pages
    python bench/bench_page.py --sets ~/crnn-heldout-pages [--psm 6]

Without --sets: renders --pages held-out document pages (utils.synth.page
--heldout: text and fonts that training never used; one or two columns, a ruled
table, rotation up to 3 degrees, uneven light and noise), BENCHMARKS.md section
'page'. With --sets: every folder of page images with page_NNNN.json ground
truth under it (utils/synth/heldout.py --pages: plain pages, LibreOffice PDFs and
scans), one table per set in section 'page_sets'.

Each page is read with this project's page path and with ``tesseract PAGE OUT
-l kor --psm N txt tsv``. Reported: page CER (ground-truth lines joined by
newlines against the reader's lines joined by newlines, blank lines dropped,
runs of spaces made one; so missed, merged or split lines cost edits), line
accuracy (true lines that a found line matches at IoU >= 0.5 and reads exactly;
Tesseract's lines are its TSV level-4 boxes with their words), line recall and
precision, and pages/s.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from harness import add_model_args, load_model, tesseract_env, write_section
from crnn_page import match_lines, polygon_iou
from crnn_utils import drop_leaders, edit_distance, normalize_text
from utils.lm import DEFAULT_DECODING

PAGE_IMAGES = ('.png', '.jpg')


def clean(lines):
    """Lines as compared: normalized characters, leader dots and runs of spaces one space, no blank lines
    (Tesseract's lines too, so that no reader loses for the dots of a leader)."""
    return [' '.join(drop_leaders(normalize_text(line)).split()) for line in lines if line.strip()]


def tesseract_page(path, psm, workdir):
    """(lines of text, line polygons) as Tesseract reads the page: the lines of
    its text output (whose spaces are its word spacing; the TSV splits Korean
    words into pieces), each with the level-4 box of the TSV line that holds
    the same characters (a line without one gets an empty box)."""
    base = os.path.join(workdir, 'tess')
    subprocess.run(['tesseract', path, base, '-l', 'kor', '--psm', str(psm), 'txt', 'tsv'], check=True,
                   capture_output=True, env=tesseract_env())
    text = [line for line in open(base + '.txt', encoding='utf-8').read().splitlines() if line.strip()]
    boxes, words = {}, defaultdict(list)
    with open(base + '.tsv', encoding='utf-8') as f:
        for row in csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
            key = tuple(row[k] for k in ('page_num', 'block_num', 'par_num', 'line_num'))
            if row['level'] == '4':
                x, y, w, h = (int(row[k]) for k in ('left', 'top', 'width', 'height'))
                boxes[key] = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
            elif row['level'] == '5' and (row['text'] or '').strip():
                words[key].append(row['text'].strip())
    by_chars = defaultdict(list)
    for key in boxes:
        by_chars[''.join(words[key])].append(boxes[key])
    empty = [[0, 0], [0, 0], [0, 0], [0, 0]]
    return text, [by_chars[''.join(line.split())].pop(0) if by_chars[''.join(line.split())] else empty
                  for line in text]


def exact_lines(texts, polygons, truth):
    """True lines read exactly by the found line matched to them (one to one, IoU >= 0.5, best pairs first)."""
    pairs = sorted(((polygon_iou(p, t['polygon']), i, j) for i, p in enumerate(polygons) for j, t in enumerate(truth)
                    if abs(p[0][1] - t['polygon'][0][1]) < 200), reverse=True)
    used_f, used_t, exact = set(), set(), 0
    for iou, i, j in pairs:
        if iou >= 0.5 and i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
            exact += clean([texts[i]]) == clean([truth[j]['text']])
    return exact


def page_sets(root):
    """{set name: [page image paths]} of the folders under ``root`` that hold page_NNNN images with .json truth."""
    out = {}
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isdir(folder):
            pages = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(PAGE_IMAGES)
                           and os.path.exists(os.path.join(folder, os.path.splitext(f)[0] + '.json')))
            if pages:
                out[name] = pages
    if not out:
        raise ValueError('%s: no folder of page images with .json ground truth (utils/synth/heldout.py --pages)' % root)
    return out


def page_reader(model_pred, charset, size, lm=None):
    """read(gray, rows): texts and boxes of the page's lines, a table row's cells each on its own as the truth has
    them, or (``rows``: the truth has each table row as one line, as a PDF's text layer does) the rows."""
    from crnn_reader import recognize_images
    from crnn_page import read_lines

    def read(gray, rows=False):
        lines, _, _ = read_lines(gray, lambda images: recognize_images(model_pred, charset, images, size, lm=lm))
        parts = lines if rows else [cell for line in lines for cell in (line.cells or [line])]
        return [p.text for p in parts], [p.polygon for p in parts]
    return read


def measure(paths, readers, read, work):
    """{reader: totals} over the pages of ``paths``; ``read``: this project's reader, or {reader name: reader}."""
    reads = read if isinstance(read, dict) else {'crnn': read}
    import cv2
    totals = {r: dict(edits=0, chars=0, lines=0, exact=0, recall=[], precision=[], seconds=0.0) for r in readers}
    for path in paths:
        record = json.load(open(os.path.splitext(path)[0] + '.json', encoding='utf-8'))
        truth = record['lines']
        gt_text = '\n'.join(clean([t['text'] for t in truth]))
        gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        for reader in readers:
            t = time.perf_counter()
            texts, polygons = (reads[reader](gray, record.get('table_rows', False)) if reader in reads
                               else tesseract_page(path, int(reader[3:]), work))
            total = totals[reader]
            total['seconds'] += time.perf_counter() - t
            total['edits'] += edit_distance(gt_text, '\n'.join(clean(texts)))
            total['chars'] += len(gt_text)
            total['lines'] += len(truth)
            total['exact'] += exact_lines(texts, polygons, truth)
            recall, precision = match_lines(polygons, [t['polygon'] for t in truth])
            total['recall'].append(recall)
            total['precision'].append(precision)
        print(os.path.basename(os.path.dirname(path)), os.path.basename(path),
              ' '.join('%s %.4f' % (r, totals[r]['edits'] / totals[r]['chars']) for r in readers), flush=True)
    return totals


def table(totals, names, pages):
    rows = ['| reader | page CER | line accuracy | line recall | line precision | pages/s |', '|---|---|---|---|---|---|']
    for r, tot in totals.items():
        rows.append('| %s | %.4f | %.3f | %.3f | %.3f | %.2f |' % (
            names[r], tot['edits'] / tot['chars'], tot['exact'] / tot['lines'], sum(tot['recall']) / pages,
            sum(tot['precision']) / pages, pages / tot['seconds']))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', type=int, default=12, help='without --sets: pages to render')
    p.add_argument('--seed', type=int, default=9100, help='without --sets: seed of the rendered pages')
    p.add_argument('--sets', help='folder of page sets (utils/synth/heldout.py --pages --out)')
    p.add_argument('--psm', default='6,3', help='Tesseract page segmentation modes to run (comma list)')
    add_model_args(p)
    p.add_argument('--lm', default=DEFAULT_DECODING or 'none', help="decode as CRNN_predict.py --lm NAME does "
                   "(utils.lm.LANGUAGE_MODELS, or none: greedy); default CRNN_predict.py's")
    p.add_argument('--with-lm', nargs='?', const='none,ngram', default='',
                   help='also read with these (language model names or none, comma list), a row each')
    p.add_argument('--section', default='page_sets', help='with --sets: the BENCHMARKS.md section written')
    p.add_argument('--no-tesseract', action='store_true', help='only this project\'s reader')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    model_pred, charset, size, model_name = load_model(args)
    from utils.synth.page import write_pages

    read, names = {}, {}
    for lm in [args.lm] + [v for v in args.with_lm.split(',') if v and v != args.lm]:
        key = 'crnn' if lm == args.lm else 'crnn_' + lm
        read[key] = page_reader(model_pred, charset, size, None if lm == 'none' else lm)
        names[key] = 'this project (crnn_page + %s, %s)' % (model_name, 'greedy' if lm == 'none' else '`--lm %s`' % lm)
    psms = [int(v) for v in args.psm.split(',') if v]
    readers = list(read) + ([] if args.no_tesseract or not shutil.which('tesseract') else ['psm%d' % v for v in psms])
    names.update({'psm%d' % v: 'Tesseract 5 `--psm %d`' % v for v in psms})
    with tempfile.TemporaryDirectory() as work:
        if args.sets:
            sets = page_sets(args.sets)
        else:
            sets = {'mixed': write_pages(os.path.join(work, 'pages'), args.pages, args.seed, heldout=True)}
        results = {name: measure(paths, readers, read, work) for name, paths in sets.items()}
    tess = ('Tesseract runs single-threaded (OMP_THREAD_LIMIT=1) and writes its TSV; its lines are the level-4 '
            'boxes with their words.')
    if not args.sets:
        rows = table(results['mixed'], names, len(sets['mixed']))
        footer = ['', '%d held-out pages (utils.synth.page --heldout, seed %d): A4 at 150 dpi, 26-32 px glyphs, rotation '
                  'up to 3 degrees, uneven light, noise; one or two columns, a ruled table on one-column pages. '
                  'Line accuracy: true lines read exactly by the line matched to them; recall and precision: line boxes '
                  'matched one to one at IoU >= 0.5, averaged over pages. %s' % (len(sets['mixed']), args.seed, tess)]
        print('\n'.join(rows + footer))
        if not args.no_write:
            write_section('page', 'Page reading: line finding + CRNN vs Tesseract', 'python bench/bench_page.py',
                          rows + footer)
        return 0
    out = []
    for name, totals in results.items():
        out += ['### %s (%d pages)' % (name, len(sets[name])), ''] + table(totals, names, len(sets[name])) + ['']
    out += ['Sets of `utils/synth/heldout.py --pages` (held-out text and fonts): plain = one-column pages of '
            'utils.synth.page without table (150 dpi, skew under 0.5 degrees, light noise); lo_pdf = documents laid '
            'out by LibreOffice Writer (10-12 pt, justified or left-aligned, four held-out font families) rendered at '
            '150 dpi as `CRNN_predict.py --page x.pdf` does, ground truth from the PDF text layer (pdftotext '
            '-bbox-layout); lo_scan200 / lo_scan300 = the same pages as simulated office scans (skew up to 2 '
            'degrees, uneven light, blur, noise, JPEG); photo_mild / photo_strong = the plain pages photographed on '
            'a desk (utils.synth.photo: corners moved 2-7 %% / 6-12 %% of the page by perspective, a light gradient '
            'and a soft shadow, defocus, noise, JPEG, 1800-4000 px). Page CER: true lines joined by newlines against the '
            "reader's, runs of spaces made one. Line accuracy: true lines read exactly by the line matched to them "
            '(IoU >= 0.5). %s' % tess]
    print('\n'.join(out))
    if not args.no_write:
        write_section(args.section, 'Held-out page sets: plain pages, LibreOffice PDFs, scans and photos',
                      'python bench/bench_page.py --sets <utils/synth/heldout.py --pages --out> --psm %s --lm %s%s%s'
                      % (args.psm, args.lm, ' --with-lm ' + args.with_lm if args.with_lm else '',
                         ' --no-tesseract' if args.no_tesseract else ''), out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
