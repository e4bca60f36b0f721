"""Validation CER against wall-clock time for training runs, side by side.

    python bench/bench_recipe.py RUN_A RUN_B ... [--names "recipe A,recipe B"] [--note TEXT]

Reads each run folder's history.csv (time in seconds since the start, val_cer
per epoch, written by CRNN_training.py) and args.json, writes a table of CER
at fixed wall-clock marks and a plot, bench/recipe_cer.png, into BENCHMARKS.md
section 'recipe'. The runs themselves are the commands the table's footer
names (README, model card); this script only reads them. The measured runs'
two files are kept in bench/recipe_runs/, so the section can be rebuilt
from the repository alone.
"""
import argparse
import json
import os
import sys

from harness import write_section
import numpy as np  # noqa: E402

from utils.plots import read_csv  # noqa: E402

PLOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'recipe_cer.png')


def cer_at(history, minutes):
    """The best val_cer reached by ``minutes`` of wall time (nan before the first epoch)."""
    t, cer = history['time'] / 60, history['val_cer']
    seen = cer[t <= minutes]
    return np.nanmin(seen) if len(seen) and not np.all(np.isnan(seen)) else np.nan


def describe(run_dir, history):
    """The recipe's settings from args.json and what it got through (history.csv)."""
    with open(os.path.join(run_dir, 'args.json'), encoding='utf-8') as f:
        a = json.load(f)
    schedule = 'cosine, warm-up %s' % a.get('warmup_steps') if a.get('schedule') == 'cosine' else \
        'decay %g' % a.get('decay', 0)
    width = 'buckets %s' % a['buckets'] if a.get('buckets') else 'width %s' % a.get('width')
    epochs = len(history['epoch'])
    steps = epochs * a['steps_per_epoch'] if a.get('steps_per_epoch') else None
    done = '%d epochs%s in %.0f min, last val CER %.3f, line accuracy %.3f' % (
        epochs, ' (%d steps, %d lines)' % (steps, steps * a['batch_size']) if steps else '',
        history['time'][-1] / 60, history['val_cer'][-1], history['val_acc'][-1])
    return '%s lr %g (%s), batch %s, %s, %s, augment %s; %s' % (a.get('optimizer'), a.get('lr'), schedule,
                                                               a.get('batch_size'), a.get('precision'), width,
                                                               a.get('augment'), done)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('runs', nargs='+', help='run folders')
    p.add_argument('--names', help='comma list, one name per run (default: folder names)')
    p.add_argument('--marks', default='10,20,30,45,60,75,90', help='minutes at which to read the CER')
    p.add_argument('--note', default='', help='a paragraph under the table: how the runs shared the machine')
    args = p.parse_args(argv)
    names = args.names.split(',') if args.names else [os.path.basename(os.path.normpath(r)) for r in args.runs]
    marks = [float(m) for m in args.marks.split(',')]
    histories = [read_csv(os.path.join(r, 'history.csv')) for r in args.runs]

    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, h in zip(names, histories):
        ax.plot(h['time'] / 60, h['val_cer'], 'o-', label=name)
    ax.set_xlabel('wall-clock minutes (how the runs shared the CPU: BENCHMARKS.md)')
    ax.set_ylabel('validation CER')
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(PLOT, dpi=80, bbox_inches='tight')

    table = ['| recipe | ' + ' | '.join('%g min' % m for m in marks) + ' |', '|---|' + '---|' * len(marks)]
    for name, h in zip(names, histories):
        cers = [cer_at(h, m) for m in marks]
        table.append('| %s | ' % name + ' | '.join('-' if np.isnan(c) else '%.3f' % c for c in cers) + ' |')
    footer = ['', 'Best validation CER reached by each time (validation split of the run\'s own data; - : no '
              'epoch ended yet); plot: `bench/recipe_cer.png`.', '']
    footer += ['- %s: %s' % (n, describe(r, h)) for n, r, h in zip(names, args.runs, histories)]
    footer += ['', args.note] if args.note else []
    write_section('recipe', 'Training recipe: validation CER against wall-clock time',
                  'python bench/bench_recipe.py %s --marks %s --names ... --note ...' % (' '.join(args.runs),
                                                                                   args.marks), table + footer)
    print('\n'.join(table))
    return 0


if __name__ == '__main__':
    sys.exit(main())
