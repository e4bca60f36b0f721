"""Benchmark: input pipeline lines/s with on-the-fly augmentation on and off.

    python bench/bench_augment.py [--count 4096] [--batch-size 128] [--repeats 3]

Same files, same run, all inside ``model.fit`` with bench_input's null model:
InputGenerator with --augment off / light / strong, 1 or 2 threads, from the
decoded-line cache (every epoch after the first; augmentation runs on the
cached rows, so it is all that is added). Writes BENCHMARKS.md section 'augment'.
"""
import argparse
import statistics
import sys
import tempfile

from harness import HEIGHT, STEPS, WIDTH, fit_rate, make_dataset, quiet_keras, rate_table, write_section
quiet_keras()  # before anything imports TensorFlow

import numpy as np  # noqa: E402

from crnn_data import InputGenerator  # noqa: E402
from crnn_utils import build_charset  # noqa: E402
from utils.train.augment import Augmenter  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--count', type=int, default=4096)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--repeats', type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gtu = make_dataset(tmp, args.count, (20, 30))
        charset = build_charset(gtu.text)
        sizes = np.asarray(gtu.image_sizes)
        rows = []
        for preset in ('off', 'light', 'strong'):
            for threads in (1, 2):
                gen = InputGenerator(gtu, args.batch_size, charset, (WIDTH, HEIGHT), max_string_len=STEPS,
                                     threads=threads, augment=Augmenter.from_preset(preset, seed=1), verbose=False)
                gen.lines.batch(np.arange(gtu.num_samples))  # fill the cache: the steady state of a long run
                rates = [fit_rate(gen.generate(), args.count, args.batch_size) for _ in range(args.repeats)]
                rows.append(('--augment %s, threads=%d' % (preset, threads), statistics.median(rates)))
    table = rate_table('pipeline (decoded-line cache)', rows, 'off',
                       '%d synthetic sentence PNGs (mean %dx%d px), batch %d, input %dx%d, %d repeats; fit drives a '
                       'model that only averages the image, so the input side is what is timed. Augmentation runs on '
                       'the decoding threads; with 2 cores TensorFlow\'s own input thread takes the second one, so '
                       'there 1 thread (--workers 1) is fastest, while machines with more cores gain from more.'
                       % (args.count, sizes[:, 0].mean(), sizes[:, 1].mean(), args.batch_size, WIDTH, HEIGHT,
                          args.repeats))
    print('\n'.join(table))
    write_section('augment', 'Input pipeline with augmentation (--augment)',
                  ' '.join(['python bench/bench_augment.py'] + sys.argv[1:]), table)


if __name__ == '__main__':
    main()
