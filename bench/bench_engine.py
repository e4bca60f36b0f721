"""Start-up and page speed of CRNN_predict.py by engine, side by side with Tesseract 5 --psm 6.

    python -m utils.synth.heldout --out ~/crnn-heldout-pages --pages
    python bench/bench_engine.py --pages ~/crnn-heldout-pages/plain [--repeats 3]

Whole processes, as a user runs them, alternating: one line image (a bundled
sample line) with --engine onnx and --engine keras; one page (the first of
--pages) with the default engine and with ``tesseract PAGE - -l kor --psm 6``;
and all pages of --pages in one call (--workers auto) against Tesseract on the same pages in 2
parallel single-thread processes (its fastest on 2 cores), each with the
float graph and with --precision int8; and the same pages read by the light
recognizer (--light: the committed candidate by default). Then, in this process, a page's time
split into line finding and recognition (float and int8) beside the
recognizer's multiply-adds and the machine's float32 matrix-multiply rate.
Medians of --repeats; BENCHMARKS.md section 'engine'. The ONNX graphs are
built (cached) before timing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from harness import ROOT, report, tesseract_env
from utils.lm import DEFAULT_DECODING

LINE = os.path.join(ROOT, 'printed', '00000001.png')


def seconds(cmd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True, env=env)
    return time.perf_counter() - t


def predict(*args):
    return [sys.executable, os.path.join(ROOT, 'CRNN_predict.py')] + list(args)


LIGHT = [os.path.join(ROOT, 'CRNN_weights_korean_v9light_candidate.h5'),
         os.path.join(ROOT, 'CRNN_charset_korean_v9light_candidate.json')]


def tesseract(path):
    return ['tesseract', path, '-', '-l', 'kor', '--psm', '6']


def graph_macs(path, width):
    """Multiply-adds of the float ONNX graph at ``path`` for one line of input ``width``: the convolutions from
    the graph's shapes at that width, the LSTMs and the classifier over the time steps the convolutions leave."""
    import onnx
    model = onnx.load(path)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_value, dims[1].dim_value = 1, width
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.value_info}
    weights = {w.name: list(w.dims) for w in model.graph.initializer}
    macs, steps = 0, 0
    for node in model.graph.node:
        if node.op_type == 'Conv':
            kernel, out = weights[node.input[1]], shapes[node.output[0]]
            macs += int(np.prod(out[2:])) * int(np.prod(kernel))
            steps = out[2]
    for node in model.graph.node:
        if node.op_type == 'LSTM':
            macs += steps * sum(int(np.prod(weights[name])) for name in node.input[1:3])
        elif node.op_type == 'MatMul' and node.input[1] in weights:
            macs += steps * int(np.prod(weights[node.input[1]]))
    return macs


def sgemm_rate(n=2048, repeats=5):
    """float32 GFLOP/s of numpy's matrix multiply (this machine's BLAS, all cores): the compute yardstick."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    best = min(seconds_of(lambda: a @ a) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def seconds_of(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def breakdown(pages, repeats):
    """Markdown lines: a page's line finding and recognition (float, int8), in this process, per page."""
    sys.path.insert(0, ROOT)
    from crnn_reader import recognize_images
    from crnn_lines import inference_width
    from crnn_page import crop_line, deskew, find_lines
    from utils.page_files import read_page
    from utils.weights.engine import load_engine
    engines = {p: load_engine('onnx', precision=p) for p in ('float32', 'int8')}
    grays = [read_page(path, 150)[0] for path in pages]
    find, crops = [], []
    for gray in grays:
        t = time.perf_counter()
        lines, angle = find_lines(gray)
        upright = deskew(gray, angle)
        crops.append([crop_line(upright, line) for line in lines])
        find.append(time.perf_counter() - t)
    recog = {p: statistics.median(seconds_of(lambda: [recognize_images(model, charset, c, size) for c in crops])
                                  for _ in range(repeats)) / len(pages)
             for p, (model, charset, size, _) in engines.items()}
    path = engines['float32'][0].path
    macs = sum(graph_macs(path, inference_width(c.shape, 32)) for page in crops for c in page) / len(pages)
    rate = sgemm_rate()
    lines = sum(len(c) for c in crops) / len(pages)
    out = ['| one page (mean of %d, %.0f lines), in one process | seconds | |' % (len(pages), lines), '|---|---|---|',
           '| line finding, deskew and crops | %.2f | |' % statistics.mean(find)]
    for p, what in (('float32', 'float32'), ('int8', 'int8 convolutions')):
        out.append('| recognition, ONNX Runtime %s | %.2f | %.0f GMAC: %.0f%% of float32 matrix-multiply rate |'
                   % (what, recog[p], macs / 1e9, 100 * 2 * macs / recog[p] / 1e9 / rate))
    return out + ['', 'Recognizer: %.1f GMAC a page (convolutions, LSTMs and classifier at each line\'s input width); '
                  'numpy float32 matrix multiply on this machine: %.0f GFLOP/s. Start-up is the rest of the one-page '
                  'process time above.' % (macs / 1e9, rate)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', required=True, help='folder of page images (e.g. the plain held-out set)')
    p.add_argument('--repeats', type=int, default=3, help='runs of each measurement (median)')
    p.add_argument('--light', nargs=2, metavar=('WEIGHTS', 'CHARSET'), default=LIGHT,
                   help='the light recognizer timed beside the shipped one (default: the committed candidate)')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    pages = sorted(os.path.join(args.pages, f) for f in os.listdir(args.pages) if f.endswith(('.png', '.jpg')))
    light = ['--weights', args.light[0], '--charset', args.light[1]]
    for precision in ('auto', 'int8'):  # builds the ONNX graphs once
        subprocess.run(predict('--precision', precision, LINE), cwd=ROOT, capture_output=True, check=True)
        subprocess.run(predict('--precision', precision, *light, LINE), cwd=ROOT, capture_output=True, check=True)
    env = tesseract_env()
    times = {k: [] for k in ('line_onnx', 'line_keras', 'page_ours', 'page_int8', 'page_tess', 'all_ours',
                             'all_int8', 'all_tess', 'all_greedy', 'all_ngram', 'light', 'light_int8', 'light_greedy',
                             'light_int8_one')}
    for _ in range(args.repeats):
        times['line_onnx'].append(seconds(predict('--engine', 'onnx', LINE)))
        times['line_keras'].append(seconds(predict('--engine', 'keras', LINE)))
        times['page_ours'].append(seconds(predict('--page', pages[0])))
        times['page_int8'].append(seconds(predict('--page', '--precision', 'int8', pages[0])))
        times['page_tess'].append(seconds(tesseract(pages[0]), env))
        times['all_ours'].append(seconds(predict('--page', *pages)))
        times['all_int8'].append(seconds(predict('--page', '--precision', 'int8', *pages)))
        times['all_greedy'].append(seconds(predict('--page', '--no-lm', *pages)))
        times['all_ngram'].append(seconds(predict('--page', '--lm', 'ngram', *pages)))
        times['light'].append(seconds(predict('--page', *light, *pages)))
        times['light_int8'].append(seconds(predict('--page', '--precision', 'int8', *light, *pages)))
        times['light_greedy'].append(seconds(predict('--page', '--no-lm', *light, *pages)))
        times['light_int8_one'].append(seconds(predict('--page', '--precision', 'int8', '--workers', '1', *light,
                                                       *pages)))
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
             '| one page, whole process, `--precision int8` | %.2f s | %.2f s | %.2fx Tesseract\'s time |'
             % (med['page_int8'], med['page_tess'], med['page_int8'] / med['page_tess'])]
    for key, what in (('all_ours', ''), ('all_int8', ', `--precision int8`'), ('all_greedy', ', `--no-lm` (greedy)'),
                      ('all_ngram', ', `--lm ngram` (the default until 2026-12-04)'),
                      ('light', ', the light recognizer (`--arch light`)'),
                      ('light_int8', ', the light recognizer, `--precision int8`'),
                      ('light_greedy', ', the light recognizer, `--no-lm` (greedy)'),
                      ('light_int8_one', ', the light recognizer, `--precision int8`, `--workers 1` (one process)')):
        table.append('| %d pages: one call vs 2 parallel single-thread Tesseract processes%s | %.2f pages/s | '
                     '%.2f pages/s | %.2fx Tesseract\'s rate |' % (n, what, n / med[key], n / med['all_tess'],
                                                                 med['all_tess'] / med[key]))
    footer = ['', 'Medians of %d alternating runs; whole processes from the shell (start-up, model load, line finding '
              'and recognition), the machine otherwise idle (any training paused). Pages: %s (A4 at 150 dpi). '
              'The ONNX graph was built and cached before timing. Several pages are read by `--workers auto` (one '
              'process per core from 4 pages on) unless the row says otherwise. Whole processes decode as '
              'CRNN_predict.py does by default '
              '(%s on the unsure lines, utils.lm) unless the row says otherwise; the in-process split below decodes '
              'greedily.' % (args.repeats, args.pages, DEFAULT_DECODING or 'greedy')]
    footer += [''] + breakdown(pages, args.repeats)
    report('engine', 'Prediction speed by engine, whole processes, beside Tesseract',
           'python bench/bench_engine.py --pages <held-out plain pages>', table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
