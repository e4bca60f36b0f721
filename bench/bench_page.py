"""Page reading: this project (crnn_page + the CRNN) vs Tesseract 5 --psm 6 and --psm 3, same pages.

    python bench/bench_page.py [--pages 12] [--seed 9100] [--run RUN | --weights W --charset C]

Renders --pages held-out document pages (utils.synth_page --heldout: text and
fonts that training never used; one or two columns, a ruled table, rotation up
to 3 degrees, uneven light and noise) and reads each with this project's page
path and with ``tesseract PAGE OUT -l kor --psm N txt tsv``. Reports page CER
(ground-truth lines joined by newlines against the reader's lines joined by
newlines, blank lines dropped, runs of spaces made one; so missed, merged or
split lines cost edits), line-detection recall and precision at IoU >= 0.5
(Tesseract's level-4 line boxes), and pages/s. BENCHMARKS.md section 'page'.
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

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.report import write_section  # noqa: E402
from crnn_page import match_lines  # noqa: E402
from crnn_utils import edit_distance, normalize_text  # noqa: E402


def clean(lines):
    """Lines as compared: normalized characters, single spaces, no blank lines."""
    return [' '.join(normalize_text(line).split()) for line in lines if line.strip()]


def tesseract_page(path, psm, workdir):
    """(lines of text, line polygons) as Tesseract reads the page."""
    base = os.path.join(workdir, 'tess')
    subprocess.run(['tesseract', path, base, '-l', 'kor', '--psm', str(psm), 'txt', 'tsv'], check=True,
                   capture_output=True, env=dict(os.environ, OMP_THREAD_LIMIT='1'))
    text = open(base + '.txt', encoding='utf-8').read().splitlines()
    boxes = []
    with open(base + '.tsv', encoding='utf-8') as f:
        for row in csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
            if row['level'] == '4':
                x, y, w, h = (int(row[k]) for k in ('left', 'top', 'width', 'height'))
                boxes.append([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    return text, boxes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', type=int, default=12)
    p.add_argument('--seed', type=int, default=9100)
    p.add_argument('--run', help='run folder (default: the shipped model)')
    p.add_argument('--weights')
    p.add_argument('--charset')
    p.add_argument('--precision', default='auto', help='as CRNN_predict.py --precision')
    p.add_argument('--no-tesseract', action='store_true')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    from utils.quiet import import_keras
    import_keras()
    import cv2
    from CRNN_predict import recognize_images
    from crnn_page import read_lines
    from utils.run import load_recognizer
    from utils.synth_page import write_pages
    from utils.precision import choose_precision
    model_pred, charset, size = load_recognizer(args.run, args.weights, args.charset,
                                                precision=choose_precision(args.precision)[0])
    readers = ['crnn'] + ([] if args.no_tesseract or not shutil.which('tesseract') else ['psm6', 'psm3'])
    totals = {r: dict(edits=0, chars=0, recall=[], precision=[], seconds=0.0) for r in readers}
    with tempfile.TemporaryDirectory() as work:
        paths = write_pages(os.path.join(work, 'pages'), args.pages, args.seed, heldout=True)
        for path in paths:
            truth = json.load(open(path[:-4] + '.json', encoding='utf-8'))['lines']
            gt_text = '\n'.join(clean([t['text'] for t in truth]))
            gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            for reader in readers:
                t = time.perf_counter()
                if reader == 'crnn':
                    lines, _ = read_lines(gray, lambda images: recognize_images(model_pred, charset, images, size))
                    texts, polygons = [line.text for line in lines], [line.polygon for line in lines]
                else:
                    texts, polygons = tesseract_page(path, int(reader[-1]), work)
                total = totals[reader]
                total['seconds'] += time.perf_counter() - t
                total['edits'] += edit_distance(gt_text, '\n'.join(clean(texts)))
                total['chars'] += len(gt_text)
                recall, precision = match_lines(polygons, [t['polygon'] for t in truth])
                total['recall'].append(recall)
                total['precision'].append(precision)
            print(os.path.basename(path), ' '.join('%s %.4f' % (r, totals[r]['edits'] / totals[r]['chars'])
                                                   for r in readers), flush=True)
    names = {'crnn': 'this project (crnn_page + %s)' % (args.run or args.weights or 'shipped CRNN'),
             'psm6': 'Tesseract 5 `--psm 6`', 'psm3': 'Tesseract 5 `--psm 3`'}
    table = ['| reader | page CER | line recall | line precision | pages/s |', '|---|---|---|---|---|']
    for r in readers:
        tot = totals[r]
        table.append('| %s | %.4f | %.3f | %.3f | %.2f |' % (
            names[r], tot['edits'] / tot['chars'], sum(tot['recall']) / len(tot['recall']),
            sum(tot['precision']) / len(tot['precision']), len(paths) / tot['seconds']))
    footer = ['', '%d held-out pages (utils.synth_page --heldout, seed %d): A4 at 150 dpi, 26-32 px glyphs, rotation '
              'up to 3 degrees, uneven light, noise; one or two columns, a ruled table on one-column pages. '
              'Recall and precision: line boxes matched one to one at IoU >= 0.5, averaged over pages. Tesseract '
              'runs single-threaded (OMP_THREAD_LIMIT=1) and writes txt and tsv in one call.'
              % (len(paths), args.seed)]
    print('\n'.join(table + footer))
    if not args.no_write:
        write_section('page', 'Page reading: line finding + CRNN vs Tesseract', 'python bench/bench_page.py',
                      table + footer)
    return 0


if __name__ == '__main__':
    sys.exit(main())
