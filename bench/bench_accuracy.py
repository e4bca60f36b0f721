"""Accuracy on held-out lines: this project's model vs Tesseract 5 on the same images.

    python -m utils.synth.heldout --out ~/crnn-heldout
    python bench/bench_accuracy.py --sets ~/crnn-heldout [--run RUN | --weights W --charset C]

Reads every set folder under --sets (utils/synth/heldout.py writes short/, long/ and typeset/),
recognizes each line with the CRNN (the shipped model by default, any width)
and with ``tesseract IMAGE - -l kor --psm 7`` (Debian: tesseract-ocr-kor), and
writes CER, line accuracy and, on sets with document marks (``symbols``, see
utils.synth.heldout --symbols), symbol recall (crnn_utils.symbol_recall) of
both to BENCHMARKS.md section 'accuracy'.
Tesseract's output is whitespace-normalized (runs of spaces -> one).
"""
import argparse
import os
import shutil
import subprocess
import sys

from harness import add_model_args, load_model, tesseract_env, tesseract_version, timed, write_section
from crnn_gt import GTUtility
from crnn_utils import recognition_metrics, symbol_recall
from utils.lm import DEFAULT_DECODING


def tesseract(path, psm=7):
    out = subprocess.run(['tesseract', path, '-', '-l', 'kor', '--psm', str(psm)], capture_output=True,
                         text=True, env=tesseract_env(), check=True).stdout
    return ' '.join(out.split())


def load_set(folder):
    gtu = GTUtility(folder, verbose=False)
    return [os.path.join(gtu.image_path, n) for n in gtu.image_names], gtu.texts()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sets', required=True, help='folder of held-out sets (utils/synth/heldout.py --out)')
    add_model_args(p)
    p.add_argument('--lm', default=DEFAULT_DECODING or 'none', help="decode as CRNN_predict.py --lm NAME does "
                   "(utils.lm.LANGUAGE_MODELS, or none: greedy); default CRNN_predict.py's")
    p.add_argument('--no-tesseract', action='store_true', help='only this project\'s model')
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    p.add_argument('--section', default='accuracy', help="BENCHMARKS.md section to write (e.g. 'symbols' for the "
                   'symbol set of utils.synth.heldout --symbols)')
    args = p.parse_args(argv)
    model_pred, charset, size, model_name = load_model(args)
    from crnn_reader import recognize
    lm = None if args.lm == 'none' else args.lm
    use_tess = not args.no_tesseract and shutil.which('tesseract')
    rows = []
    for name in sorted(os.listdir(args.sets)):
        folder = os.path.join(args.sets, name)
        if not os.path.isdir(folder):
            continue
        paths, gts = load_set(folder)
        ours, t_ours = timed(recognize, model_pred, charset, paths, size, 64, 0, False, None, lm)
        m = recognition_metrics(gts, ours)
        row = [name, len(gts), m['cer'], m['acc'], symbol_recall(gts, ours)[0], len(gts) / t_ours]
        if use_tess:
            tess, t_tess = timed(lambda: [tesseract(q) for q in paths])
            mt = recognition_metrics(gts, tess)
            row += [mt['cer'], mt['acc'], symbol_recall(gts, tess)[0], len(gts) / t_tess]
        rows.append(row)
        print(' '.join(str(round(v, 4) if isinstance(v, float) else v) for v in row), flush=True)
    table = ['| set | lines | CRNN CER | CRNN line acc | CRNN symbol recall | CRNN lines/s | Tesseract CER '
             '| Tesseract line acc | Tesseract symbol recall | Tesseract lines/s |', '|---' * 10 + '|']
    recall = lambda v: '-' if v is None else '%.3f' % v
    for r in rows:
        cells = ['%s' % r[0], '%d' % r[1], '%.4f' % r[2], '%.3f' % r[3], recall(r[4]), '%.1f' % r[5]]
        cells += ['%.4f' % r[6], '%.3f' % r[7], recall(r[8]), '%.1f' % r[9]] if len(r) > 6 else ['-'] * 4
        table.append('| %s |' % ' | '.join(cells))
    footer = ('Model: %s (any input width, %s). Tesseract %s, `--psm 7 -l kor`, one thread. Sets from '
              '`utils/synth/heldout.py`: text of bills kept out of the training corpus, fonts kept out of training '
              '(utils.synth.HELDOUT_FONTS), 32-44 px glyphs, blur and noise on half the lines.'
              % (model_name, 'greedy decoding, the %s language model on unsure lines (utils.lm)' % lm if lm
                 else 'greedy decoding',
                 tesseract_version() if use_tess else '-'))
    if not args.no_write:
        write_section(args.section, 'Accuracy on held-out lines: CRNN vs Tesseract' + (
                      '' if args.section == 'accuracy' else ' (%s)' % args.section),
                      'python bench/bench_accuracy.py --sets <utils/synth/heldout.py --out> --lm %s%s'
                      % (args.lm, '' if args.section == 'accuracy' else ' --section ' + args.section),
                      table + ['', footer])
    print('\n'.join(table))
    return 0


if __name__ == '__main__':
    sys.exit(main())
