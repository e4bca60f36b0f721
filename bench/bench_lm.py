"""Decoding with language models (utils.lm: Kiwi, the syllable n-gram) against greedy decoding, on line sets.

    python bench/bench_lm.py --sets ~/crnn-heldout --sets ~/crnn-ood [--run RUN | --weights W --charset C]
    python bench/bench_lm.py --dev DIR --grid 0.1:0.5,0.3:2,0.5:3 [--weights ...]   # how ALPHA, BETA were chosen
    python bench/bench_lm.py --gate-dev ~/crnn-ood/ood_dev --gates 0.5,0.7,0.9      # how utils.lm.GATE was chosen
    python bench/bench_lm.py --kiwi-dev ~/crnn-ood/ood_dev --kiwi-weights 0.2,0.4,0.7  # how utils.lm.KIWI_WEIGHT was
    python bench/bench_lm.py --prune-dev ~/crnn-ood/ood_dev --prunes 1e-3,1e-2       # how utils.lm.NBEST_PRUNE was
    python bench/bench_lm.py --kiwi-load ~/crnn-ood/ood_dev --kiwi-load ~/crnn-heldout/long  # Kiwi's dictionaries

--sets (repeatable): every AI-Hub-format set folder under the folder (the
held-out line sets of ``python -m utils.synth.heldout``, and its --ood sets:
text no training data and no language model has seen), CER and line accuracy
of greedy decoding, of utils.lm's prefix beam search on every line, and of the
`--lm ngram`: the beam search only on the lines the recognizer is unsure of
(utils.lm.GATE), and of `--lm kiwi`: those lines' CTC n-best rescored by
Kiwi; BENCHMARKS.md section 'lm'. --kiwi-dev: CER of each Kiwi weight of
--kiwi-weights on one set (the out-of-domain dev split), printed. --prune-dev: CER and milliseconds per
unsure line (n-best search and Kiwi's scoring) of each n-best prune of --prunes, printed. --kiwi-load
(repeatable): Kiwi's load time (median of 3) and the CER of `--lm kiwi` on each set with Kiwi's optional
dictionaries and without the ones utils.lm.KiwiLM leaves out, printed. --gate-dev: CER of each gate of
--gates on one set (the out-of-domain dev split), printed. --dev: the tuning
split, never a held-out set: the lines of an AI-Hub-format set (e.g.
``python -m utils.synth.doc --crops``, LibreOffice help
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


def kiwi_scores(gts, probs, charset, weights, gate, prune=None):
    """{weight: metrics} of greedy decoding with the lines under ``gate`` read by Kiwi's rescoring at each weight
    (the n-best searched with ``prune``, default utils.lm.NBEST_PRUNE)."""
    from crnn_utils import greedy_decode, recognition_metrics
    from utils.lm import NBEST_PRUNE, KiwiLM, ctc_nbest, unsure_lines
    kiwi = KiwiLM()
    greedy = [greedy_decode(p[None], charset)[0] for p in probs]
    unsure = [j for j, p in enumerate(probs) if len(unsure_lines(p[None], gate))]
    nbest = {j: ctc_nbest(probs[j], charset, prune=NBEST_PRUNE if prune is None else prune) for j in unsure}
    out = {}
    for w in weights:
        kiwi.weight = w
        texts = list(greedy)
        for j, n in nbest.items():
            texts[j] = kiwi.best(n)
        out[w] = recognition_metrics(gts, texts)
        out[w]['unsure'] = len(unsure)
    return out


def scores(gts, probs, charset, lm, alpha=None, beta=None, gates=()):
    """{'greedy': metrics, 'lm': metrics (every line), gate: metrics (the LM on the lines under each gate)}."""
    from crnn_utils import greedy_decode, recognition_metrics
    from utils.lm import ALPHA, BETA, lm_beam_decode, unsure_lines
    greedy = [greedy_decode(p[None], charset)[0] for p in probs]
    with_lm = lm_beam_decode(probs, charset, lm, alpha=ALPHA if alpha is None else alpha,
                             beta=BETA if beta is None else beta)
    out = {'greedy': recognition_metrics(gts, greedy), 'lm': recognition_metrics(gts, with_lm)}
    for gate in gates:
        unsure = {j for j, p in enumerate(probs) if len(unsure_lines(p[None], gate))}
        out[gate] = recognition_metrics(gts, [l if j in unsure else g for j, (g, l) in enumerate(zip(greedy, with_lm))])
        out[gate]['unsure'] = len(unsure)
    return out


def kiwi_load(folders, model_pred, charset):
    """Prints Kiwi's load time (with its first analysis) and `--lm kiwi`'s CER on each set, with all of Kiwi's
    dictionaries, without the typo and multi-word ones, and as utils.lm.KiwiLM loads it (KIWI_OPTIONS)."""
    import statistics
    import time
    from kiwipiepy import Kiwi
    from crnn_utils import greedy_decode, recognition_metrics
    from utils.lm import GATE, KIWI_OPTIONS, KiwiLM, ctc_nbest, unsure_lines
    sets = {folder: softmax_outputs(model_pred, folder) for folder in folders}
    for name, options in (('all dictionaries', {}), ('without the typo and multi-word dictionaries (until 2026-12-06)',
                                                     dict(load_typo_dict=False, load_multi_dict=False)),
                          ('as utils.lm loads it: %s' % ', '.join('%s=%s' % kv for kv in KIWI_OPTIONS.items()), None)):
        kiwi, times = KiwiLM(), []
        for _ in range(3):
            start = time.perf_counter()
            kiwi._kiwi = Kiwi(**options) if options is not None else None
            kiwi.load().analyze('계약을 체결한다', top_n=1)
            times.append(time.perf_counter() - start)
        cers = []
        for folder, (gts, probs) in sets.items():
            texts = [kiwi.best(ctc_nbest(p, charset)) if len(unsure_lines(p[None], GATE))
                     else greedy_decode(p[None], charset)[0] for p in probs]
            cers.append('%s %.4f' % (os.path.basename(folder), recognition_metrics(gts, texts)['cer']))
        print('%s: load %.2f s, CER %s' % (name, statistics.median(times), ', '.join(cers)), flush=True)
    return 0


def prune_dev(folder, model_pred, charset, prunes):
    """Prints CER and the median of three timings per unsure line (n-best search and Kiwi's scoring, Kiwi's
    scores not cached between runs) of each n-best prune."""
    import time
    import numpy as np
    from crnn_utils import greedy_decode, recognition_metrics
    from utils.lm import GATE, KiwiLM, ctc_nbest, unsure_lines
    gts, probs = softmax_outputs(model_pred, folder)
    kiwi = KiwiLM()
    kiwi.load()
    texts = [greedy_decode(p[None], charset)[0] for p in probs]
    unsure = [j for j, p in enumerate(probs) if len(unsure_lines(p[None], GATE))]
    for prune in prunes:
        times = []
        for _ in range(3):
            kiwi._scores.clear()
            start = time.perf_counter()
            read = {j: kiwi.best(ctc_nbest(probs[j], charset, prune=prune)) for j in unsure}
            times.append(time.perf_counter() - start)
        m = recognition_metrics(gts, [read.get(j, t) for j, t in enumerate(texts)])
        print('prune %g: CER %.4f acc %.3f, %.2f ms per unsure line (%d of %d lines)' % (
            prune, m['cer'], m['acc'], 1000 * float(np.median(times)) / max(1, len(unsure)), len(unsure), len(gts)),
            flush=True)
    return 0


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
    p.add_argument('--sets', action='append', help='folder of line sets (python -m utils.synth.heldout --out); '
                   'repeat for several')
    p.add_argument('--gate-dev', help='a line set to choose utils.lm.GATE on (the out-of-domain dev split)')
    p.add_argument('--gates', default='0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95', help='with --gate-dev: gates to try')
    p.add_argument('--kiwi-dev', help='a line set to choose utils.lm.KIWI_WEIGHT on (the out-of-domain dev split)')
    p.add_argument('--kiwi-weights', default='0.1,0.2,0.4,0.7,1.0,1.5', help='with --kiwi-dev: weights to try')
    p.add_argument('--kiwi-load', action='append', help="a line set to read with and without Kiwi's optional "
                   'dictionaries; repeat for several')
    p.add_argument('--prune-dev', help='a line set to choose utils.lm.NBEST_PRUNE on (the out-of-domain dev split)')
    p.add_argument('--prunes', default='1e-4,1e-3,3e-3,1e-2,3e-2', help='with --prune-dev: prunes to try')
    p.add_argument('--dev', help='tuning: an AI-Hub-format set of LibreOffice help lines')
    p.add_argument('--json', default='korean_printed_sentence.json', help='with --dev: its annotation file')
    p.add_argument('--image-dir', default='printed', help='with --dev: its image folder')
    p.add_argument('--grid', default='0.1:0.5,0.2:1,0.3:1.5,0.3:2,0.3:2.5,0.5:3', help='with --dev: ALPHA:BETA list')
    add_model_args(p)
    p.add_argument('--no-write', action='store_true', help='print, do not write BENCHMARKS.md')
    args = p.parse_args(argv)
    if not (args.sets or args.dev or args.gate_dev or args.kiwi_dev or args.prune_dev or args.kiwi_load):
        p.error('give --sets, --dev, --gate-dev, --kiwi-dev, --prune-dev or --kiwi-load')
    model_pred, charset, _, model_name = load_model(args)
    if args.dev:
        return dev_split(args, model_pred, charset)
    from utils.lm import ALPHA, BEAM, BETA, GATE, KIWI_WEIGHT, ORDER, load_lm
    if args.kiwi_dev:
        weights = [float(w) for w in args.kiwi_weights.split(',')]
        gts, probs = softmax_outputs(model_pred, args.kiwi_dev)
        s = kiwi_scores(gts, probs, charset, weights, GATE)
        for w in weights:
            print('kiwi weight %.2f: CER %.4f acc %.3f (Kiwi on %d of %d lines)' % (
                w, s[w]['cer'], s[w]['acc'], s[w]['unsure'], len(gts)), flush=True)
        return 0
    if args.kiwi_load:
        return kiwi_load(args.kiwi_load, model_pred, charset)
    if args.prune_dev:
        return prune_dev(args.prune_dev, model_pred, charset, [float(v) for v in args.prunes.split(',')])
    lm = load_lm()
    if args.gate_dev:
        gates = [float(g) for g in args.gates.split(',')]
        gts, probs = softmax_outputs(model_pred, args.gate_dev)
        s = scores(gts, probs, charset, lm, gates=gates)
        print('%s: greedy CER %.4f, LM on every line %.4f' % (args.gate_dev, s['greedy']['cer'], s['lm']['cer']))
        for gate in gates:
            print('gate %.2f: CER %.4f, LM on %d of %d lines' % (gate, s[gate]['cer'], s[gate]['unsure'], len(gts)))
        return 0
    table = ['| set | lines | greedy CER / line acc | n-gram on every line | `--lm ngram`: on unsure lines | '
             '`--lm kiwi`: on unsure lines (lines) |', '|---|---|---|---|---|---|']
    for root in args.sets:
        for name in sorted(os.listdir(root)):
            folder = os.path.join(root, name)
            if not os.path.isdir(folder):
                continue
            gts, probs = softmax_outputs(model_pred, folder)
            s = scores(gts, probs, charset, lm, gates=[GATE])
            k = kiwi_scores(gts, probs, charset, [KIWI_WEIGHT], GATE)[KIWI_WEIGHT]
            table.append('| %s | %d | %.4f / %.3f | %.4f / %.3f | %.4f / %.3f | %.4f / %.3f (%d) |' % (
                name, len(gts), s['greedy']['cer'], s['greedy']['acc'], s['lm']['cer'], s['lm']['acc'],
                s[GATE]['cer'], s[GATE]['acc'], k['cer'], k['acc'], k['unsure']))
            print(table[-1], flush=True)
    footer = ['', 'Model: %s. n-gram: utils.lm, syllable %d-gram of the training corpora (laws, bills, LibreOffice '
              'help), prefix beam search of width %d, LM weight %g, %g per character; ALPHA and BETA chosen on the '
              '--dev split (LibreOffice-laid-out lines of help paragraphs the LM did not learn), not on these sets. '
              'kiwi: the same beam without a language model gives each line\'s %d best readings, and the one with '
              'the highest CTC log probability + %g x Kiwi\'s sentence score (kiwipiepy, a model of general Korean) '
              'among those that differ from the best only in Hangul syllables and spaces is read (weight chosen on '
              'ood_dev with --kiwi-dev). `--lm NAME` reads with the language model only the '
              'lines with a frame whose most likely class is under %g (utils.lm.GATE, chosen on ood_dev with '
              '--gate-dev). short, long, typeset: held-out bills in held-out fonts; ood_*: the Korean Debian FAQ (no '
              'training data and no language model here has seen it), ood_dev and ood_test in held-out fonts, '
              'ood_seen in the training fonts.' % (model_name, ORDER, BEAM, ALPHA, BETA, BEAM, KIWI_WEIGHT, GATE)]
    report('lm', 'Language model decoding vs greedy on held-out lines',
           'python bench/bench_lm.py --sets <python -m utils.synth.heldout --out> --sets <its --ood --out>',
           table + footer, not args.no_write)
    return 0


if __name__ == '__main__':
    sys.exit(main())
