"""What the command-line tools share: the help formatter, comma lists, the
entry point (errors as one line, signals as exit codes) and a quiet Keras
import.

TensorFlow's start-up lines (absl's pre-init warning, oneDNN, CUDA probing)
are written by C++ straight to file descriptor 2, before TF_CPP_MIN_LOG_LEVEL
is read; the tools import Keras (and through it TensorFlow) with that
descriptor pointed at /dev/null, unless --verbose.
"""

import argparse
import contextlib
import os
import signal
import sys


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and each flag's default once after its help:
    not where the help already says its default, nor for switches and flags
    without one (a '(default: None)' or '(default: False)' says nothing)."""

    def _get_help_string(self, action):
        text = action.help or ''
        if ('default' in text or action.default in (None, '', False, True, argparse.SUPPRESS)
                or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))):
            return text
        return text + ' (default: %(default)s)'


def add_generator_args(p, things, count, heldout_help):
    """--out, --count, --seed and --heldout of a generator of ``things`` (pages, documents)."""
    p.add_argument('--out', required=True, help='folder for the %s' % things)
    p.add_argument('--count', type=int, default=count, help='%s to write' % things)
    p.add_argument('--seed', type=int, default=0, help='each of them is a function of (seed, its number)')
    p.add_argument('--heldout', action='store_true', help=heldout_help)


def comma_list(value):
    """'a, b,' -> ['a', 'b']; None -> []."""
    return [v.strip() for v in (value or '').split(',') if v.strip()]


def _terminate(signum, frame):
    raise KeyboardInterrupt(signum)


def run_cli(main, hard_exit=()):
    """Run ``main()`` and exit with its status; a user's mistake (bad data,
    file or value) becomes one 'error: ...' line on stderr and exit code 2.
    Ctrl-C (SIGINT) or SIGTERM at any moment: one line, exit 130 or 143,
    no traceback (training handles them itself, see utils.training.StopOnSignal).
    A status in ``hard_exit`` leaves at once, output flushed, without waiting
    for other threads: a training run stopped by a signal has saved its
    weights, and a batch-reading thread (tf.data's generator) kept such a
    process alive, busy, until SIGKILL."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        status = main()
        if status in hard_exit:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        sys.exit(status)
    except (ValueError, OSError) as e:  # crnn_gt.DataError is a ValueError
        print('error: %s' % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        signum = getattr(e, 'signum', None) or (e.args[0] if e.args and isinstance(e.args[0], int) else signal.SIGINT)
        print('interrupted (%s)' % signal.Signals(signum).name, file=sys.stderr, flush=True)
        sys.exit(128 + signum)




@contextlib.contextmanager
def stderr_silenced():
    """Point file descriptor 2 at /dev/null for the block (C++ and Python
    writes alike); restored before any exception leaves the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras(verbose=False):
    """``import keras`` without TensorFlow's start-up noise (unless
    ``verbose``); on TensorFlow also probes the devices inside the quiet
    block, where the 'failed call to cuInit' line comes from. The tools run
    on TensorFlow unless KERAS_BACKEND names another backend: a keras.json
    that chose JAX (for another project) does not switch them."""
    os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
    if verbose or 'keras' in sys.modules:
        import keras
        return keras
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    with stderr_silenced():
        import keras
        if keras.backend.backend() == 'tensorflow':
            import tensorflow as tf
            tf.config.list_physical_devices()
    return keras
