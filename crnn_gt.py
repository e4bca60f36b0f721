"""Ground truth of AI Hub's '한국어 글자체 이미지' data: BaseGTUtility and GTUtility.

Re-exported by crnn_data, where the original project kept them; this module
only reads and splits annotations, it never decodes an image.
"""

import gc
import json
import os
from collections import Counter

import numpy as np

from utils.cli import comma_list

TYPE_ALIASES = {'sentence': '문장', 'word': '단어(어절)', 'syllable': '글자(음절)'}
DEFAULT_TYPES = ('문장',)


class DataError(ValueError):
    """A user's data is malformed: the message names the file and the entry."""


class BaseGTUtility:
    """A list of text-line samples: image file names, boxes and texts.

    Like ssd_detectors' BaseGTUtility, ``data[i]`` holds one box per text
    ``[xmin, ymin, xmax, ymax, class]`` and ``text[i]`` the matching strings.
    """

    def __init__(self, gt_path='', image_path='', image_names=(), data=(), text=(), image_sizes=None):
        self.gt_path = gt_path
        self.image_path = image_path
        self.classes = ['Background', 'Text']
        self.image_names = list(image_names)
        self.data = list(data)
        self.text = list(text)
        self.image_sizes = None if image_sizes is None else np.asarray(image_sizes, dtype=np.int64).reshape(-1, 2)
        self.init()

    def init(self):
        self.num_classes = len(self.classes)
        self.num_samples = len(self.image_names)
        self.num_images = len(self.data)
        self.num_objects = int(sum(len(d) for d in self.data))
        if self.num_samples == 0:
            print('WARNING: empty dataset')

    def __str__(self):
        return '%-16s %8i\n%-16s %8i\n' % ('images', self.num_images, 'objects', self.num_objects)

    def _select(self, idx):
        sizes = None if self.image_sizes is None else self.image_sizes[idx]
        return BaseGTUtility(self.gt_path, self.image_path, [self.image_names[i] for i in idx],
                             [self.data[i] for i in idx], [self.text[i] for i in idx], sizes)

    def subset(self, start_idx=0, end_idx=None):
        return self._select(range(self.num_samples)[start_idx:end_idx])

    def split(self, split=0.8, seed=None):
        """(train, val): the first ``split`` part and the rest, in file order as
        the original; with ``seed``, a seeded random split instead."""
        n = int(round(split * self.num_samples))
        idx = np.arange(self.num_samples)
        if seed is not None:
            idx = np.random.default_rng(seed).permutation(self.num_samples)
        return self._select(idx[:n]), self._select(idx[n:])

    def merge(self, other):
        """One set from two; image names become relative to a common folder."""
        root = os.path.commonpath([os.path.abspath(self.image_path), os.path.abspath(other.image_path)])

        def rel(gtu):
            prefix = os.path.relpath(os.path.abspath(gtu.image_path), root)
            return [os.path.normpath(os.path.join(prefix, n)) for n in gtu.image_names]
        sizes = None
        if self.image_sizes is not None and other.image_sizes is not None:
            sizes = np.concatenate([self.image_sizes, other.image_sizes])
        return BaseGTUtility(self.gt_path, root, rel(self) + rel(other), self.data + other.data,
                             self.text + other.text, sizes)

    def sample(self, fraction, seed=0):
        """A seeded random ``fraction`` of the samples (``--mix``), in file order."""
        k = int(round(fraction * self.num_samples))
        return self._select(np.sort(np.random.default_rng(seed).permutation(self.num_samples)[:k]))

    def texts(self):
        """The first text of each sample (one line per image)."""
        return [t[0] for t in self.text]

    def width_report(self, height=32):
        """Distribution of line widths at ``height`` (aspect ratio x height)."""
        widths = height * self.image_sizes[:, 0] / np.maximum(self.image_sizes[:, 1], 1)
        q = np.percentile(widths, [50, 90, 95, 99])
        return ('line width at height %d: median %.0f, 90%% %.0f, 95%% %.0f, 99%% %.0f, max %.0f px'
                % ((height,) + tuple(q) + (widths.max(),)))

    def input_width(self, height=32, coverage=0.95, multiple=8):
        """Input width that holds ``coverage`` of the lines at ``height``
        without squeezing, rounded up to a multiple of ``multiple``."""
        if self.image_sizes is None or not len(self.image_sizes):
            raise ValueError('no image sizes known for this dataset')
        widths = height * self.image_sizes[:, 0] / np.maximum(self.image_sizes[:, 1], 1)
        w = float(np.quantile(widths, coverage, method='higher'))
        return int(np.ceil(w / multiple) * multiple)


def normalize_types(types):
    """None/'all' -> None (keep all); 'sentence' or '문장' -> ('문장',)."""
    if types is None:
        return None
    if isinstance(types, str):
        types = comma_list(types)
    if 'all' in types:
        return None
    return tuple(TYPE_ALIASES.get(t, t) for t in types)


def load_json(path):
    """json.load with an error that names the file and the position.

    The cyclic garbage collector is paused while millions of small dicts are
    made (they hold no cycles): a quarter of the load time at AI Hub's scale.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError('annotation file not found: %s' % path) from None
    except json.JSONDecodeError as e:
        raise DataError('%s is not valid JSON: %s (line %d, column %d)' % (path, e.msg, e.lineno, e.colno)) from None
    except UnicodeDecodeError as e:
        raise DataError('%s is not UTF-8 text: %s' % (path, e)) from None
    finally:
        if enabled:
            gc.enable()


def _require(entry, keys, where):
    if not isinstance(entry, dict):
        raise DataError('%s: expected an object, got %r' % (where, entry))
    for k in keys:
        if k not in entry:
            raise DataError('%s: missing key %r in %s' % (where, k, json.dumps(entry, ensure_ascii=False)[:200]))


def _index_images(entries, json_path):
    """{id: image entry}; the per-entry checks run only when the fast path fails."""
    try:
        images = {img['id']: img for img in entries if 'file_name' in img}
    except (KeyError, TypeError):
        images = None
    if images is None or len(images) != len(entries):
        images = {}
        for k, img in enumerate(entries):
            _require(img, ('id', 'file_name'), '%s images[%d]' % (json_path, k))
            if img['id'] in images:
                raise DataError('%s images[%d]: duplicate image id %r' % (json_path, k, img['id']))
            images[img['id']] = img
    return images


def _check_annotation_ids(entries, json_path):
    ids = [ann.get('id') for ann in entries]
    present = [i for i in ids if i is not None]
    if len(set(present)) != len(present):
        seen = set()
        for k, i in enumerate(ids):
            if i is not None and i in seen:
                raise DataError('%s annotations[%d]: duplicate annotation id %r' % (json_path, k, i))
            seen.add(i)


def join_annotations(gt, json_path, types):
    """(rows, unannotated): rows (image entry, text, type) in image order,
    joined by id in one pass, and the ids of images without an annotation."""
    for key in ('images', 'annotations'):
        if not isinstance(gt, dict) or not isinstance(gt.get(key), list):
            raise DataError('%s: missing list %r (AI Hub schema: info, images, annotations, licenses)'
                            % (json_path, key))
    images = _index_images(gt['images'], json_path)
    by_image = {}
    for k, ann in enumerate(gt['annotations']):
        try:
            image_id, text = ann['image_id'], ann['text']
        except (KeyError, TypeError):
            _require(ann, ('image_id', 'text'), '%s annotations[%d]' % (json_path, k))
        if image_id not in images or image_id in by_image or not isinstance(text, str) or not text.strip():
            where = '%s annotations[%d]' % (json_path, k)
            if image_id not in images:
                raise DataError('%s: image_id %r has no entry in "images"' % (where, image_id))
            if image_id in by_image:
                raise DataError('%s: image %r already has an annotation' % (where, image_id))
            raise DataError('%s: empty or non-string text %r (image %r)' % (where, text, image_id))
        attributes = ann.get('attributes')
        by_image[image_id] = (text, attributes.get('type') if attributes else None)
    _check_annotation_ids(gt['annotations'], json_path)
    rows, unannotated = [], []
    for img_id, img in images.items():
        row = by_image.get(img_id)
        if row is None:
            unannotated.append(img_id)
        elif types is None or row[1] in types:
            rows.append((img, row[0], row[1]))
    return rows, unannotated


class GTUtility(BaseGTUtility):
    """AI Hub '한국어 글자체 이미지' annotations (printed or handwriting).

    # Arguments
        data_path: folder with the JSON file and the image folder.
        json_file: annotation file inside ``data_path`` (or an absolute path).
        image_dir: image folder inside ``data_path``.
        types: annotation types to keep: '문장' (default), '단어(어절)',
            '글자(음절)', English aliases, a list, or 'all'/None.
        validation, polygon, only_with_label: accepted for the original's
            call signature; they change nothing.
    """

    def __init__(self, data_path='.', validation=False, polygon=False, only_with_label=True,
                 json_file='korean_printed_sentence.json', image_dir='printed', types=DEFAULT_TYPES,
                 verbose=True):
        json_path = os.path.join(data_path, json_file)
        image_path = os.path.join(data_path, image_dir)
        if not os.path.isdir(data_path):
            raise DataError('data folder not found: %s (give --data-dir the folder that holds %s and %s/)'
                            % (data_path, json_file, image_dir))
        if not os.path.isdir(image_path):
            missing = [n for n, ok in ((json_file, os.path.isfile(json_path)), (image_dir + '/', False)) if not ok]
            raise DataError('image folder not found: %s (data folder %s lacks %s)'
                            % (image_path, data_path, ' and '.join(missing)))
        try:
            present = set(os.listdir(image_path))
        except OSError as e:
            raise DataError('image folder %s cannot be read: %s' % (image_path, e.strerror)) from None
        self.types = normalize_types(types)
        rows, self.unannotated = join_annotations(load_json(json_path), json_path, self.types)
        missing = [img['file_name'] for img, _, _ in rows if img['file_name'] not in present]
        missing_set = set(missing)
        rows = [r for r in rows if r[0]['file_name'] not in missing_set]
        super().__init__(data_path, image_path,
                         [img['file_name'] for img, _, _ in rows],
                         [np.array([[0, 0, 1, 1, 1]], dtype=np.float64) for _ in rows],
                         [[text] for _, text, _ in rows],
                         [(img.get('width', 0), img.get('height', 0)) for img, _, _ in rows])
        self.json_path = json_path
        self.ids = [img['id'] for img, _, _ in rows]
        self.type_counts = Counter(kind for _, _, kind in rows)
        self.missing_images = missing
        if verbose:
            print(self.summary())
        if self.num_samples == 0:
            raise DataError('%s: no usable %s entries (types %s, %d with missing image files)'
                            % (json_path, 'annotation', self.types or 'all', len(missing)))

    def summary(self):
        kept = ', '.join('%s %d' % kv for kv in self.type_counts.items())
        s = 'GTUtility: %d samples from %s (%s)' % (self.num_samples, self.json_path, kept)
        if self.missing_images:
            s += '; skipped %d entries whose image is missing in %s (e.g. %s)' % (
                len(self.missing_images), self.image_path, ', '.join(self.missing_images[:3]))
        if self.unannotated:
            s += '; skipped %d images without an annotation (e.g. id %s)' % (
                len(self.unannotated), ', '.join(map(str, self.unannotated[:3])))
        return s


def load_sources(data_dir, json_files, image_dirs, types=DEFAULT_TYPES):
    """GTUtility for each JSON file (comma list) with its image folder (a
    comma list of as many, or one for all): printed, handwriting and
    converted data alike."""
    json_files, image_dirs = comma_list(json_files), comma_list(image_dirs)
    if len(image_dirs) == 1:
        image_dirs = image_dirs * len(json_files)
    if not json_files or len(image_dirs) != len(json_files):
        raise ValueError('%d JSON files but %d image folders: give one folder per JSON file, or one for all'
                         % (len(json_files), len(image_dirs)))
    return [GTUtility(data_dir, json_file=j, image_dir=d, types=types) for j, d in zip(json_files, image_dirs)]


def merge_all(gt_utils):
    """One set from several (the original's merge); a single set stays as it is."""
    merged = gt_utils[0]
    for other in gt_utils[1:]:
        merged = merged.merge(other)
    return merged


def split_sources(sources, split=0.8, seed=None):
    """(train, val) over several sources, each split on its own so that the
    validation set holds every source; prints the per-source counts."""
    parts = [s.split(split, seed) for s in sources]
    if len(sources) > 1:
        for s, (train, val) in zip(sources, parts):
            print('source %s: %d lines (train %d, validation %d)' % (s.json_path, s.num_samples, train.num_samples,
                                                                    val.num_samples))
    return merge_all([t for t, _ in parts]), merge_all([v for _, v in parts])
