"""Which characters the model confuses on held-out lines: substitution pairs counted over the line sets.

    python -m utils.synth.heldout --out ~/crnn-heldout
    python bench/bench_confusions.py --sets ~/crnn-heldout [--run RUN | --weights W --charset C] [--top 25]

Each line's reading is aligned to its ground truth by edit operations; every
substituted character pair (truth -> read) is counted, and so are deletions
and insertions. Writes the most frequent pairs, with the syllables' jamo
(initial, medial, final) where they differ, to BENCHMARKS.md section
'confusions' (--no-write: print only). Used to pick the look-alike pairs that
training text should hold more of (utils.synth.text 'marks' and 'random').
"""
import argparse
import os
import sys
from collections import Counter

from harness import add_model_args, load_model, write_section
from crnn_utils import jamo  # noqa: E402

def jamo_change(a, b):
    """'ㅇ→ㅎ'-style description of what differs between two syllables ('' if not both syllables)."""
    ja, jb = jamo(a), jamo(b)
    if not ja or not jb:
        return ''
    return ', '.join('%s→%s' % (x or '∅', y or '∅') for x, y in zip(ja, jb) if x != y)


def confusions(gts, preds):
    """Counter of (truth, read) pairs: substitutions, and (c, '') deletions, ('', c) insertions."""
    from difflib import SequenceMatcher
    out = Counter()
    for gt, pred in zip(gts, preds):
        for op, i1, i2, j1, j2 in SequenceMatcher(None, gt, pred, autojunk=False).get_opcodes():
            if op == 'replace' and i2 - i1 == j2 - j1:
                out.update(zip(gt[i1:i2], pred[j1:j2]))
            elif op in ('replace', 'delete', 'insert'):
                out.update((c, '') for c in gt[i1:i2])
                out.update(('', c) for c in pred[j1:j2])
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sets', required=True, help='folder of held-out line sets (python -m utils.synth.heldout --out)')
    add_model_args(p)
    p.add_argument('--top', type=int, default=25, help='pairs to list')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    model_pred, charset, size, model_name = load_model(args)
    from crnn_reader import recognize
    from bench_accuracy import load_set
    gts, preds = [], []
    for name in sorted(os.listdir(args.sets)):
        folder = os.path.join(args.sets, name)
        if os.path.isdir(folder):
            paths, texts = load_set(folder)
            gts += texts
            preds += recognize(model_pred, charset, paths, size, progress=False)
    counts = confusions(gts, preds)
    total = sum(counts.values())
    table = ['| truth | read | count | share of errors | jamo that differ |', '|---|---|---|---|---|']
    for (a, b), n in counts.most_common(args.top):
        table.append('| %s | %s | %d | %.1f%% | %s |' % (a or '(none)', b or '(none)', n, 100.0 * n / total,
                                                        jamo_change(a, b)))
    footer = ['', 'Model: %s, greedy decoding, on the %d lines of the held-out line sets (%d character errors: '
              'substitutions, deletions (read: none) and insertions (truth: none)).' % (model_name, len(gts), total)]
    print('\n'.join(table + footer))
    if not args.no_write:
        write_section('confusions', 'Confusions on held-out lines', 'python bench/bench_confusions.py --sets '
                      '<python -m utils.synth.heldout --out>', table + footer)
    return 0


if __name__ == '__main__':
    sys.exit(main())
