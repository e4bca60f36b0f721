#!/usr/bin/env python
"""Recognize text-line images with a trained CRNN, or evaluate it on a dataset.

    python CRNN_predict.py line1.png scans/lines/          (the shipped model)
    python CRNN_predict.py --run checkpoints/<run> line1.png scans/lines/
    python CRNN_predict.py --weights w.h5 --charset charset.json --output out.csv images/
    python CRNN_predict.py --run checkpoints/<run> --data-dir . --types 문장
    python CRNN_predict.py --run checkpoints/<run> --export exported/
    python CRNN_predict.py --page scan.png contract.pdf --output page.json --overlay boxes.png

Recognition prints ``path<TAB>text`` per readable image; each unreadable one is
an 'error:' line on stderr, and any makes the exit status 2. Evaluation prints
which lines it scored (a run's own data: its validation split unless --split
says otherwise), then CER, NED (edit distance / the longer of the two strings,
in [0, 1]) and line accuracy; its last line is ``CER <x> NED <y> ACC <z>``.
--page reads whole pages (crnn_page.py): the text of each, one detected line
per output line in reading order (several pages: each after a '# <file> page
<n>' line).
"""

import argparse
import csv
import json
import os
import sys

from crnn_reader import recognize
from utils.lm import DEFAULT_DECODING, DEFAULT_LM, LANGUAGE_MODELS

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def width_arg(value):
    """'any' -> 0 (per-line widths), else a positive pixel count."""
    if value == 'any':
        return 0
    if not value.isdigit() or int(value) < 16:
        raise argparse.ArgumentTypeError("give 'any' or a width in pixels (>= 16), not %r" % value)
    return int(value)


def workers_arg(value):
    if value == 'auto':
        return value
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("give 'auto' or a number of processes (>= 1), not %r" % value)
    return int(value)


def parse_args(argv=None):
    from crnn_reader import AUTO_WORKERS_PAGES
    from utils.cli import HelpFormatter
    from utils.weights.load import SHIPPED_WEIGHTS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    a = p.add_argument
    a('inputs', nargs='*', help='image files or folders (one text line per image)')
    a('--run', help='run folder: checkpoints/<time>_<experiment>/ (default: the shipped model, %s)'
      % os.path.basename(SHIPPED_WEIGHTS))
    a('--weights', help='.h5 weights (default: the run\'s final_weights.h5, or the shipped model\'s)')
    a('--charset', help='charset.json (default: the run\'s, or the shipped model\'s)')
    a('--width', type=width_arg, help="input width: 'any' (each line the width that holds it), or pixels "
      "(lines squeezed to fit); default: the run's own, 'any' for a weights file")
    a('--height', type=int, default=32, help='input height in pixels (the CRNN needs 32)')
    a('--batch-size', type=int, default=64, help='lines per prediction batch')
    a('--beam-width', type=int, default=0, help='beam width (0: 8 with --lm, else greedy)')
    a('--lm', nargs='?', const=DEFAULT_LM, default=DEFAULT_DECODING, choices=sorted(LANGUAGE_MODELS),
      help="decode the lines the recognizer is unsure of (a frame under utils.lm.GATE) with a language model: kiwi "
      "(Kiwi's model of general Korean rescoring the CTC beam's readings; kiwipiepy) or ngram (a syllable n-gram of "
      "the repo's training text inside the beam search); confident lines keep their greedy reading. Default: %s "
      "(BENCHMARKS.md, sections 'lm' and 'page_sets')" % (DEFAULT_DECODING or 'greedy'))
    a('--no-lm', dest='lm', action='store_const', const=None, help='greedy decoding of every line')
    a('--output', help='also write results to a .csv or .json file, or a label file (.txt/.tsv: path<TAB>text with '
      'paths relative to it, for CRNN_labels.py)')
    a('--data-dir', help='evaluate on an AI-Hub-format dataset instead')
    a('--json', default='korean_printed_sentence.json', help='annotation file in --data-dir')
    a('--image-dir', default='printed', help='image folder in --data-dir')
    a('--types', default='문장', help="annotation types to score: 문장 (sentence), 단어(어절) (word), 글자(음절) "
      "(syllable), a comma list, or 'all'")
    a('--split', choices=['val', 'train', 'all'], help="with --run: which of the run's splits of --data-dir to score "
      "(default: val when --data-dir/--json/--image-dir are the run's own data, else all)")
    a('--export', metavar='DIR', help='export the model (SavedModel and ONNX, charset beside) to DIR instead')
    a('--formats', default='saved_model,onnx', help='export formats: saved_model, onnx, h5 (CRNN_weights_<name>.h5 in '
      "Keras 2's layout, float16, with CRNN_charset_<name>.json: how the shipped model is made)")
    a('--name', default='model', help='with --formats h5: the <name> of the weights and charset files')
    a('--precision', choices=['auto', 'float32', 'mixed_bfloat16', 'int8'], default='auto',
      help='compute dtype of recognition (export is always float32); auto: bf16 where the hardware computes it '
      'natively, as in training (speed: BENCHMARKS.md, section vs_original); int8: the onnx engine with its '
      'convolutions quantized (built once from the float graph): faster, a little less accurate (BENCHMARKS.md, '
      'section int8)')
    a('--page', action='store_true', help='the inputs are pages (PNG/JPG/TIFF/PDF): find their text lines and '
      'print each page as text')
    a('--dpi', type=int, default=150, help='with --page: resolution PDF pages are rendered at')
    a('--workers', type=workers_arg, default='auto', help='with --page: processes reading pages at once, each with '
      "its own recognizer on its share of the cores; auto: one per core from %d pages on, else one (the onnx "
      'engine; speed: BENCHMARKS.md, section engine)' % AUTO_WORKERS_PAGES)
    a('--overlay', metavar='PNG', help='with --page: the page with its line boxes and, beside it, the text read in '
      'each, into this PNG (several pages: _<n> added to the name)')
    a('--cells', action='store_true', help="with --page: print ' | ' between a ruled table's cells (by default a "
      "row reads as one line of text; the --output JSON always holds each cell with its row and column)")
    a('--tsv', action='store_true', help='with --page: print each line as confidence<TAB>text (confidence 0..1: the '
      'mean probability of the characters read)')
    a('--min-confidence', type=float, default=0.0, help='with --page: lines read with a lower confidence are marked '
      "with a leading '? ' (or left out with --drop-low) and counted on stderr; 0: off")
    a('--drop-low', action='store_true', help='with --min-confidence: leave low-confidence lines out of the text')
    a('--out-dir', metavar='DIR', help='with --page: read the files and folders (and their subfolders) into DIR, one '
      '.txt and one .json per page; files already read there are skipped on a rerun')
    a('--engine', choices=['auto', 'onnx', 'keras'], default='auto', help='onnx: ONNX Runtime, without importing '
      'TensorFlow (the graph is exported once per weights file and cached in ~/.cache/ocr_crnn); keras: the Keras '
      'model (with --precision); auto: onnx for models of any width, keras for a fixed-width run')
    a('--verbose', action='store_true', help="show TensorFlow's start-up log lines (hidden by default)")
    return p.parse_args(argv)


def list_images(inputs, extensions=IMAGE_EXTENSIONS):
    """Image files named or inside named folders, sorted per folder."""
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(os.path.join(item, f) for f in os.listdir(item) if f.lower().endswith(extensions))
            if not found:
                raise ValueError('no images (%s) in folder %s' % ('/'.join(extensions), item))
            paths += found
        elif os.path.isfile(item):
            paths.append(item)
        else:
            raise ValueError('no such file or folder: %s' % item)
    return paths


def write_output(path, rows, fields):
    """.json, .csv, or a label file (.txt/.tsv: path<TAB>text, the path relative
    to the output file's folder, ready to edit and give to CRNN_labels.py)."""
    if path.endswith(('.txt', '.tsv')):
        base = os.path.dirname(os.path.abspath(path))
        with open(path, 'w', encoding='utf-8') as f:
            f.writelines('%s\t%s\n' % (os.path.relpath(os.path.abspath(r[0]), base), r[-1]) for r in rows)
    elif path.endswith('.json'):
        with open(path, 'w', encoding='utf-8') as f:
            json.dump([dict(zip(fields, r)) for r in rows], f, ensure_ascii=False, indent=1)
    else:
        with open(path, 'w', encoding='utf-8', newline='') as f:
            w = csv.writer(f)
            w.writerow(fields)
            w.writerows(rows)


def overlay_path(path, number, many):
    stem, ext = os.path.splitext(path)
    return '%s_%d%s' % (stem, number, ext or '.png') if many else path


def page_files_under(inputs, extensions):
    """[(path, the folder it was found under or None)] of the page files named or inside named folders (all
    levels), sorted."""
    out = []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted((os.path.join(d, f), item) for d, _, names in os.walk(item) for f in names
                           if f.lower().endswith(extensions))
            if not found:
                raise ValueError('no pages (%s) in folder %s' % ('/'.join(extensions), item))
            out += found
        elif os.path.isfile(item):
            out.append((item, None))
        else:
            raise ValueError('%s: no such file or folder' % item)
    return out


def read_pages(args, reader):
    """--page: each page's text on stdout (or with --out-dir, files per page);
    notes and errors on stderr; exit status 2 if a file was unreadable."""
    from crnn_page import draw_overlay
    from crnn_reader import ReadError, auto_workers
    from utils.page_files import PAGE_EXTENSIONS, count_pages, read_page
    from utils.atomic import write_text_atomic

    if args.out_dir:
        from crnn_page import read_lines
        from utils.page_batch import read_to_folder
        done = read_to_folder(page_files_under(args.inputs, PAGE_EXTENSIONS), args.out_dir,
                              lambda path: read_page(path, args.dpi), lambda gray: read_lines(gray, reader.recognize),
                              args.min_confidence)
        return 2 if done['failed'] else 0
    paths, counts, failed = list_images(args.inputs, PAGE_EXTENSIONS), {}, 0
    for path in paths:
        try:
            counts[path] = count_pages(path)
        except ValueError:
            counts[path] = 0  # reading it says what is wrong, in order
    many = sum(counts.values()) > 1
    workers = auto_workers(sum(counts.values())) if args.workers == 'auto' else args.workers
    records, low, read_from = [], 0, set()
    for path, page, notes in reader.read_files(paths, workers, images=bool(args.overlay)):
        for note in notes:
            print('note: %s: %s' % (path, note), file=sys.stderr)
        if isinstance(page, ReadError):
            print('error: %s' % page, file=sys.stderr, flush=True)
            failed += 1
            read_from.discard(path)
            continue
        read_from.add(path)
        low += print_page(args, page, many)
        records.append(page.record())
        if args.overlay:
            from utils.synth.lines import BUNDLED_FONT  # here: the synthesizer's imports would slow every page
            draw_overlay(page.image, page.lines, BUNDLED_FONT).save(overlay_path(args.overlay, len(records), many))
    files = len(read_from)
    if args.output and records:
        write_text_atomic(args.output, json.dumps({'pages': records}, ensure_ascii=False, indent=1))
    if args.min_confidence:
        print('%d of %d lines read with confidence under %g (%s)' % (
            low, sum(len(r['lines']) for r in records), args.min_confidence,
            'left out' if args.drop_low else "marked '? '"), file=sys.stderr)
    if failed:
        if failed + files > 1:
            print('error: %d of %d files could not be read (listed above)' % (failed, failed + files), file=sys.stderr)
        return 2
    return 0


def print_page(args, page, many):
    """A page's notes on stderr and its lines on stdout; returns how many were under --min-confidence."""
    from crnn_page import marked_cells
    if page.turn:
        print('note: %s page %d: turned by %d degrees to read (the page lay %s)' % (
            page.source, page.number, page.turn, 'upside down' if page.turn == 180 else 'on its side'),
            file=sys.stderr)
    if many:
        print('# %s page %d' % (page.source, page.number))
    if not page.lines:
        print('note: %s page %d: no text lines found' % (page.source, page.number), file=sys.stderr)
    low = 0
    for line in page.lines:
        doubtful = line.confidence < args.min_confidence
        low += doubtful
        if doubtful and args.drop_low:
            continue
        text = marked_cells(line) if args.cells else line.text
        text = '? ' + text if doubtful else text
        print('%.3f\t%s' % (line.confidence, text) if args.tsv else text, flush=True)
    return low


def evaluation_set(args):
    """(GTUtility of the lines to score, what they are): the run's validation
    split by default when the data is the run's own, so that training lines
    are never scored by accident."""
    from crnn_gt import load_sources, merge_all, split_sources
    from utils.train.run import load_arguments
    run_args = load_arguments(args.run) if args.run and os.path.exists(os.path.join(args.run, 'args.json')) else {}
    own = bool(run_args.get('data_dir')) and all(
        str(run_args.get(k)) == str(getattr(args, k)) for k in ('json', 'image_dir')) and \
        os.path.abspath(run_args['data_dir']) == os.path.abspath(args.data_dir)
    split = args.split or ('val' if own else 'all')
    sources = load_sources(args.data_dir, args.json, args.image_dir, args.types)
    if split == 'all':
        return merge_all(sources), 'all lines'
    if not run_args:
        raise ValueError('--split %s needs --run: the split is the one the run trained with' % split)
    seed = run_args.get('seed') if run_args.get('random_split') else None
    train, val = split_sources(sources, run_args.get('split', 0.8), seed)
    return (val, "the run's validation split") if split == 'val' else (train, "the run's training split")


def main(argv=None):
    args = parse_args(argv)
    if not args.inputs and not args.data_dir and not args.export:
        raise ValueError('give image files/folders, --data-dir to evaluate, or --export DIR')
    from crnn_utils import recognition_metrics, symbol_recall
    from utils.cli import import_keras
    if args.verbose or args.export or args.engine == 'keras' or (args.beam_width and not args.lm):
        import_keras(args.verbose)  # quietly, before anything else imports TensorFlow
    if args.export:
        from utils.weights.export import export_recognizer
        from utils.weights.load import load_recognizer
        model_pred, charset, size = load_recognizer(args.run, args.weights, args.charset, args.width, args.height)
        for kind, path in export_recognizer(model_pred, charset, args.export, args.formats.split(','),
                                            args.name).items():
            print('%s\t%s' % (kind, path))
        return 0
    from crnn_reader import Reader
    reader = Reader(args.run, args.weights, args.charset, args.engine, args.precision, args.lm, args.beam_width,
                    args.batch_size, args.dpi, args.width, args.height,
                    log=lambda s: print('note: %s' % s, file=sys.stderr, flush=True))
    model_pred, charset, size = reader.model, reader.charset, reader.size
    if args.page:
        return read_pages(args, reader)
    failed = []

    def report(position, error):
        failed.append(position)
        print('error: %s' % error, file=sys.stderr, flush=True)

    if args.data_dir:
        gtu, what = evaluation_set(args)
        source = os.path.join(args.data_dir, args.json)
        paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
        preds = recognize(model_pred, charset, paths, size, args.batch_size, args.beam_width, on_error=report, lm=args.lm)
        rows = [(p, g, t) for p, g, t in zip(paths, gtu.texts(), preds) if t is not None]
        if args.output:
            write_output(args.output, rows, ['path', 'gt', 'text'])
        if not rows:
            raise ValueError('no readable image among %d lines of %s' % (len(paths), source))
        m = recognition_metrics([g for _, g, _ in rows], [t for _, _, t in rows])
        decoding = ('greedy + the %s language model on unsure lines' % args.lm if args.lm else 'beam search'
                    if args.beam_width else 'greedy')
        print('%d lines from %s: %s, %s decoding%s' % (len(rows), source, what, decoding,
                                                     ' (%d unreadable images left out)' % len(failed) if failed else ''))
        print('CER %.4f NED %.4f ACC %.4f' % (m['cer'], m['ned'], m['acc']))
        recall, marks = symbol_recall([g for _, g, _ in rows], [t for _, _, t in rows])
        if marks:
            print('symbol recall %.3f of %d document marks' % (recall, marks))
        return 0
    paths = list_images(args.inputs)
    texts = recognize(model_pred, charset, paths, size, args.batch_size, args.beam_width, on_error=report, lm=args.lm)
    rows = [(p, t) for p, t in zip(paths, texts) if t is not None]
    for p, t in rows:
        print('%s\t%s' % (p, t))
    if args.output:
        write_output(args.output, rows, ['path', 'text'])
    if failed:
        print('error: %d of %d images could not be read (listed above)' % (len(failed), len(paths)), file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
