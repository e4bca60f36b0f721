"""int8 against float32 on every held-out set: what `--precision int8` costs in accuracy.

    python bench/bench_int8.py --lines ~/crnn-heldout --pages ~/crnn-heldout-pages

The shipped model's float ONNX graph and its int8 graph (utils.weights.engine.
build_int8) read the held-out line sets (CER, line accuracy) and page sets
(page CER, line accuracy; bench_page's measures) side by side. The rule for
making int8 the default: no set loses more than 0.1 % CER absolute.
BENCHMARKS.md section 'int8'; its speed is in section 'engine'.
"""
import argparse
import os
import sys

from bench_accuracy import load_set
from bench_page import measure, page_reader, page_sets
from harness import report
from crnn_utils import recognition_metrics

RULE = 0.001


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--lines', required=True, help='folder of held-out line sets (utils/synth/heldout.py --out)')
    p.add_argument('--pages', required=True, help='folder of held-out page sets (utils/synth/heldout.py --pages)')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    from crnn_reader import recognize
    from utils.weights.engine import CALIBRATION_LINES, load_engine
    from utils.weights.load import SHIPPED_WEIGHTS
    engines = {p: load_engine('onnx', precision=p)[:3] for p in ('float32', 'int8')}
    rows = []
    for name in sorted(os.listdir(args.lines)):
        if os.path.isdir(os.path.join(args.lines, name)):
            paths, gts = load_set(os.path.join(args.lines, name))
            m = {p: recognition_metrics(gts, recognize(*e[:2], paths, e[2], progress=False)) for p, e in engines.items()}
            rows.append(('lines: %s (%d)' % (name, len(gts)), {p: (v['cer'], v['acc']) for p, v in m.items()}))
    for name, pages in page_sets(args.pages).items():
        result = {}
        for p, (model, charset, size) in engines.items():
            t = measure(pages, ['crnn'], page_reader(model, charset, size), None)['crnn']
            result[p] = (t['edits'] / t['chars'], t['exact'] / t['lines'])
        rows.append(('pages: %s (%d)' % (name, len(pages)), result))
    table = ['| held-out set | float32 CER / line acc | int8 CER / line acc | CER change |', '|---|---|---|---|']
    for name, r in rows:
        table.append('| %s | %.4f / %.3f | %.4f / %.3f | %+.4f |' % (name, *r['float32'], *r['int8'],
                                                                   r['int8'][0] - r['float32'][0]))
    worst = max(r['int8'][0] - r['float32'][0] for _, r in rows)
    footer = ['', 'Shipped model (%s), ONNX Runtime, greedy decoding. int8: static QDQ, convolutions only, 7-bit weights, '
              'activation ranges from %d bundled training lines (printed/). Largest CER loss %+.4f: %s the rule for '
              'the default (no set loses more than %.1f %% absolute), so float32 %s the default.'
              % (os.path.basename(SHIPPED_WEIGHTS), CALIBRATION_LINES, worst, 'within' if worst <= RULE else 'outside', 100 * RULE, 'could be made' if worst <= RULE else 'stays')]
    report('int8', 'int8 recognition against float32 on the held-out sets',
           'python bench/bench_int8.py --lines <heldout lines> --pages <heldout pages>', table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
