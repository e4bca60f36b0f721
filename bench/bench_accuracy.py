"""Accuracy on held-out lines: this project's model vs Tesseract 5 on the same images.

    python bench/heldout.py --out ~/crnn-heldout
    python bench/bench_accuracy.py --sets ~/crnn-heldout [--run RUN | --weights W --charset C]

Reads every set folder under --sets (bench/heldout.py writes short/ and long/),
recognizes each line with the CRNN (the shipped model by default, any width)
and with ``tesseract IMAGE - -l kor --psm 7`` (Debian: tesseract-ocr-kor), and
writes CER and line accuracy of both to BENCHMARKS.md section 'accuracy'.
Tesseract's output is whitespace-normalized (runs of spaces -> one).
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.report import write_section  # noqa: E402
from crnn_gt import GTUtility  # noqa: E402
from crnn_utils import recognition_metrics  # noqa: E402


def tesseract(path, psm=7):
    env = dict(os.environ, OMP_THREAD_LIMIT='1')
    out = subprocess.run(['tesseract', path, '-', '-l', 'kor', '--psm', str(psm)], capture_output=True,
                         text=True, env=env, check=True).stdout
    return ' '.join(out.split())


def load_set(folder):
    gtu = GTUtility(folder, verbose=False)
    return [os.path.join(gtu.image_path, n) for n in gtu.image_names], gtu.texts()


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sets', required=True, help='folder of held-out sets (bench/heldout.py --out)')
    p.add_argument('--run', help='run folder (default: the shipped model)')
    p.add_argument('--weights')
    p.add_argument('--charset')
    p.add_argument('--precision', default='auto', help='as CRNN_predict.py --precision')
    p.add_argument('--no-tesseract', action='store_true', help='only this project\'s model')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    from utils.quiet import import_keras
    import_keras()
    from CRNN_predict import recognize
    from utils.run import SHIPPED_WEIGHTS, load_recognizer
    from utils.precision import choose_precision
    model_pred, charset, size = load_recognizer(args.run, args.weights, args.charset,
                                                precision=choose_precision(args.precision)[0])
    model_name = args.run or args.weights or 'shipped ' + os.path.basename(SHIPPED_WEIGHTS)
    use_tess = not args.no_tesseract and shutil.which('tesseract')
    rows = []
    for name in sorted(os.listdir(args.sets)):
        folder = os.path.join(args.sets, name)
        if not os.path.isdir(folder):
            continue
        paths, gts = load_set(folder)
        ours, t_ours = timed(recognize, model_pred, charset, paths, size, 64, 0, False)
        m = recognition_metrics(gts, ours)
        row = [name, len(gts), m['cer'], m['acc'], len(gts) / t_ours]
        if use_tess:
            tess, t_tess = timed(lambda: [tesseract(q) for q in paths])
            mt = recognition_metrics(gts, tess)
            row += [mt['cer'], mt['acc'], len(gts) / t_tess]
        rows.append(row)
        print(' '.join(str(round(v, 4) if isinstance(v, float) else v) for v in row), flush=True)
    table = ['| set | lines | CRNN CER | CRNN line acc | CRNN lines/s | Tesseract CER | Tesseract line acc '
             '| Tesseract lines/s |', '|---|---|---|---|---|---|---|---|']
    for r in rows:
        cells = ['%s' % r[0], '%d' % r[1], '%.4f' % r[2], '%.3f' % r[3], '%.1f' % r[4]]
        cells += ['%.4f' % r[5], '%.3f' % r[6], '%.1f' % r[7]] if len(r) > 5 else ['-', '-', '-']
        table.append('| %s |' % ' | '.join(cells))
    footer = ('Model: %s (any input width, greedy decoding). Tesseract %s, `--psm 7 -l kor`, one thread. Sets from '
              '`bench/heldout.py`: text of bills kept out of the training corpus, fonts kept out of training '
              '(utils.synth.HELDOUT_FONTS), 32-44 px glyphs, blur and noise on half the lines.'
              % (model_name, tesseract_version() if use_tess else '-'))
    if not args.no_write:
        write_section('accuracy', 'Accuracy on held-out lines: CRNN vs Tesseract',
                      'python bench/bench_accuracy.py --sets <bench/heldout.py --out>', table + ['', footer])
    print('\n'.join(table))
    return 0


def tesseract_version():
    out = subprocess.run(['tesseract', '--version'], capture_output=True, text=True).stdout
    return out.split()[1] if out.split() else '?'


if __name__ == '__main__':
    sys.exit(main())
