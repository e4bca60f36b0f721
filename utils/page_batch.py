"""Whole folders of pages into a folder of results (CRNN_predict.py --page --out-dir).

Each page of each input file gets ``<stem>.p<n>.txt`` (its lines) and
``<stem>.p<n>.json`` (boxes, confidences, skew, turn), written atomically;
``<stem>`` is the file's path under the folder it was found in, '/' made '__'.
A file whose pages are all written is skipped on a rerun; an unreadable file
is reported and the rest are read; a summary line ends the run.
"""
import json
import os
import sys
import time

from utils.atomic import write_text_atomic


def output_stem(path, root, out_dir):
    """out_dir/<path relative to root, '/' -> '__', extension dropped>."""
    rel = os.path.relpath(path, root) if root else os.path.basename(path)
    return os.path.join(out_dir, os.path.splitext(rel)[0].replace(os.sep, '__'))


def already_read(stem):
    """Whether every page of the file behind ``stem`` was written by an earlier run."""
    first = stem + '.p1.json'
    if not os.path.exists(first):
        return False
    try:
        with open(first, encoding='utf-8') as f:
            pages = json.load(f)['pages_in_file']
    except (OSError, ValueError, KeyError):
        return False
    return all(os.path.exists('%s.p%d.json' % (stem, n)) and os.path.exists('%s.p%d.txt' % (stem, n))
               for n in range(1, pages + 1))


def read_to_folder(files, out_dir, read_file, read_lines, min_confidence=0.0, stream=sys.stderr):
    """Read ``files`` ([(path, root)]) into ``out_dir``: ``read_file(path) ->
    gray pages`` (raises ValueError for an unreadable file), ``read_lines(gray)
    -> (lines, skew, turn)``. Returns the summary counts."""
    from tqdm import tqdm
    from crnn_page import page_record
    os.makedirs(out_dir, exist_ok=True)
    done = dict(files=0, skipped=0, failed=0, pages=0, lines=0, low=0)
    start = time.time()
    bar = tqdm(files, unit='file', file=stream, disable=len(files) < 2)
    for path, root in bar:
        stem = output_stem(path, root, out_dir)
        if already_read(stem):
            done['skipped'] += 1
            continue
        try:
            grays = read_file(path)
        except ValueError as e:
            bar.write('error: %s' % e, file=stream)
            done['failed'] += 1
            continue
        for n, gray in enumerate(grays, 1):
            lines, angle, turn = read_lines(gray)
            record = dict(page_record(path, n, gray.shape, lines, angle, turn), pages_in_file=len(grays))
            write_text_atomic('%s.p%d.txt' % (stem, n), ''.join(line.text + '\n' for line in lines))
            write_text_atomic('%s.p%d.json' % (stem, n), json.dumps(record, ensure_ascii=False, indent=1))
            done['pages'] += 1
            done['lines'] += len(lines)
            done['low'] += sum(line.confidence < min_confidence for line in lines)
        done['files'] += 1
        bar.set_postfix_str('%.2f pages/s' % (done['pages'] / max(1e-9, time.time() - start)))
    bar.close()
    print('read %d pages (%d lines) of %d files into %s; %d files already read skipped, %d unreadable%s'
          % (done['pages'], done['lines'], done['files'], out_dir, done['skipped'], done['failed'],
             '; %d lines under confidence %g' % (done['low'], min_confidence) if min_confidence else ''),
          file=stream, flush=True)
    return done
