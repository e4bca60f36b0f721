"""Benchmark: this port against the original Keras 2 project, side by side.

    pip install tf_keras            # a bench extra: the original's Keras 2 API
    python bench/bench_vs_original.py [--batch-sizes 32,128] [--rounds 5] [--steps 3]

The original's model and loss as the original builds them (bench/reference/original_crnn.py:
Keras 2 layers under tf_keras, ``Lambda`` over ``ctc_batch_cost``, legacy SGD
with Nesterov and clipnorm) and this port's model at the training CLI's
default settings and at each speed option train on the same random batch of
256x32 lines, alternating round by round in one process; lines/s is the
median over rounds of ``--steps`` timed steps (after a warm-up). Prediction
(``predict_on_batch``) is timed the same way. The table also gives each
setting's share of the CPU's peak: model FLOPs per line (analytic, training =
3 x forward) x lines/s against the peak FLOP rate given by --peak-gflops.
BENCHMARKS.md section 'vs_original'. Without tf_keras it says so and exits 0.
"""
import argparse
import statistics
import sys
import time

from harness import quiet_keras, random_lines, write_section
quiet_keras()  # before anything imports TensorFlow

import numpy as np  # noqa: E402

from bench.reference.original_crnn import compile_original, keras2, original_crnn  # noqa: E402
from utils.train.precision import choose_jit, choose_precision, describe  # noqa: E402

WIDTH, HEIGHT = 256, 32


def crnn_flops(width, classes):
    """Forward FLOPs of one line at height 32 (a multiply-add = 2): the 3x3
    convolutions on their feature maps, conv6_1 (2x2), 2 x BiLSTM(256), the classifier."""
    w1 = width
    w2 = -(-w1 // 2)
    w3 = -(-w2 // 2)
    convs = [(1, 64, w1, 32), (64, 128, w2, 16), (128, 256, w3, 8), (256, 256, w3, 8), (256, 512, w3, 4),
             (512, 512, w3, 4)]
    flops = sum(2 * 9 * cin * cout * w * h for cin, cout, w, h in convs)
    steps = w3 - 2
    flops += 2 * 4 * 512 * 512 * steps
    flops += sum(2 * 2 * 4 * (inp + 256) * 256 * steps for inp in (512, 512))  # two directions, four gates
    return flops + 2 * 512 * classes * steps


def port_step(precision, jit, batch, classes):
    """A train-step and a predict closure of this port's model, as CRNN_training.py builds it."""
    import keras
    from crnn_model import CRNN, ctc_identity, time_steps
    from utils.train.optimizers import SGD
    keras.mixed_precision.set_global_policy(precision)
    model, model_pred = CRNN((WIDTH, HEIGHT, 1), classes, sparse_ctc=jit is not True)  # as the CLI
    model.compile(loss={'ctc': ctc_identity}, jit_compile=jit,
                  optimizer=SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9, nesterov=True, clipnorm=5))
    keras.mixed_precision.set_global_policy('float32')
    images, labels, lengths = batch
    steps = time_steps(model_pred)
    x = {'image_input': images, 'label_input': labels[:, :steps], 'label_length': lengths,
         'input_length': np.full((len(images), 1), steps, np.int32)}
    y = {'ctc': np.zeros(len(images), np.float32)}
    return (lambda: model.train_on_batch(x, y)), (lambda: model_pred.predict_on_batch(images))


def original_step(k, batch, classes):
    model, model_pred = original_crnn(k, (WIDTH, HEIGHT, 1), classes)
    compile_original(k, model)
    images, labels, lengths = batch
    steps = model_pred.output_shape[1]
    x = [images, labels[:, :steps], np.full((len(images), 1), steps), lengths]
    y = np.zeros(len(images), np.float32)
    return (lambda: model.train_on_batch(x, y)), (lambda: model_pred.predict_on_batch(images))


def timed(fn, steps):
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch-sizes', default='32,128')
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--steps', type=int, default=3, help='timed steps per setting and round')
    p.add_argument('--classes', type=int, default=2373)
    p.add_argument('--peak-gflops', type=float, default=192.0, help='fp32 peak of the CPU (2 cores x 32 FLOP/cycle '
                   'x 3 GHz for AVX-512 on Zen 4); bf16 settings are set against twice that')
    p.add_argument('--no-write', action='store_true')
    args = p.parse_args(argv)
    k = keras2()
    if k is None:
        print('tf_keras is not installed (pip install tf_keras): the original cannot be built, nothing measured')
        return 0
    settings = [('original (Keras 2, tf_keras)', None, None), ('port, float32 (the original setting)', 'float32', False),
                ('port, float32 + XLA', 'float32', True), ('port, bf16', 'mixed_bfloat16', False),
                ('port, bf16 + XLA', 'mixed_bfloat16', True)]
    precision, why = choose_precision('auto')
    jit, jit_why = choose_jit('auto')
    settings = [(name + (' **= CLI default here**' if (prec, j) == (precision, jit) else ''), prec, j)
                for name, prec, j in settings]
    print('CLI default on this machine:', describe(precision, why, jit, jit_why))
    table = ['| setting | batch | train lines/s | vs original | predict lines/s | vs original | train share of peak |',
             '|---|---|---|---|---|---|---|']
    fwd = crnn_flops(WIDTH, args.classes)
    shares = {}  # bf16 or not -> training's shares of the peak
    for batch_size in [int(b) for b in args.batch_sizes.split(',')]:
        x, _ = random_lines(batch_size, 64, args.classes)  # the 256x32 lines bench_train.py uses
        batch = x['image_input'], x['label_input'], x['label_length']
        steps = [original_step(k, batch, args.classes) if prec is None else port_step(prec, jit, batch, args.classes)
                 for _, prec, jit in settings]
        for train, predict in steps:  # warm-up: tracing, compilation
            train(), predict()
        times = [([], []) for _ in settings]
        for _ in range(args.rounds):
            for (train, predict), (tt, tp) in zip(steps, times):
                tt.append(timed(train, args.steps))
                tp.append(timed(predict, args.steps))
        rates = [(batch_size / statistics.median(tt), batch_size / statistics.median(tp)) for tt, tp in times]
        for (name, prec, _), (train_rate, pred_rate) in zip(settings, rates):
            peak = args.peak_gflops * (2 if prec == 'mixed_bfloat16' else 1) * 1e9
            share = 100 * 3 * fwd * train_rate / peak
            shares.setdefault(prec == 'mixed_bfloat16', []).append(share)
            table.append('| %s | %d | %.1f | %.2fx | %.1f | %.2fx | %.1f%% |' % (
                name, batch_size, train_rate, train_rate / rates[0][0], pred_rate, pred_rate / rates[0][1], share))
            print(table[-1], flush=True)
    footer = ['', 'CLI default on this machine: %s.' % describe(precision, why, jit, jit_why),
              '', 'Same random batch of 256x32 lines, %d classes; median of %d rounds x %d steps, settings '
              'alternating within each round. FLOPs per line (forward, analytic): %.2f G; training counted as 3x. '
              'bf16 settings are compared with twice the fp32 peak (AVX512-BF16).'
              % (args.classes, args.rounds, args.steps, fwd / 1e9),
              '', 'Compute limit: the peak is %.0f GFLOP/s fp32 (--peak-gflops; 2 cores x 32 FLOP/cycle x 3 GHz). '
              'float32 training runs at %.0f-%.0f%% of it (the original and the port alike), so float32 has little '
              'left to gain; bf16 doubles the peak and reaches %.0f-%.0f%% of the doubled peak: the LSTM steps, the '
              'CTC loss and the float32 classifier do not speed up with bf16.'
              % (args.peak_gflops, min(shares[False]), max(shares[False]), min(shares[True]), max(shares[True]))]
    if not args.no_write:
        write_section('vs_original', 'Training and prediction speed against the original Keras 2 project',
                      ' '.join(['python bench/bench_vs_original.py'] + sys.argv[1:]), table + footer)
    print('\n'.join(table + footer))
    return 0


if __name__ == '__main__':
    sys.exit(main())
