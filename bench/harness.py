"""What the benchmarks share: the repo on sys.path and a quiet Keras import
(TensorFlow's start-up lines hidden, as in the CLIs, unless --verbose), the
model of --run/--weights/--charset, Tesseract, synthetic inputs and timers,
and the writer of BENCHMARKS.md sections (machine, date, command).

Every bench script imports it first: ``from harness import ...``.
"""
import datetime
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

# training settings timed side by side: (Keras dtype policy, XLA)
SETTINGS = (('float32', False), ('float32', True), ('mixed_bfloat16', False), ('mixed_bfloat16', True))
WIDTH, HEIGHT, STEPS = 256, 32, 62


def quiet_keras():
    """``import keras`` without TensorFlow's start-up lines, unless --verbose is among the arguments."""
    from utils.cli import import_keras
    return import_keras('--verbose' in sys.argv)


def add_model_args(p):
    """--run / --weights / --charset / --precision: which model a bench measures (default: the shipped one)."""
    p.add_argument('--run', help='run folder (default: the shipped model)')
    p.add_argument('--weights', help='weights file (with --charset)')
    p.add_argument('--charset', help='charset file of --weights')
    p.add_argument('--precision', default='auto', help='as CRNN_predict.py --precision')
    p.add_argument('--engine', default='auto', help='as CRNN_predict.py --engine')


def load_model(args):
    """(model with predict_on_batch, charset, input size, name) of add_model_args' arguments."""
    quiet_keras()
    from utils.weights.engine import load_engine
    from utils.weights.load import SHIPPED_WEIGHTS
    model, charset, size, engine = load_engine(args.engine, args.run, args.weights, args.charset,
                                               precision=args.precision)
    name = args.run or args.weights or 'shipped ' + os.path.basename(SHIPPED_WEIGHTS)
    return model, charset, size, '%s (%s)' % (name, 'ONNX Runtime' if engine == 'onnx' else 'Keras')


# Source of peak_mb() for a measured child process: its VmHWM, its own peak resident memory (getrusage's ru_maxrss
# would start from the parent's at fork).
PEAK_MB = r'''
def peak_mb():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmHWM')) / 1024
'''


def tesseract_env():
    return dict(os.environ, OMP_THREAD_LIMIT='1')


def tesseract_version():
    out = subprocess.run(['tesseract', '--version'], capture_output=True, text=True).stdout
    return out.split()[1] if out.split() else '?'


def timed(fn, *args):
    """(fn(*args), seconds)."""
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


PATH = os.path.join(ROOT, 'BENCHMARKS.md')


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return '%s, %d cores, Python %s' % (cpu, os.cpu_count() or 0, platform.python_version())


def write_section(key, title, command, lines):
    """Replace (or add) the section marked <!-- key --> in BENCHMARKS.md."""
    body = '<!-- %s -->\n## %s\n\n- machine: %s\n- date: %s\n- command: `%s`\n\n%s\n<!-- /%s -->' % (
        key, title, machine(), datetime.date.today().isoformat(), command, '\n'.join(lines), key)
    text = open(PATH, encoding='utf-8').read() if os.path.exists(PATH) else '# Benchmarks\n'
    pattern = re.compile(r'<!-- %s -->.*?<!-- /%s -->' % (key, key), re.S)
    text = pattern.sub(lambda m: body, text) if pattern.search(text) else text.rstrip('\n') + '\n\n' + body + '\n'
    with open(PATH, 'w', encoding='utf-8') as f:
        f.write(text)


def report(key, title, command, lines, write=True):
    """Print a benchmark's lines and, unless ``write`` is false, put them into BENCHMARKS.md section ``key``."""
    print('\n'.join(lines))
    if write:
        write_section(key, title, command, lines)


def rate_table(first_column, rows, baseline_name, footer):
    """Markdown lines: one row per (name, lines/s), with the ratio to the first row, then ``footer``."""
    base = rows[0][1]
    table = ['| %s | lines/s (median) | vs %s |' % (first_column, baseline_name), '|---|---|---|']
    table += ['| %s | %.0f | %.2fx |' % (name, rate, rate / base) for name, rate in rows]
    return table + ['', footer]


def random_lines(n, steps, classes, seed=0):
    """``n`` random 256x32 lines with random labels: inputs and targets for fit."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 25, (n, 1))
    labels = np.full((n, steps), -1, np.float32)
    for k, length in enumerate(lengths[:, 0]):
        labels[k, :length] = rng.integers(0, classes - 1, length)
    x = {'image_input': rng.uniform(0, 255, (n, 256, 32, 1)).astype(np.float32), 'label_input': labels,
         'input_length': np.full((n, 1), steps), 'label_length': lengths}
    return x, {'ctc': np.zeros(n, np.float32)}


def epoch_timer():
    """A Keras callback recording each epoch's seconds in ``.times``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t)

    return EpochTimer()


def make_dataset(out, count, font_size):
    """``count`` synthetic sentence lines in ``out`` (the bundled font only), as a GTUtility."""
    from crnn_gt import GTUtility
    from utils.synth.lines import Renderer, SampleMaker, find_fonts, generate
    from utils.synth.text import TextSource
    maker = SampleMaker(7, (('문장', 1.0),), TextSource(), Renderer(find_fonts(system=False), size=font_size))
    generate(out, count, maker, workers=2, progress=False)
    return GTUtility(out, verbose=False)


def null_model():
    """Takes the CRNN's four inputs and does almost nothing with them."""
    import keras
    from crnn_model import ctc_identity
    inputs = [keras.Input((WIDTH, HEIGHT, 1), name='image_input'), keras.Input((STEPS,), name='label_input'),
              keras.Input((1,), name='input_length', dtype='int32'), keras.Input((1,), name='label_length', dtype='int32')]
    pooled = keras.layers.GlobalAveragePooling2D()(inputs[0])
    out = keras.layers.Dense(1, name='ctc')(pooled)
    model = keras.Model(inputs, {'ctc': out})
    model.compile(loss={'ctc': ctc_identity}, optimizer='sgd')
    return model


def fit_rate(source, num_samples, batch_size):
    """lines/s of the second of two epochs of fit over all lines (the first traces the step)."""
    timer = epoch_timer()
    steps = num_samples // batch_size
    null_model().fit(source, steps_per_epoch=steps, epochs=2, verbose=0, callbacks=[timer])
    return steps * batch_size / timer.times[1]
