"""Batches for the CRNN: InputGenerator (the original's API) and its PyDataset,
with optional width buckets, over the Keras-free stages of crnn_lines.py.

The original's users import from here as they did: ``from crnn_data import
GTUtility, InputGenerator`` (GTUtility's home is crnn_gt.py, the stages'
crnn_lines.py)."""

import os
import warnings

import keras
import numpy as np

from crnn_gt import BaseGTUtility, DataError, GTUtility
from crnn_lines import (ImageReadError, LabelTable, LineCache, fit_to_input, fitted_width, prepare_line, read_image,
                        squeeze_factors)
from crnn_utils import ctc_min_steps

__all__ = ['BaseGTUtility', 'BucketPlan', 'DataError', 'GTUtility', 'ImageReadError', 'InputGenerator', 'InputSequence',
           'bucket_of_samples', 'fit_to_input', 'fitted_width', 'prepare_line', 'read_image']

# InputSequence shuffles by itself; Keras' default fit(shuffle=True) would warn on every fit.
warnings.filterwarnings('ignore', message='`shuffle=True` was passed, but will be ignored since the data `x` '
                        'was provided as an infinite PyDataset')


def bucket_of_samples(fitted, need, buckets, steps):
    """Each sample's bucket: the narrowest width of ``buckets`` (ascending)
    that holds its fitted line unsqueezed and has the CTC time steps its label
    ``need``s; the widest for longer lines (squeezed); -1 where none has the
    steps. ``steps``: width -> time steps (crnn_model.output_steps)."""
    buckets = np.asarray(buckets)
    room = np.array([steps(int(w)) for w in buckets])
    fits = (buckets[None, :] >= np.asarray(fitted)[:, None]) & (room[None, :] >= np.asarray(need)[:, None])
    fits[:, -1] |= room[-1] >= np.asarray(need)
    return np.where(fits.any(axis=1), fits.argmax(axis=1), -1)


class BucketPlan:
    """Batches of lines of one bucket (width) each, reshuffled every pass.

    Pass ``p`` is a pure function of (seed, p): each bucket's samples are
    shuffled and cut into batches, a bucket's last short batch is filled with
    other samples of the same bucket, and the batches are shuffled together.
    """

    def __init__(self, indices, bucket, batch_size, seed):
        self.groups = [indices[bucket == b] for b in range(bucket.max() + 1)]
        self.batch_size, self.seed = batch_size, seed
        self.per_pass = sum(-(-len(g) // batch_size) for g in self.groups)
        self._cache = {}

    def batches(self, pass_index):
        """[(bucket, sample indices)] of one pass, in training order."""
        if pass_index not in self._cache:
            rng = np.random.default_rng([self.seed, pass_index])
            out = []
            for b, group in enumerate(self.groups):
                order = group[rng.permutation(len(group))]
                short = -len(order) % self.batch_size
                order = np.concatenate([order, rng.choice(group, short)]) if short else order
                out += [(b, chunk) for chunk in order.reshape(-1, self.batch_size)]
            self._cache = {pass_index: [out[j] for j in rng.permutation(len(out))]}
        return self._cache[pass_index]

    def batch(self, i):
        """(bucket, sample indices) of batch ``i`` of the stream."""
        p, j = divmod(i, self.per_pass)
        return self.batches(p)[j]


class InputGenerator:
    """Model input generator for text-line images (the original's API).

    # Arguments
        gt_util: a GTUtility (or split of one).
        batch_size: lines per batch.
        alphabet: the charset string, CTC blank '_' last.
        input_size: (width, height) of the model input.
        max_string_len: CTC time steps, ``model_pred.output_shape[1]``.
        seed: seed of this generator's own shuffling (no global state).
        unknown: replacement for characters outside the charset, None to drop them.
        cache: keep each line decoded and fitted (uint8) after its first read,
            so later epochs skip PNG decoding; 'auto' caches when it takes at
            most ``CACHE_LIMIT`` bytes. Each worker process has its own cache.
        threads: threads decoding the lines of a batch (default: one per core).
        augment: a utils.augment.Augmenter for training lines (None: off).
        workers, use_multiprocessing, max_queue_size: keras.utils.PyDataset
            options. workers=1 is fastest under TensorFlow, where fit already
            prefetches batches in a background thread (see BENCHMARKS.md).
        buckets: input widths (ascending, the last = input_size's width) for
            batches of similar line lengths: each batch is as wide as its
            bucket, with ``steps(width)`` CTC time steps, so short lines cost
            little and long ones are not squeezed. The model must take any
            width (``CRNN((None, height, 1), ...)``).
        steps: width -> CTC time steps of the model, with ``buckets``.
        teacher: a utils.train.distill.Teacher: each batch also holds its
            probabilities on the lines as 'teacher_probs' (distillation).
    """

    def __init__(self, gt_util, batch_size, alphabet, input_size=(256, 32), grayscale=True,
                 max_string_len=62, concatenate=False, seed=1337, unknown=' ', cache='auto',
                 threads=None, augment=None, workers=1, use_multiprocessing=False, max_queue_size=10,
                 verbose=True, buckets=None, steps=None, teacher=None):
        if concatenate:
            raise ValueError('concatenate=True joins several words of one image into a line; '
                             'AI Hub images hold one line each, so it is not supported')
        self.gt_util = gt_util
        self.batch_size = batch_size
        self.alphabet = alphabet
        self.input_size = tuple(input_size)
        self.grayscale = grayscale
        self.max_string_len = max_string_len
        self.seed = seed
        self.augment = augment if augment else None
        self.teacher, self.teacher_memo = teacher, {}
        self.pydataset_options = dict(workers=workers, use_multiprocessing=use_multiprocessing,
                                      max_queue_size=max_queue_size)
        texts = gt_util.texts()
        self.buckets, self.steps = (tuple(int(w) for w in buckets), steps) if buckets else (None, None)
        if self.buckets and (list(self.buckets) != sorted(self.buckets) or self.buckets[-1] != self.input_size[0]):
            raise ValueError('buckets %s: give ascending widths ending at the input width %d'
                             % (self.buckets, self.input_size[0]))
        self.table = LabelTable(texts, alphabet, max_string_len, unknown=unknown)
        self.indices = np.flatnonzero(self.table.feasible)
        self.plan = None
        if self.buckets:
            self.indices, self.plan = self._plan_buckets(seed)
        self.num_samples = len(self.indices)
        if self.num_samples == 0:
            raise DataError('no sample of %d fits the model (see the report above)' % len(texts))
        self.lines = LineCache(gt_util, self.input_size, grayscale, cache, threads or os.cpu_count() or 1)
        if verbose:
            for line in self.report():
                print('InputGenerator:', line, flush=True)

    def _plan_buckets(self, seed):
        """Feasible samples with a bucket, and their BucketPlan."""
        if self.gt_util.image_sizes is None:
            raise DataError('buckets need each image\'s size in the annotations (width, height)')
        idx = self.indices
        width, height = self.input_size
        fitted = np.round(height * self.gt_util.image_sizes[idx, 0] / np.maximum(self.gt_util.image_sizes[idx, 1], 1))
        need = [ctc_min_steps(self.table.labels[k, :self.table.lengths[k]]) for k in idx]
        self.bucket = np.full(self.gt_util.num_samples, -1)
        self.bucket[idx] = bucket_of_samples(fitted, need, self.buckets, self.steps)
        idx = idx[self.bucket[idx] >= 0]
        return idx, BucketPlan(idx, self.bucket[idx], self.batch_size, seed)

    def report(self):
        width, height = self.input_size
        lines = ['%d of %d samples usable' % (self.num_samples, self.gt_util.num_samples)]
        if self.plan:
            lines.append('width buckets: %s' % ', '.join('%d px %d lines' % (w, len(g))
                                                         for w, g in zip(self.buckets, self.plan.groups)))
        lines += self.table.report(self.max_string_len)
        if self.gt_util.image_sizes is not None:
            f = squeeze_factors(self.gt_util.image_sizes[self.indices], width, height)
            if np.any(f < 1):
                lines.append('%d lines wider than %dx%d are squeezed horizontally (mean factor %.2f, min %.2f)'
                             % (np.sum(f < 1), width, height, f[f < 1].mean(), f.min()))
        return lines

    def steps_per_epoch(self):
        if self.plan:
            return self.plan.per_pass
        return max(1, self.num_samples // self.batch_size)

    def generate(self, train=True, start=0):
        """A batch source for ``model.fit`` that also works with ``next()``;
        ``start``: the stream position in batches (resuming a run)."""
        return InputSequence(self, start, **self.pydataset_options)


class InputSequence(keras.utils.PyDataset):
    """An endless stream of batches over reshuffled passes of the data.

    Batch ``i`` is a pure function of (seed, i), so worker threads or processes
    produce the same batches as a single thread. ``next(seq)`` gives the
    original's ``(inputs, {'ctc': zeros})`` with ``source_str``; Keras, which
    rejects string arrays, indexes batches without it.
    """

    def __init__(self, generator, start=0, **kwargs):
        super().__init__(**kwargs)
        self.gen = generator
        self.start = start
        self._cursor = start
        self._perm_cache = {}

    @property
    def num_batches(self):
        return None

    def _permutation(self, pass_index):
        perm = self._perm_cache.get(pass_index)
        if perm is None:
            rng = np.random.default_rng([self.gen.seed, pass_index])
            perm = self.gen.indices[rng.permutation(len(self.gen.indices))]
            self._perm_cache = {pass_index: perm, **{k: v for k, v in self._perm_cache.items() if k >= pass_index - 1}}
        return perm

    def sample_indices(self, i):
        """Dataset indices of batch ``i``: stream positions i*B .. (i+1)*B-1
        (with buckets: the plan's batch ``i``)."""
        if self.gen.plan:
            return self.gen.plan.batch(i)[1]
        n, b = len(self.gen.indices), self.gen.batch_size
        pos = np.arange(i * b, (i + 1) * b)
        passes = pos // n
        idx = np.empty(b, dtype=np.int64)
        for p in np.unique(passes):
            at = passes == p
            idx[at] = self._permutation(p)[pos[at] % n]
        return idx

    def batch(self, i, with_source_str=True, part=None):
        """Batch ``i``; ``part=(p, n)``: only the p-th of n equal slices of it
        (one replica's share under tf.distribute, see utils/train/distribute.py)."""
        gen, gtu = self.gen, self.gen.gt_util
        idx = self.sample_indices(i)
        positions = np.arange(len(idx))
        if part is not None:
            positions = np.array_split(positions, part[1])[part[0]]
            idx = idx[positions]
        images, widths, ok = gen.lines.batch(idx)
        if not ok.all():
            idx, images, widths = self._replace_unreadable(idx, images, widths, ok)
        steps, labels = gen.max_string_len, gen.table.labels[idx]
        if gen.plan:
            width = gen.buckets[gen.bucket[idx[0]]]
            steps = gen.steps(width)
            images, widths, labels = images[:, :width], np.minimum(widths, width), labels[:, :steps]
        if gen.augment is not None:
            images = gen.augment.batch(images, widths, i, positions, gen.lines.map)
        inputs = {
            'image_input': images.astype(np.float32),
            'label_input': labels,
            'input_length': np.full((len(idx), 1), steps, dtype=np.int32),
            'label_length': gen.table.lengths[idx][:, None],
        }
        if gen.teacher is not None:
            inputs['teacher_probs'] = gen.teacher(inputs['image_input'], None if gen.augment else idx, gen.teacher_memo,
                                                  labels)
        if with_source_str:
            inputs['source_str'] = np.array([gtu.text[k][0] for k in idx])
        return inputs, {'ctc': np.zeros(len(idx), dtype=np.float32)}

    def _replace_unreadable(self, idx, images, widths, ok):
        """Fill the places of unreadable lines with readable lines of the same batch."""
        if not ok.any():
            bad = self.gen.lines.bad
            raise DataError('no readable image in batch: %d unreadable files so far, e.g. %s'
                            % (len(bad), next(iter(bad.values()))))
        donors = np.flatnonzero(ok)
        fill = donors[np.arange((~ok).sum()) % len(donors)]
        idx, images, widths = idx.copy(), images.copy(), widths.copy()
        idx[~ok], images[~ok], widths[~ok] = idx[fill], images[fill], widths[fill]
        return idx, images, widths

    def __getitem__(self, i):
        return self.batch(self.start + i, with_source_str=False)

    def __iter__(self):
        return self

    def __next__(self):
        out = self.batch(self._cursor)
        self._cursor += 1
        return out
