"""Decoding with the syllable n-gram language model against greedy decoding, on line sets.

    python bench/bench_lm.py --sets ~/crnn-heldout [--run RUN | --weights W --charset C]
    python bench/bench_lm.py --dev DIR --grid 0.1:0.5,0.3:2,0.5:3 [--weights ...]   # how ALPHA, BETA were chosen

--sets: every AI-Hub-format set folder under the folder (the held-out line
sets of ``python -m utils.synth.heldout``), CER and line accuracy of greedy
decoding and of utils.lm's prefix beam search with its defaults; BENCHMARKS.md
section 'lm'. --dev: the tuning split, never a held-out set: the lines of an
AI-Hub-format set (e.g. ``python -m utils.synth.doc --crops``, LibreOffice help
text) whose text comes from the odd-numbered paragraphs of the help corpus,
decoded with a language model built without those paragraphs, for each
ALPHA:BETA of --grid (printed, not written).
"""
import argparse
import os
import sys

from harness import add_model_args, load_model, report


def softmax_outputs(model_pred, folder, json_name='korean_printed_sentence.json', image_dir='printed'):
    """(texts, per-line softmax outputs at each line's own width) of a set."""
    from crnn_gt import GTUtility
    from crnn_lines import load_inputs_any_width
    gtu = GTUtility(folder, json_file=json_name, image_dir=image_dir, verbose=False)
    paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
    probs = [None] * len(paths)
    for positions, rows in load_inputs_any_width(paths, 32).values():
        for b in range(0, len(rows), 64):
            for j, p in zip(positions[b:b + 64], model_pred.predict_on_batch(rows[b:b + 64])):
                probs[j] = p
    return gtu.texts(), probs


def scores(gts, probs, charset, lm, alpha=None, beta=None):
    """{'greedy': metrics, 'lm': metrics} of one set."""
    from crnn_utils import greedy_decode, recognition_metrics
    from utils.lm import ALPHA, BETA, lm_beam_decode
    greedy = [greedy_decode(p[None], charset)[0] for p in probs]
    with_lm = lm_beam_decode(probs, charset, lm, alpha=ALPHA if alpha is None else alpha,
                             beta=BETA if beta is None else beta)
    return {'greedy': recognition_metrics(gts, greedy), 'lm': recognition_metrics(gts, with_lm)}


def dev_split(args, model_pred, charset):
    from utils.lm import CharLM, ORDER
    from utils.synth.text import MANUAL_CORPUS, TRAINING_CORPUS, read_corpus
    manual = read_corpus(MANUAL_CORPUS)
    held = '|'.join(''.join(p.split()) for p in manual[1::2])
    lm = CharLM.from_texts(manual[0::2] + read_corpus(TRAINING_CORPUS), ORDER)
    gts, probs = softmax_outputs(model_pred, args.dev, args.json, args.image_dir)
    keep = [i for i, g in enumerate(gts) if ''.join(g.split())[:20] in held]
    gts, probs = [gts[i] for i in keep], [probs[i] for i in keep]
    print('%d lines of %s from paragraphs the language model did not learn' % (len(gts), args.dev))
    for spec in args.grid.split(','):
        alpha, beta = (float(v) for v in spec.split(':'))
        s = scores(gts, probs, charset, lm, alpha, beta)
        print('alpha %.2f beta %.2f: greedy CER %.4f acc %.3f, lm CER %.4f acc %.3f' % (
            alpha, beta, s['greedy']['cer'], s['greedy']['acc'], s['lm']['cer'], s['lm']['acc']), flush=True)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sets', help='folder of line sets (python -m utils.synth.heldout --out)')
    p.add_argument('--dev', help='tuning: an AI-Hub-format set of LibreOffice help lines')
    p.add_argument('--json', default='korean_printed_sentence.json', help='with --dev: its annotation file')
    p.add_argument('--image-dir', default='printed', help='with --dev: its image folder')
    p.add_argument('--grid', default='0.1:0.5,0.2:1,0.3:1.5,0.3:2,0.3:2.5,0.5:3', help='with --dev: ALPHA:BETA list')
    add_model_args(p)
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    if not args.sets and not args.dev:
        p.error('give --sets or --dev')
    model_pred, charset, _, model_name = load_model(args)
    if args.dev:
        return dev_split(args, model_pred, charset)
    from utils.lm import ALPHA, BEAM, BETA, ORDER, load_lm
    lm = load_lm()
    table = ['| set | lines | greedy CER | greedy line acc | LM CER | LM line acc |', '|---|---|---|---|---|---|']
    for name in sorted(os.listdir(args.sets)):
        folder = os.path.join(args.sets, name)
        if not os.path.isdir(folder):
            continue
        gts, probs = softmax_outputs(model_pred, folder)
        s = scores(gts, probs, charset, lm)
        table.append('| %s | %d | %.4f | %.3f | %.4f | %.3f |' % (name, len(gts), s['greedy']['cer'], s['greedy']['acc'],
                                                                s['lm']['cer'], s['lm']['acc']))
        print(table[-1], flush=True)
    footer = ['', 'Model: %s. LM: utils.lm, syllable %d-gram of the training corpora (laws, bills, LibreOffice help), '
              'prefix beam search of width %d, LM weight %g, %g per character; ALPHA and BETA chosen on the --dev '
              'split (LibreOffice-laid-out lines of help paragraphs the LM did not learn), not on these sets.'
              % (model_name, ORDER, BEAM, ALPHA, BETA)]
    report('lm', 'Language model decoding vs greedy on held-out lines',
           'python bench/bench_lm.py --sets <python -m utils.synth.heldout --out>', table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
