"""Benchmark: synthetic sentence lines per second (utils.synth), 1 and 2 processes.

    python bench/bench_synth.py [--count 3000] [--repeats 3]

Prints a table and writes it into BENCHMARKS.md (section 'synth').
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time

from harness import write_section
from utils.synth.lines import Renderer, SampleMaker, find_fonts, generate
from utils.synth.text import TextSource

DEFAULT_DISTORTIONS = {'blur': 0.15, 'noise': 0.15, 'rotate': 0.1, 'perspective': 0.1, 'jpeg': 0.1, 'rules': 0.05}


def run(count, workers, seed):
    maker = SampleMaker(seed, (('문장', 1.0),), TextSource(), Renderer(find_fonts(), distortions=DEFAULT_DISTORTIONS))
    out = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        generate(out, count, maker, workers=workers, progress=False)
        return count / (time.perf_counter() - t)
    finally:
        shutil.rmtree(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--count', type=int, default=3000)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    rows = []
    for workers in (1, 2):
        rates = [run(args.count, workers, seed) for seed in range(args.repeats)]
        rows.append((workers, statistics.median(rates), min(rates), max(rates)))
    table = ['| processes | lines/s (median) | min | max |', '|---|---|---|---|']
    table += ['| %d | %.0f | %.0f | %.0f |' % r for r in rows]
    table.append('')
    table.append('2 processes vs 1: %.2fx. Sentence lines, default distortions, %d fonts, %d lines x %d repeats.'
                 % (rows[1][1] / rows[0][1], len(find_fonts()), args.count, args.repeats))
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_synth.py'] + sys.argv[1:])
    write_section('synth', 'Synthetic data generator (utils.synth)', command, table)


if __name__ == '__main__':
    main()
