"""A user's own lines: a ``file<TAB>text`` label file turned into AI Hub's layout.

The label file is the format most OCR tools read and write (CRNN_predict.py
prints it too): one line per image, the image path relative to the label
file, a tab, the text. The converted folder holds a JSON file in AI Hub's
schema and a copy of the images, so GTUtility and every command read it as
they read AI Hub's data.
"""

import json
import os
import shutil
from collections import Counter

from crnn_gt import DataError
from crnn_utils import char_index
from utils.atomic import atomic_path

MAX_REPORTED = 20


def read_label_file(path):
    """[(line number, image path, text)] from a label file; every bad line is
    collected and reported together with its line number (DataError). Image
    paths are relative to the label file's folder or, failing that, to the
    current folder (so ``CRNN_predict.py ... > labels.txt`` round-trips)."""
    try:
        with open(path, 'rb') as f:
            raw = f.read().splitlines()
    except OSError as e:
        raise DataError('cannot read label file %s: %s' % (path, e.strerror or e)) from None
    base = os.path.dirname(os.path.abspath(path))
    entries, problems, seen = [], [], {}
    for n, line in enumerate(raw, 1):
        try:
            line = line.decode('utf-8-sig' if n == 1 else 'utf-8')
        except UnicodeDecodeError as e:
            problems.append('%s:%d: not UTF-8 (%s)' % (path, n, e.reason))
            continue
        if not line.strip():
            continue
        if '\t' not in line:
            problems.append("%s:%d: expected 'file<TAB>text', found no tab: %r" % (path, n, line[:60]))
            continue
        name, text = line.split('\t', 1)
        name, text = name.strip(), text.strip()
        why = ('no image path' if not name else 'no text' if not text else
               'more than one tab' if '\t' in text else None)
        image = os.path.normpath(os.path.join(base, name))
        if why is None and not os.path.isfile(image) and not os.path.isabs(name) and os.path.isfile(name):
            image = os.path.abspath(name)  # a path as CRNN_predict.py printed it, relative to this folder
        if why is None and not os.path.isfile(image):
            why = 'image not found: %s (paths are read relative to the label file, then to the current folder)' \
                % os.path.normpath(os.path.join(base, name))
        if why is None and image in seen:
            why = 'image %s already labelled on line %d' % (name, seen[image])
        if why:
            problems.append('%s:%d: %s' % (path, n, why))
            continue
        seen[image] = n
        entries.append((n, image, text))
    if problems:
        more = '' if len(problems) <= MAX_REPORTED else '\n  ... and %d more' % (len(problems) - MAX_REPORTED)
        raise DataError('%d bad lines in %s:\n  %s%s' % (len(problems), path, '\n  '.join(problems[:MAX_REPORTED]),
                                                         more))
    if not entries:
        raise DataError('%s: no labelled images' % path)
    return entries


def missing_chars(texts, charset):
    """Counter of the characters of ``texts`` that ``charset`` cannot encode."""
    known = char_index(charset)
    return Counter(c for t in texts for c in t if c not in known)


def convert_label_file(label_file, out_dir, json_name='custom_lines.json', image_dir='images'):
    """Write ``out_dir`` with ``json_name`` (AI Hub schema, type 문장) and
    ``image_dir`` (the images, renamed 00000001.png ...). Nothing is left
    behind when an image cannot be decoded or the folder cannot be written."""
    from crnn_lines import read_image
    if os.path.exists(out_dir):
        raise DataError('%s already exists: choose another --out or remove it' % out_dir)
    entries = read_label_file(label_file)
    tmp = atomic_path(os.path.abspath(out_dir))
    try:
        os.makedirs(os.path.join(tmp, image_dir))
        images, annotations = [], []
        for k, (n, src, text) in enumerate(entries, 1):
            try:
                h, w = read_image(src).shape[:2]
            except DataError as e:
                raise DataError('%s:%d: %s' % (label_file, n, e)) from None
            image_id = '%08d' % k
            name = image_id + os.path.splitext(src)[1].lower()
            shutil.copyfile(src, os.path.join(tmp, image_dir, name))
            images.append({'id': image_id, 'width': w, 'height': h, 'file_name': name,
                           'source': os.path.relpath(src, os.path.dirname(os.path.abspath(label_file)))})
            annotations.append({'id': image_id, 'image_id': image_id, 'text': text,
                                'attributes': {'type': '문장', 'source': 'label file'}})
        gt = {'info': {'name': 'converted from %s' % os.path.basename(label_file)}, 'images': images,
              'annotations': annotations, 'licenses': []}
        with open(os.path.join(tmp, json_name), 'w', encoding='utf-8') as f:
            json.dump(gt, f, ensure_ascii=False, indent=0)
        os.rename(tmp, out_dir)
    except OSError as e:
        raise OSError('cannot write %s: %s' % (out_dir, e.strerror or e)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [text for _, _, text in entries]
