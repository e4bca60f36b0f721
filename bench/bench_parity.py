"""Benchmark: loss-curve parity of float32, XLA and bf16 mixed precision training.

    python bench/bench_parity.py [--steps 200] [--batch-size 16]
    python bench/bench_parity.py --cer --steps 2000 --block 250 --batch-size 8 --width 128

--cer: the original's float32 against the training CLI's default (--precision
auto, --jit-compile auto) from scratch, with the validation split's CER after
each block: BENCHMARKS.md section 'parity_cer'.

Trains the default CRNN on the bundled data with the same seed and the same
batches in each setting (Adam 1e-3 so the loss moves within a few hundred
steps) and compares the mean loss of each block of ``--block`` steps.
BENCHMARKS.md section 'parity'.
"""
import argparse
import os
import sys
import time

from harness import ROOT, SETTINGS, quiet_keras, write_section
quiet_keras()  # before anything imports TensorFlow

import keras  # noqa: E402
import numpy as np  # noqa: E402

from crnn_data import GTUtility, InputGenerator  # noqa: E402
from crnn_model import CRNN, ctc_identity, time_steps  # noqa: E402
from crnn_utils import build_charset  # noqa: E402


def loss_curve(policy, jit, gt_util, charset, batch_size, steps, block, width=256, val=None, seed=1):
    """Mean loss per block (and, given ``val``, the validation CER after each block) and the seconds it took."""
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(seed)
    model, model_pred = CRNN((width, 32, 1), len(charset), sparse_ctc=jit is False)
    model.compile(loss={'ctc': ctc_identity}, optimizer=keras.optimizers.Adam(1e-3, clipnorm=5), jit_compile=jit)
    gen = InputGenerator(gt_util, batch_size, charset, (width, 32), max_string_len=time_steps(model_pred),
                         verbose=False, seed=1336 + seed)  # seed 1: the generator's default, 1337
    callbacks, cers = [], []
    if val is not None:
        from crnn_reader import recognize
        from crnn_utils import recognition_metrics
        paths = [os.path.join(val.image_path, n) for n in val.image_names]
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: cers.append(recognition_metrics(
            val.texts(), recognize(model_pred, charset, paths, (width, 32), progress=False))['cer'])))
    t = time.perf_counter()
    hist = model.fit(gen.generate(), steps_per_epoch=block, epochs=steps // block, verbose=0, callbacks=callbacks)
    keras.mixed_precision.set_global_policy('float32')
    return np.array(hist.history['loss']), cers, time.perf_counter() - t


def cer_parity(args):
    """float32 (the original) vs the CLI's default speed setting, loss and validation CER per block."""
    from utils.train.precision import choose_jit, choose_precision, describe
    train, val = GTUtility(ROOT, verbose=False).split(0.8)
    charset = build_charset(train.text + val.text)
    precision, why = choose_precision('auto')
    jit, jit_why = choose_jit('auto')
    rows = []
    for name, policy, j in (('float32 (the original)', 'float32', False), ('CLI default: %s%s' % (
            precision, ' + XLA' if jit else ''), precision, jit)):
        loss, cers, seconds = loss_curve(policy, j, train, charset, args.batch_size, args.steps, args.block,
                                         args.width, val, args.seed)
        rows.append((name, loss, cers, seconds))
        print(name, np.round(loss, 2).tolist(), np.round(cers, 3).tolist(), '%.0f s' % seconds, flush=True)
    ends = list(range(args.block, args.steps + 1, args.block))
    table = ['| setting | | ' + ' | '.join('step %d' % e for e in ends) + ' | wall time |',
             '|---' * (len(ends) + 3) + '|']
    for name, loss, cers, seconds in rows:
        table.append('| %s | loss | %s | %.0f s |' % (name, ' | '.join('%.2f' % v for v in loss), seconds))
        table.append('| | val CER | %s | |' % ' | '.join('%.3f' % v for v in cers))
    table += ['', 'From scratch, same seed (%d) and batches: bundled data (%d training lines, CER on the %d validation '
              'lines), '
              '%d classes, input %dx32, batch %d, Adam 1e-3, clipnorm 5. Loss: mean of each block of %d steps. '
              'CLI default on this machine: %s.' % (args.seed, train.num_samples, val.num_samples, len(charset),
                                                   args.width, args.batch_size, args.block,
                                                   describe(precision, why, jit, jit_why))]
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_parity.py'] + sys.argv[1:])
    key, seed_note = ('parity_cer', '') if args.seed == 1 else ('parity_cer_seed%d' % args.seed,
                                                                ', seed %d' % args.seed)
    write_section(key, 'Learning parity over %d steps: float32 vs the default (bf16 where native)%s'
                  % (args.steps, seed_note), command, table)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--block', type=int, default=25)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--width', type=int, default=256)
    p.add_argument('--cer', action='store_true', help='float32 vs the CLI default, with validation CER')
    p.add_argument('--seed', type=int, default=1, help='weights and batch order (--cer; seed 1 writes section '
                   "'parity_cer', others 'parity_cer_seedN')")
    args = p.parse_args()
    if args.cer:
        return cer_parity(args)
    gt_util = GTUtility(ROOT, verbose=False)
    charset = build_charset(gt_util.text)
    curves = {}
    for policy, jit in SETTINGS:
        name = policy + (' + XLA' if jit else '')
        curves[name], _, seconds = loss_curve(policy, jit, gt_util, charset, args.batch_size, args.steps, args.block,
                                              args.width)
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
