"""Distillation: a trained recognizer (the teacher, in ONNX Runtime: measured
1.7x faster than the Keras model in bf16 here) reads every training batch,
and its per-step probabilities become a fifth input of the student's training
model (crnn_model.CRNN(distill=...)), beside the ground-truth labels.

The student must have the teacher's time steps per width (every ARCHS entry
has) and its charset. Without augmentation a line is the same image in every
pass, so the teacher's reading of it is kept (its top classes, a few MB for
tens of thousands of lines) and the teacher reads each line only once.
"""

import numpy as np


class Teacher:
    """A trained recognizer as a callable: fitted line images (B, W, H, 1) ->
    its softmax (B, T, C) as float32, optionally memoized by sample index.

    # Arguments
        weights: the teacher's weights file (its architecture is read from it).
        charset: the student's charset, which must be the teacher's.
        teacher_charset: the teacher's charset file (default: the one beside
            its weights).
        keep: memoize readings per sample index (only right without
            augmentation; see __call__); ``top`` classes per step are kept,
            the rest of each step's probability spread evenly over the others.
    """

    def __init__(self, weights, charset, teacher_charset=None, keep=True, top=4, log=print):
        from crnn_utils import load_charset
        from utils.weights.engine import load_engine
        charset_file = teacher_charset or _beside(weights)
        own = load_charset(charset_file)
        if own != charset:
            raise ValueError('--teacher %s was trained with another charset (%s, %d classes) than the model (%d): '
                             'give --charset %s' % (weights, charset_file, len(own), len(charset), charset_file))
        self.model = load_engine('onnx', weights=weights, charset=charset_file, log=log)[0]
        self.weights, self.keep, self.top = weights, keep, top

    def __call__(self, images, indices=None, memo=None):
        """The teacher's probabilities on ``images``; given the lines' sample
        ``indices`` and a ``memo`` dict of their data (one per index space:
        each InputGenerator has its own), each line is read once."""
        if not self.keep or indices is None or memo is None:
            return self._read(images)
        missing = [j for j, k in enumerate(indices) if int(k) not in memo]
        if missing:
            probs = self._read(images[missing])
            top = np.argsort(probs, axis=-1)[..., -self.top:].astype(np.int16)
            for j, p, t in zip(missing, probs, top):
                memo[int(indices[j])] = (t, np.take_along_axis(p, t.astype(np.int64), -1).astype(np.float16))
        return np.stack([self._expand(*memo[int(k)]) for k in indices])

    def _read(self, images):
        probs = self.model.predict_on_batch(images)
        self.classes = probs.shape[-1]
        return probs

    def _expand(self, top, p):
        """A step's full distribution from its kept top classes."""
        classes = self.classes
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
