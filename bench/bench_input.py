"""Benchmark: input pipeline lines/s, from PNG files on disk to model-ready batches.

    python bench/bench_input.py [--count 4096] [--batch-size 128] [--repeats 3]

Compares, in one run on the same files and all inside ``model.fit`` (a model
that only averages the image, so the input side is what is timed): the
original's single-threaded per-sample generator (decode, float fitting,
per-character ``alphabet.index``) against ``InputGenerator`` batches, cold
(PNG decoding every epoch) and from the decoded-line cache (epochs after the
first), with 1 or 2 decoding threads or 2 Keras PyDataset workers.
Writes the table into BENCHMARKS.md (section 'input').
"""
import argparse
import itertools
import os
import statistics
import sys
import tempfile

from harness import HEIGHT, STEPS, WIDTH, fit_rate, make_dataset, quiet_keras, rate_table, write_section
quiet_keras()  # before anything imports TensorFlow

import numpy as np  # noqa: E402

from crnn_data import InputGenerator  # noqa: E402
from crnn_lines import fit_to_input, read_image  # noqa: E402
from crnn_utils import build_charset  # noqa: E402



def original_generate(gtu, charset, batch_size):
    """The original generate()'s per-sample work in one Python generator: the baseline."""
    for start in itertools.count(0, batch_size):
        images, labels, lengths = [], [], []
        for k in range(start, start + batch_size):
            k %= gtu.num_samples
            img = read_image(os.path.join(gtu.image_path, gtu.image_names[k]))
            img, _ = fit_to_input(img, WIDTH, HEIGHT)
            img = img.astype(np.float32)
            img = (img - img.min()) / max(img.max() - img.min(), 1e-6) * 255
            padded = np.zeros((HEIGHT, WIDTH), np.float32)
            padded[:, :img.shape[1]] = img
            images.append(padded.T[:, :, None])
            label = np.ones(STEPS) * -1
            ids = [charset.index(c if c in charset else ' ') for c in gtu.text[k][0]]
            label[:len(ids)] = ids
            labels.append(label)
            lengths.append([len(ids)])
        inputs = {'image_input': np.array(images), 'label_input': np.array(labels, np.float32),
                  'input_length': np.full((batch_size, 1), STEPS), 'label_length': np.array(lengths)}
        yield inputs, {'ctc': np.zeros(batch_size, np.float32)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--count', type=int, default=4096)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--font-size', default='20:30', help='px range of the rendered text (image height follows)')
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gtu = make_dataset(tmp, args.count, tuple(int(v) for v in args.font_size.split(':')))
        charset = build_charset(gtu.text)
        sizes = np.asarray(gtu.image_sizes)
        base = [fit_rate(original_generate(gtu, charset, args.batch_size), args.count, args.batch_size)
                for _ in range(args.repeats)]
        rows = [('original generate(): per-sample Python generator', statistics.median(base))]
        for cache in (False, True):
            for threads, workers in ((1, 1), (2, 1), (1, 2)):
                rates = []
                for _ in range(args.repeats):
                    gen = InputGenerator(gtu, args.batch_size, charset, (WIDTH, HEIGHT), max_string_len=STEPS,
                                         threads=threads, workers=workers, cache=cache, verbose=False)
                    rates.append(fit_rate(gen.generate(), args.count, args.batch_size))
                rows.append(('fit, threads=%d workers=%d, %s' % (
                    threads, workers, 'decoded-line cache' if cache else 'PNG decoding'), statistics.median(rates)))
    table = rate_table('path', rows, 'original',
                       '%d synthetic sentence PNGs (mean %dx%d px, in the page cache), batch %d, input %dx%d, %d '
                       'repeats; fit drives a model that only averages the image, so the input side is what is timed.'
                       % (args.count, sizes[:, 0].mean(), sizes[:, 1].mean(), args.batch_size, WIDTH, HEIGHT,
                          args.repeats))
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_input.py'] + sys.argv[1:])
    key, title = 'input', 'Input pipeline (InputGenerator inside model.fit)'
    if args.font_size != '20:30':
        key, title = 'input-' + args.font_size.replace(':', '-'), title + ', larger lines'
    write_section(key, title, command, table)


if __name__ == '__main__':
    main()
