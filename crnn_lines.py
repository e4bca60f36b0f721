"""Line images for the CRNN without Keras: read a line image, fit it to the
input, encode its label, cache decoded lines, group lines by width.

The original's single ``generate()`` is split into stages, each usable alone:
``read_image`` -> ``fit_to_input`` -> ``encode_label`` (crnn_utils); crnn_data
batches them for Keras. This module does not import Keras, so text and image
tools stay light.
"""

import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from crnn_gt import DataError
from crnn_utils import char_index, ctc_min_steps, describe_chars, encode_label


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


BLANK_CONTRAST = 32  # gray levels between paper and the darkest pixel: less is no ink at all
BLANK_INK = 0.002  # share of a line's pixels that must be ink


def is_blank(img):
    """Whether a line image holds no text to read: flat, or almost no pixel clearly darker than its paper
    (contrast stretching would turn its noise into strokes the model reads as characters)."""
    img = np.asarray(img)
    if img.ndim == 3:
        img = img.mean(axis=2)
    if img.size == 0:
        return True
    paper, darkest = float(np.percentile(img, 90)), float(img.min())
    if paper - darkest < BLANK_CONTRAST:
        return True
    return np.count_nonzero(img < paper - BLANK_CONTRAST) < BLANK_INK * img.size


def group_by_width(images, height, widths=INFERENCE_WIDTHS, blank=None):
    """Model input rows for (position, decoded line image) pairs, grouped by
    input width: {width: (positions, float32 rows (n, width, height, C))}.
    ``widths=(w,)``: one fixed width (longer lines squeezed into it).
    ``blank``: a list that takes the positions of blank images (is_blank),
    which are left out."""
    widths = widths or INFERENCE_WIDTHS
    groups = {}
    for j, img in images:
        if blank is not None and is_blank(img):
            blank.append(j)
            continue
        width = inference_width(img.shape, height, widths) if len(widths) > 1 else widths[0]
        groups.setdefault(width, ([], []))
        groups[width][0].append(j)
        groups[width][1].append(prepare_line(img, width, height)[0].transpose(1, 0, 2))
    return {w: (pos, np.stack(rows).astype(np.float32)) for w, (pos, rows) in sorted(groups.items())}


def load_inputs_any_width(paths, height, grayscale=True, widths=INFERENCE_WIDTHS, on_error=None, blank=None):
    """group_by_width of the line images at ``paths`` (positions in ``paths``).
    ``on_error(position, ImageReadError)`` skips an unreadable file; without
    it the error is raised. ``blank``: as group_by_width's."""
    def readable():
        for j, path in enumerate(paths):
            try:
                yield j, read_image(path, grayscale)
            except ImageReadError as e:
                if on_error is None:
                    raise
                on_error(j, e)
    return group_by_width(readable(), height, widths, blank)


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
