"""Benchmark: training throughput of the default CRNN, plain vs XLA vs bf16 mixed precision.

    python bench/bench_train.py [--batch-sizes 32,128] [--steps 6] [--classes 2400]

Each setting trains the real default model (256x32, 2 x BiLSTM(256)) with the
default SGD on fixed random lines for two epochs of ``--steps`` steps and
times the second (the first traces / compiles). Settings run one after the
other in one process, so ratios compare like with like. BENCHMARKS.md
section 'train'. Loss-curve parity: bench/bench_parity.py.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from utils.quiet import import_keras  # noqa: E402
import_keras('--verbose' in sys.argv)  # TensorFlow's start-up lines hidden, as in the CLIs

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench.report import write_section  # noqa: E402
from crnn_model import CRNN, ctc_identity, time_steps  # noqa: E402
from utils.optimizers import SGD  # noqa: E402

SETTINGS = (('float32', False), ('float32', True), ('mixed_bfloat16', False), ('mixed_bfloat16', True))


def random_lines(n, steps, classes, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 25, (n, 1))
    labels = np.full((n, steps), -1, np.float32)
    for k, length in enumerate(lengths[:, 0]):
        labels[k, :length] = rng.integers(0, classes - 1, length)
    x = {'image_input': rng.uniform(0, 255, (n, 256, 32, 1)).astype(np.float32), 'label_input': labels,
         'input_length': np.full((n, 1), steps), 'label_length': lengths}
    return x, {'ctc': np.zeros(n, np.float32)}


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.t)


def lines_per_second(policy, jit, batch_size, steps, classes):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(1)
    model, model_pred = CRNN((256, 32, 1), classes)
    model.compile(loss={'ctc': ctc_identity}, optimizer=SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9,
                                                               nesterov=True, clipnorm=5), jit_compile=jit)
    x, y = random_lines(batch_size * steps, time_steps(model_pred), classes)
    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0, callbacks=[timer])
    keras.mixed_precision.set_global_policy('float32')
    return batch_size * steps / timer.times[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch-sizes', default='32,128')
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--classes', type=int, default=2400)
    p.add_argument('--repeats', type=int, default=1)
    args = p.parse_args()
    table = ['| batch | setting | lines/s | vs plain |', '|---|---|---|---|']
    for b in [int(v) for v in args.batch_sizes.split(',')]:
        plain = None
        for policy, jit in SETTINGS:
            rate = statistics.median(lines_per_second(policy, jit, b, args.steps, args.classes)
                                     for _ in range(args.repeats))
            plain = plain or rate
            name = policy + (' + XLA' if jit else '')
            table.append('| %d | %s | %.1f | %.2fx |' % (b, name, rate, rate / plain))
            print(table[-1], flush=True)
    table += ['', 'Default CRNN (256x32x1, LSTM head, %d classes), SGD momentum+Nesterov, clipnorm 5; %d timed steps '
              'after one untimed epoch of the same length; %d repeat(s).' % (args.classes, args.steps, args.repeats)]
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_train.py'] + sys.argv[1:])
    write_section('train', 'Training throughput (default CRNN)', command, table)


if __name__ == '__main__':
    main()
