"""Benchmark: loss-curve parity of float32, XLA and bf16 mixed precision training.

    python bench/bench_parity.py [--steps 200] [--batch-size 16]

Trains the default CRNN on the bundled data with the same seed and the same
batches in each setting (Adam 1e-3 so the loss moves within a few hundred
steps) and compares the mean loss of each block of ``--block`` steps.
BENCHMARKS.md section 'parity'.
"""
import argparse
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from utils.quiet import import_keras  # noqa: E402
import_keras('--verbose' in sys.argv)  # TensorFlow's start-up lines hidden, as in the CLIs

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench.bench_train import SETTINGS  # noqa: E402
from bench.report import write_section  # noqa: E402
from crnn_data import GTUtility, InputGenerator  # noqa: E402
from crnn_model import CRNN, ctc_identity, time_steps  # noqa: E402
from crnn_utils import build_charset  # noqa: E402


def loss_curve(policy, jit, gt_util, charset, batch_size, steps, block):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(1)
    model, model_pred = CRNN((256, 32, 1), len(charset))
    model.compile(loss={'ctc': ctc_identity}, optimizer=keras.optimizers.Adam(1e-3, clipnorm=5), jit_compile=jit)
    gen = InputGenerator(gt_util, batch_size, charset, (256, 32), max_string_len=time_steps(model_pred),
                         verbose=False)
    t = time.perf_counter()
    hist = model.fit(gen.generate(), steps_per_epoch=block, epochs=steps // block, verbose=0)
    keras.mixed_precision.set_global_policy('float32')
    return np.array(hist.history['loss']), time.perf_counter() - t


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--block', type=int, default=25)
    p.add_argument('--batch-size', type=int, default=16)
    args = p.parse_args()
    gt_util = GTUtility(ROOT, verbose=False)
    charset = build_charset(gt_util.text)
    curves = {}
    for policy, jit in SETTINGS:
        name = policy + (' + XLA' if jit else '')
        curves[name], seconds = loss_curve(policy, jit, gt_util, charset, args.batch_size, args.steps, args.block)
        print(name, np.round(curves[name], 2).tolist(), '%.0f s' % seconds, flush=True)
    ends = list(range(args.block, args.steps + 1, args.block))
    table = ['| setting | ' + ' | '.join('steps %d-%d' % (e - args.block + 1, e) for e in ends)
             + ' | max rel. diff vs float32 |', '|---' * (len(ends) + 2) + '|']
    ref = curves['float32']
    for name, c in curves.items():
        table.append('| %s | %s | %.1f%% |' % (name, ' | '.join('%.2f' % v for v in c),
                                              100 * np.max(np.abs(c - ref) / ref)))
    table += ['', 'Mean CTC loss per block of %d steps; default CRNN, bundled data (%d lines, %d classes), batch %d, '
              'Adam 1e-3, clipnorm 5, seed 1; the same batches in every setting.'
              % (args.block, gt_util.num_samples, len(charset), args.batch_size)]
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_parity.py'] + sys.argv[1:])
    write_section('parity', 'Loss-curve parity: float32 vs XLA vs bf16 mixed precision', command, table)


if __name__ == '__main__':
    main()
