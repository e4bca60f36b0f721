"""Distillation: a trained recognizer (the teacher; under TensorFlow in ONNX
Runtime, measured 1.7x faster than the Keras model in bf16 on the CPU; on
other backends the Keras model, on their GPU) reads every training batch,
and its per-step probabilities become a fifth input of the student's training
model (crnn_model.CRNN(distill=...)), beside the ground-truth labels.

The student must have the teacher's time steps per width (every ARCHS entry
has) and its charset, or that charset extended (--extend-charset: new
characters before the blank): the teacher's probabilities are then laid on
the student's classes, and a line whose label has a character the teacher
does not know is left to the CTC loss alone (its teacher rows are zeros,
which make its distillation term zero). Without augmentation a line is the
same image in every pass, so the teacher's reading of it is kept (its top
classes, a few MB for tens of thousands of lines) and the teacher reads each
line only once per process.
"""

import threading

import numpy as np


class Teacher:
    """A trained recognizer as a callable: fitted line images (B, W, H, 1) ->
    its softmax (B, T, C) as float32, optionally memoized by sample index.

    # Arguments
        weights: the teacher's weights file (its architecture is read from it).
        charset: the student's charset: the teacher's, or it extended.
        teacher_charset: the teacher's charset file (default: the one beside
            its weights).
        keep: memoize readings per sample index (only right without
            augmentation; see __call__); ``top`` classes per step are kept,
            the rest of each step's probability spread evenly over the others.
        engine: 'onnx' or 'keras' (utils.weights.engine); default ONNX
            Runtime under the TensorFlow backend (the ONNX export needs it),
            else the Keras model.
    """

    def __init__(self, weights, charset, teacher_charset=None, keep=True, top=4, log=print, engine=None):
        from crnn_utils import load_charset
        from utils.weights.engine import load_engine
        charset_file = teacher_charset or _beside(weights)
        own = load_charset(charset_file)
        if own != charset and not (len(own) < len(charset) and charset.startswith(own[:-1])):
            raise ValueError('--teacher %s was trained with another charset (%s, %d classes) than the model (%d), '
                             'which is neither it nor it extended: give --charset %s' % (
                                 weights, charset_file, len(own), len(charset), charset_file))
        if engine is None:
            import keras
            engine = 'onnx' if keras.backend.backend() == 'tensorflow' else 'keras'
        self.model = load_engine(engine, weights=weights, charset=charset_file, log=log)[0]
        self.weights, self.keep, self.top = weights, keep, top
        self.lock = threading.Lock()
        self.chars, self.classes = len(own) - 1, len(charset)

    def __call__(self, images, indices=None, memo=None, labels=None):
        """The teacher's probabilities on ``images`` over the student's classes;
        given the lines' sample ``indices`` and a ``memo`` dict of their data
        (one per index space: each InputGenerator has its own), each line is
        read once. ``labels`` (class ids, -1 padded): lines with a class the
        teacher lacks get zeros."""
        if not self.keep or indices is None or memo is None:
            probs = self._read(images)
        else:
            missing = [j for j, k in enumerate(indices) if int(k) not in memo]
            if missing:
                read = self._read(images[missing])
                top = np.argsort(read, axis=-1)[..., -self.top:].astype(np.int16)
                for j, p, t in zip(missing, read, top):
                    memo[int(indices[j])] = (t, np.take_along_axis(p, t.astype(np.int64), -1).astype(np.float16))
            probs = np.stack([self._expand(*memo[int(k)]) for k in indices])
        if probs.shape[-1] == self.classes:
            return probs
        out = np.zeros(probs.shape[:-1] + (self.classes,), np.float32)
        out[..., :self.chars], out[..., -1] = probs[..., :-1], probs[..., -1]
        if labels is not None:
            out[((labels >= self.chars) & (labels < self.classes - 1)).any(axis=1)] = 0.0
        return out

    def _read(self, images):
        with self.lock:  # Keras' predict_on_batch is not thread-safe (JAX: it donates and replaces the weights)
            return np.asarray(self.model.predict_on_batch(images), np.float32)

    def _expand(self, top, p):
        """A step's full distribution (the teacher's classes) from its kept top classes."""
        classes = self.chars + 1
        p = p.astype(np.float32)
        rest = np.clip(1.0 - p.sum(-1, keepdims=True), 0.0, 1.0) / (classes - self.top)
        out = np.repeat(rest, classes, axis=-1)
        np.put_along_axis(out, top.astype(np.int64), p, -1)
        return out


def _beside(weights):
    from utils.weights.load import charset_for_weights
    charset = charset_for_weights(weights)
    if not charset:
        raise ValueError('--teacher %s: no charset beside it (CRNN_charset_X.json or a run\'s charset.json)' % weights)
    return charset
