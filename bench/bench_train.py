"""Benchmark: training throughput of the default CRNN, plain vs XLA vs bf16 mixed precision.

    python bench/bench_train.py [--batch-sizes 32,128] [--steps 6] [--classes 2400]

Each setting trains the real default model (256x32, 2 x BiLSTM(256)) with the
default SGD on fixed random lines for two epochs of ``--steps`` steps and
times the second (the first traces / compiles). Settings run one after the
other in one process, so ratios compare like with like. BENCHMARKS.md
section 'train'. Loss-curve parity: bench/bench_parity.py.
"""
import argparse
import statistics
import sys

from harness import SETTINGS, epoch_timer, quiet_keras, random_lines, write_section
quiet_keras()  # before anything imports TensorFlow

import keras  # noqa: E402

from crnn_model import CRNN, ctc_identity, time_steps  # noqa: E402
from utils.train.optimizers import SGD  # noqa: E402

def lines_per_second(policy, jit, batch_size, steps, classes):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(1)
    model, model_pred = CRNN((256, 32, 1), classes)
    model.compile(loss={'ctc': ctc_identity}, optimizer=SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9,
                                                               nesterov=True, clipnorm=5), jit_compile=jit)
    x, y = random_lines(batch_size * steps, time_steps(model_pred), classes)
    timer = epoch_timer()
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
