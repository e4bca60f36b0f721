"""Held-out CER of the shipped models, and of the runs between them that did not
ship, against the CPU-hours of training behind them (v1 -> vN).

    python bench/bench_curve.py [bench/curve_runs]
    python bench/bench_curve.py bench/curve_runs_light --section curve_light   # the light recognizer's runs

Reads ``versions.json`` in the folder (per version or run, in training order:
the training hours it added on the 2-core CPU, steps, lines, the validation CER
of its own run, the held-out line-set CER (greedy) measured by
bench/bench_accuracy.py when it ended, and ``"shipped": false`` for a run that
the next version continued from without shipping; CERs null for a run lost before it was measured)
and each ``<version>_history.csv`` there (a run's history.csv, for the curve
inside a run), and writes a table and bench/curve_cer.png into BENCHMARKS.md
section 'curve' (or --section, with the plot named after it). The commands of every version are in
docs/model_card.md.
"""
import json
import os
import sys

from harness import write_section
import numpy as np  # noqa: E402

from utils.plots import read_csv  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TITLES = {'curve': 'CER against CPU-hours of training, all versions',
          'curve_light': 'CER against CPU-hours of training: the light recognizer (--arch light), distilled from v8'}


def measured(value, spec='.3f'):
    """A figure as the table shows it: '-' where the run was lost before it was measured."""
    return '-' if value is None else format(value, spec)


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('folder', nargs='?', default=os.path.join(HERE, 'curve_runs'), help='versions.json and histories')
    p.add_argument('--section', choices=sorted(TITLES), default='curve', help='BENCHMARKS.md section to write')
    args = p.parse_args(argv)
    folder, plot = args.folder, os.path.join(HERE, '%s_cer.png' % args.section)
    with open(os.path.join(folder, 'versions.json'), encoding='utf-8') as f:
        versions = json.load(f)
    table = ['| version | hours added | cumulative hours | steps | lines seen | own validation CER | held-out short CER '
             '| held-out long CER | machine |', '|---|---|---|---|---|---|---|---|---|']
    total, points = 0.0, []
    for v in versions:
        total += v['hours']
        points.append((total, v))
        table.append('| %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s |' % (
            v['name'] + ('' if v.get('shipped', True) else ' (run, not shipped)'), v['hours'], total,
            measured(v['steps'], ','), measured(v['lines'], ','),
            *(measured(v[k]) for k in ('val_cer', 'short_cer', 'long_cer')),
            v['machine']))
    points = [(x, v) for x, v in points if v['short_cer'] is not None]  # a run lost before it was measured: hours only
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [x for x, _ in points]
    ax.plot(xs, [v['short_cer'] for _, v in points], 'o-', label='held-out short lines')
    ax.plot(xs, [v['long_cer'] for _, v in points], 's-', label='held-out long lines')
    unshipped = [(x, v) for x, v in points if not v.get('shipped', True)]
    if unshipped:
        ax.plot([x for x, _ in unshipped] * 2, [v[k] for k in ('short_cer', 'long_cer') for _, v in unshipped], 'o',
                mfc='white', color='black', label='run not shipped')
    for x, v in points:
        path = os.path.join(folder, '%s_history.csv' % v['name'])
        if os.path.exists(path):
            h = read_csv(path)
            ax.plot(x - v['hours'] + np.asarray(h['time']) / 3600, h['val_cer'], ':', color='gray',
                    label='own validation split, inside %s' % v['name'])
    ax.set_xlabel('CPU-hours of training (2 cores)')
    ax.set_ylabel('CER')
    ax.set_yscale('log')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(plot, dpi=100)
    footer = ['', 'Held-out CER: bench/bench_accuracy.py on the two line sets of `python -m utils.synth.heldout` (text '
              'and fonts never used in training), greedy decoding, measured when each version shipped or run ended; a '
              'run not shipped is one the next version went on from or one that was measured and left (a version '
              'averaged from several runs counts the hours of them all). Hours: wall-clock training time on '
              'the 2-core machine of that session (the machine column: bf16 where the cores compute it natively, '
              'float32 on cores without bf16, at about half the speed). Plot: '
              '`bench/%s`.' % os.path.basename(plot)]
    print('\n'.join(table + footer))
    write_section(args.section, TITLES[args.section], 'python bench/bench_curve.py%s' % (
        '' if args.section == 'curve' else ' %s --section %s' % (os.path.relpath(folder, os.path.dirname(HERE)),
                                                                  args.section)), table + footer)
    return 0


if __name__ == '__main__':
    sys.exit(main())
