"""The recognizer architectures side by side (crnn_model.ARCHS): parameters, multiply-adds per 100 px of line
and per page, and ONNX Runtime recognition time per page on this machine, float32 and int8.

    python -m utils.synth.heldout --out ~/crnn-heldout-pages --pages
    python bench/bench_arch.py --pages ~/crnn-heldout-pages/plain [--weights light=RUN/weights.best_cer.h5]

Each architecture is measured with the weights given for it (--weights NAME=FILE; the shipped model for the one
it is), else with untrained weights of its shape (time does not depend on the values). The pages' lines are
found once; then each recognizer reads all of them, alternating, --repeats times (median per page).
Accuracy is not measured here: bench_accuracy.py and bench_page.py do that for any weights.
BENCHMARKS.md section 'arch'.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

from harness import quiet_keras, report
from bench_engine import graph_macs


def untrained_weights(arch, classes, folder):
    """A weights file of ``arch`` with its initial weights (for timing only)."""
    from crnn_model import CRNN
    from utils.weights.h5 import save_weights_h5
    path = os.path.join(folder, 'untrained_%s.h5' % arch)
    save_weights_h5(CRNN((None, 32, 1), classes, prediction_only=True, arch=arch), path)
    return path


def page_crops(pages):
    """Each page's line crops, as CRNN_predict.py --page finds them."""
    from crnn_page import crop_line, deskew, find_lines
    from utils.page_files import read_page
    out = []
    for path in pages:
        gray = read_page(path, 150)[0]
        lines, angle = find_lines(gray)
        upright = deskew(gray, angle)
        out.append([crop_line(upright, line) for line in lines])
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pages', required=True, help='folder of page images (e.g. the plain held-out set)')
    p.add_argument('--weights', action='append', default=[], metavar='ARCH=FILE',
                   help='trained weights of an architecture (its charset beside it or in its run folder)')
    p.add_argument('--repeats', type=int, default=3, help='readings of all pages per recognizer (median)')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    quiet_keras()
    import onnx
    from crnn_reader import recognize_images
    from crnn_lines import inference_width
    from crnn_model import ARCHS
    from crnn_utils import load_charset
    from utils.weights.engine import OnnxRecognizer, build_int8, build_onnx, onnx_path
    from utils.weights.load import SHIPPED_CHARSET, SHIPPED_WEIGHTS, arch_of_weights, charset_for_weights

    given = dict(w.split('=', 1) for w in args.weights)
    unknown = set(given) - set(ARCHS)
    if unknown:
        raise SystemExit('--weights: unknown architecture %s (%s)' % (', '.join(sorted(unknown)), ', '.join(ARCHS)))
    given.setdefault(arch_of_weights(SHIPPED_WEIGHTS), SHIPPED_WEIGHTS)
    charset = load_charset(SHIPPED_CHARSET)
    pages = sorted(os.path.join(args.pages, f) for f in os.listdir(args.pages) if f.endswith(('.png', '.jpg')))
    crops = page_crops(pages)
    tmp = tempfile.mkdtemp(prefix='bench_arch_')
    graphs, rows = {}, {}
    for arch in ARCHS:
        weights = given.get(arch) or untrained_weights(arch, len(charset), tmp)
        own = load_charset(charset_for_weights(weights)) if arch in given else charset
        path = onnx_path(weights)
        if not os.path.exists(path):
            build_onnx(weights, own, path)
        int8 = path[:-len('.onnx')] + '-int8.onnx'
        if not os.path.exists(int8):
            build_int8(path, int8)
        params = sum(int(np.prod(w.dims)) for w in onnx.load(path).graph.initializer)
        macs_page = sum(graph_macs(path, inference_width(c.shape, 32)) for page in crops for c in page) / len(pages)
        rows[arch] = dict(weights=weights if arch in given else 'untrained', params=params,
                          per100=graph_macs(path, 400) / 4, page=macs_page)
        graphs[arch] = {'float32': (OnnxRecognizer(path), own), 'int8': (OnnxRecognizer(int8), own)}
    times = {(a, p): [] for a in graphs for p in ('float32', 'int8')}
    for _ in range(args.repeats):
        for (arch, precision), runs in times.items():
            model, own = graphs[arch][precision]
            t = time.perf_counter()
            for page in crops:
                recognize_images(model, own, page, (None, 32))
            runs.append((time.perf_counter() - t) / len(pages))
    base = next(iter(ARCHS))
    table = ['| architecture | weights | parameters | GMAC / 100 px | GMAC / page | recognition s / page, float32 | '
             'int8 | float32 time vs %s |' % base, '|---|---|---|---|---|---|---|---|']
    for arch, r in rows.items():
        f32, i8 = (statistics.median(times[arch, p]) for p in ('float32', 'int8'))
        table.append('| %s | %s | %.2fM | %.2f | %.1f | %.3f | %.3f | %.2fx |'
                     % (arch, os.path.basename(r['weights']), r['params'] / 1e6, r['per100'] / 1e9, r['page'] / 1e9,
                        f32, i8, f32 / statistics.median(times[base, 'float32'])))
    lines = sum(len(c) for c in crops) / len(pages)
    footer = ['', 'Pages: %s (%d, %.0f lines each, found once). Recognition only (ONNX Runtime, greedy decoding, '
              'all cores), medians of %d alternating readings of every page. GMAC per 100 px: the graph at 400 px '
              'divided by 4.' % (args.pages, len(pages), lines, args.repeats)]
    report('arch', 'Recognizer architectures: size, compute and speed', 'python bench/bench_arch.py --pages <held-out '
           'plain pages> --weights light=<weights>', table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
