"""Start-up and page speed of CRNN_predict.py by engine, side by side with Tesseract 5 --psm 6.

    python -m utils.synth.heldout --out ~/crnn-heldout-pages --pages
    python bench/bench_engine.py --pages ~/crnn-heldout-pages/plain [--repeats 3]

Whole processes, as a user runs them, alternating: one line image (a bundled
sample line) with --engine onnx and --engine keras; one page (the first of
--pages) with the default engine and with ``tesseract PAGE - -l kor --psm 6``;
and all pages of --pages in one call against Tesseract on the same pages in 2
parallel single-thread processes (its fastest on 2 cores). Medians of
--repeats; BENCHMARKS.md section 'engine'. The ONNX graph is built (cached)
before timing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from harness import ROOT, report, tesseract_env

LINE = os.path.join(ROOT, 'printed', '00000001.png')


def seconds(cmd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True, env=env)
    return time.perf_counter() - t


def predict(*args):
    return [sys.executable, os.path.join(ROOT, 'CRNN_predict.py')] + list(args)


def tesseract(path):
    return ['tesseract', path, '-', '-l', 'kor', '--psm', '6']


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', required=True, help='folder of page images (e.g. the plain held-out set)')
    p.add_argument('--repeats', type=int, default=3, help='runs of each measurement (median)')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    pages = sorted(os.path.join(args.pages, f) for f in os.listdir(args.pages) if f.endswith(('.png', '.jpg')))
    subprocess.run(predict(LINE), cwd=ROOT, capture_output=True, check=True)  # builds the ONNX graph once
    env = tesseract_env()
    times = {k: [] for k in ('line_onnx', 'line_keras', 'page_ours', 'page_tess', 'all_ours', 'all_tess')}
    for _ in range(args.repeats):
        times['line_onnx'].append(seconds(predict('--engine', 'onnx', LINE)))
        times['line_keras'].append(seconds(predict('--engine', 'keras', LINE)))
        times['page_ours'].append(seconds(predict('--page', pages[0])))
        times['page_tess'].append(seconds(tesseract(pages[0]), env))
        times['all_ours'].append(seconds(predict('--page', *pages)))
        t = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda q: subprocess.run(tesseract(q), capture_output=True, check=True, env=env), pages))
        times['all_tess'].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    n = len(pages)
    table = ['| measurement | this project | Tesseract 5 `--psm 6` | ratio |', '|---|---|---|---|',
             '| one line image, whole process: ONNX Runtime (default) vs Keras engine | %.2f s | %.2f s (Keras) | '
             '%.1fx faster |' % (med['line_onnx'], med['line_keras'], med['line_keras'] / med['line_onnx']),
             '| one page, whole process | %.2f s | %.2f s | %.2fx Tesseract\'s time |'
             % (med['page_ours'], med['page_tess'], med['page_ours'] / med['page_tess']),
             '| %d pages: one call vs 2 parallel single-thread Tesseract processes | %.2f pages/s | %.2f pages/s | '
             '%.2fx Tesseract\'s rate |' % (n, n / med['all_ours'], n / med['all_tess'],
                                          med['all_tess'] / med['all_ours'])]
    footer = ['', 'Medians of %d alternating runs; whole processes from the shell (start-up, model load, line finding '
              'and recognition), the machine otherwise idle (any training paused). Pages: %s (A4 at 150 dpi). '
              'The ONNX graph was built and cached before timing.' % (args.repeats, args.pages)]
    report('engine', 'Prediction speed by engine, whole processes, beside Tesseract',
           'python bench/bench_engine.py --pages <held-out plain pages>', table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
