"""Data for the CRNN: read a line image, fit it to the input, encode its label, batch.

The original's single ``generate()`` is split into stages, each usable alone:
``read_image`` -> ``fit_to_input`` -> ``encode_label`` (crnn_utils) -> ``InputSequence``.
"""

import os
import sys
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import cv2
import keras
import numpy as np

from crnn_gt import BaseGTUtility, DataError, GTUtility  # noqa: F401  (the original's home of GTUtility)
from crnn_utils import char_index, ctc_min_steps, describe_chars, encode_label


# InputSequence shuffles by itself; Keras' default fit(shuffle=True) would warn on every fit.
warnings.filterwarnings('ignore', message='`shuffle=True` was passed, but will be ignored since the data `x` '
                        'was provided as an infinite PyDataset')


class ImageReadError(DataError):
    """An image file that exists but cannot be decoded."""


def read_image(path, grayscale=True):
    """Decode an image file (any path, Korean names too) as uint8 gray (H, W)
    or BGR (H, W, 3); an unreadable or corrupt file raises ImageReadError."""
    try:
        buf = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ImageReadError('cannot read image %s: %s' % (path, e.strerror or e)) from None
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if img is None:
        raise ImageReadError('cannot decode image %s (%d bytes): corrupt, truncated or not an image'
                             % (path, buf.size))
    if grayscale:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return img


def fitted_width(shape, width, height):
    """Columns an image of ``shape`` (H, W, ...) fills in a width x height
    input, and its squeeze factor (<= 1)."""
    h, w = shape[:2]
    new_w = max(1, int(round(height * w / max(h, 1))))
    return (width, width / new_w) if new_w > width else (new_w, 1.0)


def fit_to_input(img, width, height):
    """Resize a line to ``height`` keeping its aspect ratio; squeeze it
    horizontally only when it would be wider than ``width``.

    Returns (resized image, squeeze factor <= 1). The original cut lines at
    ``width`` and so dropped most of each sentence while keeping its label.
    """
    new_w, factor = fitted_width(img.shape, width, height)
    return cv2.resize(img, (new_w, height), interpolation=cv2.INTER_CUBIC), factor


def normalize_contrast(img):
    """Stretch gray levels to the full 0..255 range (uint8), like the original."""
    return cv2.normalize(img, None, alpha=0, beta=255, norm_type=cv2.NORM_MINMAX, dtype=cv2.CV_8U)


def pad_to_width(img, width, value=0):
    """Pad on the right to ``width`` columns; (H, W) becomes (H, width, C)."""
    if img.ndim == 2:
        img = img[:, :, None]
    out = np.full((img.shape[0], width, img.shape[2]), value, dtype=img.dtype)
    out[:, :img.shape[1]] = img
    return out


def prepare_line(img, width, height):
    """A decoded line image fitted to the input: (height, width, C) uint8 and
    its squeeze factor. uint8 keeps the decoded-line cache 4x smaller."""
    resized, factor = fit_to_input(img, width, height)
    if resized.ndim == 2:
        resized = normalize_contrast(resized)
    return pad_to_width(resized, width), factor


def fitted_line(path, width, height, grayscale=True):
    """One image file as a model input row (width, height, C) uint8, and the
    number of columns its line fills (the rest is padding)."""
    img = read_image(path, grayscale)
    line, _ = prepare_line(img, width, height)
    return line.transpose(1, 0, 2), fitted_width(img.shape, width, height)[0]


def load_input(path, width, height, grayscale=True):
    """One image file as a model input row (width, height, C), float 0..255."""
    return fitted_line(path, width, height, grayscale)[0].astype(np.float32)


# Input widths for lines of any length (a model built with width None): a line
# goes to the narrowest that holds it unsqueezed; the training buckets, then
# wider steps for long lines. Wider than the last: squeezed into it.
INFERENCE_WIDTHS = (64, 128, 192, 256, 320, 384, 512, 640, 768, 1024, 1280, 1536, 2048)


def inference_width(shape, height, widths=INFERENCE_WIDTHS):
    """The input width for an image of ``shape`` (H, W, ...) at ``height``."""
    natural = fitted_width(shape, 1 << 30, height)[0]
    return next((w for w in widths if w >= natural), widths[-1])


def load_inputs_any_width(paths, height, grayscale=True, widths=INFERENCE_WIDTHS, on_error=None):
    """Model input rows for the line images at ``paths``, grouped by width:
    {width: (positions in ``paths``, float32 rows (n, width, height, C))}.
    ``widths=(w,)``: one fixed width (longer lines squeezed into it).
    ``on_error(position, ImageReadError)`` skips an unreadable file; without
    it the error is raised."""
    widths = widths or INFERENCE_WIDTHS
    groups = {}
    for j, path in enumerate(paths):
        try:
            img = read_image(path, grayscale)
        except ImageReadError as e:
            if on_error is None:
                raise
            on_error(j, e)
            continue
        width = inference_width(img.shape, height, widths) if len(widths) > 1 else widths[0]
        row = prepare_line(img, width, height)[0].transpose(1, 0, 2)
        groups.setdefault(width, ([], []))
        groups[width][0].append(j)
        groups[width][1].append(row)
    return {w: (pos, np.stack(rows).astype(np.float32)) for w, (pos, rows) in sorted(groups.items())}


def squeeze_factors(image_sizes, width, height):
    """Squeeze factor each line will get, from its (width, height)."""
    sizes = np.asarray(image_sizes, dtype=np.float64).reshape(-1, 2)
    fitted = np.round(height * sizes[:, 0] / np.maximum(sizes[:, 1], 1))
    return np.minimum(1.0, width / np.maximum(fitted, 1))


class LabelTable:
    """Every sample's label encoded once, with the CTC feasibility check.

    A label is infeasible when it is longer than ``max_string_len`` or needs
    more than ``time_steps`` frames (length + repeated neighbours).
    """

    def __init__(self, texts, charset, max_string_len, time_steps=None, unknown=' '):
        time_steps = time_steps or max_string_len
        index = char_index(charset)
        self.labels = np.full((len(texts), max_string_len), -1, dtype=np.float32)
        self.lengths = np.zeros(len(texts), dtype=np.int32)
        self.feasible = np.zeros(len(texts), dtype=bool)
        self.unknown_chars, self.infeasible = Counter(), []
        for k, text in enumerate(texts):
            ids, missing = encode_label(text, index, unknown)
            self.unknown_chars.update(missing)
            need = ctc_min_steps(ids)
            if len(ids) == 0 or len(ids) > max_string_len or need > time_steps:
                self.infeasible.append((k, text, need))
                continue
            self.feasible[k] = True
            self.labels[k, :len(ids)] = ids
            self.lengths[k] = len(ids)
        self.unknown = unknown

    def report(self, time_steps):
        lines = []
        if self.unknown_chars:
            what = 'replaced by %r' % self.unknown if self.unknown is not None else 'dropped'
            lines.append('%d characters not in the charset %s: %s'
                         % (sum(self.unknown_chars.values()), what, describe_chars(self.unknown_chars)))
        if self.infeasible:
            ex = '; '.join('%r needs %d' % (t[:30], n) for _, t, n in self.infeasible[:3])
            lines.append('excluded %d samples whose label does not fit %d CTC time steps (e.g. %s)'
                         % (len(self.infeasible), time_steps, ex))
        return lines


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


CACHE_LIMIT = 4 << 30


class LineCache:
    """Fitted uint8 input rows by dataset index, read from disk on first use.

    np.zeros memory is only committed as rows are filled, so a cache that is
    never completed costs only what was read. Threads share it safely: two
    threads filling the same row write the same bytes.
    """

    def __init__(self, gt_util, input_size, grayscale=True, cache='auto', threads=1):
        self.gt_util, self.input_size, self.grayscale = gt_util, tuple(input_size), grayscale
        self.threads = max(1, int(threads))
        self._pool = None
        width, height = self.input_size
        shape = (gt_util.num_samples, width, height, 1 if grayscale else 3)
        self.row_shape = shape[1:]
        self.bad = {}
        nbytes = int(np.prod(shape))
        self.enabled = nbytes <= CACHE_LIMIT if cache == 'auto' else bool(cache)
        self.rows = np.zeros(shape, np.uint8) if self.enabled else None
        self.widths = np.zeros(shape[0], np.int32) if self.enabled else None
        self.filled = np.zeros(shape[0], bool) if self.enabled else None

    def read(self, k):
        """Sample ``k`` as a fitted row and the columns its line fills (fitted_line)."""
        gtu = self.gt_util
        width, height = self.input_size
        return fitted_line(os.path.join(gtu.image_path, gtu.image_names[k]), width, height, self.grayscale)

    def __getstate__(self):  # worker processes start their own thread pool
        return {**self.__dict__, '_pool': None}

    def _read_or_none(self, k):
        """A row, or None for an unreadable file, which is reported once and
        remembered (a half-million-file dataset always has a few)."""
        if k in self.bad:
            return None
        try:
            return self.read(k)
        except ImageReadError as e:
            self.bad[k] = str(e)
            print('WARNING: skipping sample %d: %s (%d unreadable so far)' % (k, e, len(self.bad)),
                  file=sys.stderr, flush=True)
            return None

    def _read_all(self, idx):
        """Rows of ``idx`` in order; OpenCV releases the GIL, so threads decode in parallel."""
        return self.map(self._read_or_none, idx)

    def batch(self, idx):
        """Input rows of samples ``idx`` as uint8 (len(idx), width, height, C),
        the columns each line fills, and the mask of samples that could be read."""
        if not self.enabled:
            rows = self._read_all(idx)
            ok = np.array([r is not None for r in rows])
            images = np.zeros((len(idx),) + self.row_shape, np.uint8)
            widths = np.zeros(len(idx), np.int32)
            for j in np.flatnonzero(ok):
                images[j], widths[j] = rows[j]
            return images, widths, ok
        missing = np.unique(idx[~self.filled[idx]])
        for k, row in zip(missing, self._read_all(missing)):
            if row is not None:
                self.rows[k], self.widths[k] = row
                self.filled[k] = True
        return self.rows[idx], self.widths[idx], self.filled[idx]

    def map(self, fn, items):
        """``[fn(x) for x in items]`` on the decoding threads."""
        if self.threads == 1 or len(items) < 2:
            return [fn(x) for x in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix='crnn-decode')
        chunks = np.array_split(np.arange(len(items)), min(self.threads, len(items)))
        return [y for ys in self._pool.map(lambda c: [fn(items[j]) for j in c], chunks) for y in ys]


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
    """

    def __init__(self, gt_util, batch_size, alphabet, input_size=(256, 32), grayscale=True,
                 max_string_len=62, concatenate=False, seed=1337, unknown=' ', cache='auto',
                 threads=None, augment=None, workers=1, use_multiprocessing=False, max_queue_size=10,
                 verbose=True, buckets=None, steps=None):
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
        (one replica's share under tf.distribute, see utils/distribute.py)."""
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
