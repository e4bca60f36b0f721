"""TensorFlow's start-up lines (absl's pre-init warning, oneDNN, CUDA probing)
are written by C++ straight to file descriptor 2, before TF_CPP_MIN_LOG_LEVEL
is read; the command-line tools import Keras (and through it TensorFlow)
with that descriptor pointed at /dev/null, unless --verbose."""

import contextlib
import os
import sys


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
    block, where the 'failed call to cuInit' line comes from."""
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
