"""Train the CRNN on a GPU machine that has JAX and no TensorFlow, in one command:
synthetic lines made on that machine's cores, training on Keras' JAX backend
for a stated number of minutes, the weights written in the shipped layout.

    KERAS_BACKEND=jax python -m utils.train.gpu --out OUT --minutes 8 \\
        [--weights CRNN_weights_korean_v8.h5] [--fonts FONT_DIR] [--lines 300000] \\
        [--arch light --teacher CRNN_weights_korean_v8.h5]

Writes ``OUT/CRNN_weights_<name>.h5`` (Keras 2 layout, float16) and
``OUT/CRNN_charset_<name>.json``, the run's history.csv and args.json, and,
with --split-mb, the weights in parts of at most that size (``cat
CRNN_weights_<name>.h5.part* > CRNN_weights_<name>.h5`` joins them). The
learning rate follows a cosine over the --minutes of wall-clock time
(CRNN_training.py --schedule cosine-time), so no speed need be known
beforehand; the run prints the steps per minute it reached. Dependencies:
requirements-gpu.txt (wheels only; docs/training.md, section GPU).
"""
import argparse
import glob
import os
import time

os.environ.setdefault('KERAS_BACKEND', 'jax')

SOURCE_MIX = 'words:0.2,manual:0.2,corpus:0.1,contract:0.1,numbers:0.08,marks:0.07,random:0.25'


def split_file(path, megabytes):
    """``path`` cut into ``path.part0``, ``.part1``, ... of at most ``megabytes`` MiB (the original removed)."""
    size = int(megabytes * (1 << 20))
    parts = []
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(size)
            if not chunk:
                break
            parts.append('%s.part%d' % (path, len(parts)))
            with open(parts[-1], 'wb') as g:
                g.write(chunk)
    os.remove(path)
    return parts


def parse_args(argv=None):
    from utils.cli import HelpFormatter
    p = argparse.ArgumentParser(prog='python -m utils.train.gpu', description=__doc__, formatter_class=HelpFormatter)
    a = p.add_argument
    a('--out', required=True, help='folder for the weights, charset and logs')
    a('--minutes', type=float, required=True, help='minutes of training (data generation comes before)')
    a('--weights', help='start from these weights (default: the shipped model)')
    a('--charset', default='general', help="charset file, or 'general' (the shipped model's)")
    a('--lines', type=int, default=300_000, help='synthetic lines to make first')
    a('--fonts', help='folder of extra .ttf/.otf/.ttc fonts (the machine may have no Korean fonts installed)')
    a('--workers', type=int, default=os.cpu_count() or 1, help='processes making the lines')
    a('--batch-size', type=int, default=128, help='lines per step')
    a('--buckets', default='128,192,256,320,384,512,768', help='input widths of the width buckets')
    a('--lr', type=float, default=5e-4, help='peak learning rate of the cosine schedule')
    a('--arch', default='crnn', help='architecture (crnn_model.ARCHS) when training from scratch or from --weights '
      'of it')
    a('--teacher', help='distill from these weights (CRNN_training.py --teacher; the Keras model, on the GPU)')
    a('--distill', type=float, default=1.0, help='weight of the --teacher term')
    a('--extend-charset', action='store_true', help='add the characters of the lines that --charset lacks')
    a('--source', default=SOURCE_MIX, help='text sources of the lines (utils.synth --source)')
    a('--synth', default='', help="more utils.synth options in one string, e.g. '--letter-spacing 0.05'")
    a('--train-workers', type=int, default=8, help='threads decoding the lines of a training batch')
    a('--prefetch', type=int, default=4, help='training batches prepared ahead in threads while the GPU trains')
    a('--steps-per-epoch', type=int, default=250, help='steps between validations (and learning-rate updates)')
    a('--name', default='gpu', help='the <name> of CRNN_weights_<name>.h5')
    a('--split-mb', type=float, help='also cut the weights file into parts of at most this many MiB')
    a('--seed', type=int, default=4242, help='seed of the lines, the split and the training')
    a('--work', help='folder for the data and the run (default: OUT/work)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from utils.synth import lines as synth_lines
    from utils.weights.load import SHIPPED_WEIGHTS
    work = args.work or os.path.join(args.out, 'work')
    data = os.path.join(work, 'data')
    t0 = time.time()
    if not os.path.exists(os.path.join(data, 'korean_printed_sentence.json')):
        synth_args = ['--out', data, '--count', str(args.lines), '--seed', str(args.seed), '--workers',
                      str(args.workers), '--max-chars', '30', '--min-chars', '4', '--source', args.source,
                      '--font-size', '18:44', '--padding', '1:8', '--blur', '0.3', '--noise', '0.3', '--jpeg', '0.2',
                      '--no-progress']
        if args.fonts:
            synth_args += ['--fonts', args.fonts]
        synth_args += args.synth.split()
        synth_lines.main(synth_args)
    print('data ready in %.0f s' % (time.time() - t0), flush=True)

    import CRNN_training
    weights = args.weights or (SHIPPED_WEIGHTS if args.arch == 'crnn' else None)
    train_args = ['--data-dir', data, '--charset', args.charset, '--arch', args.arch,
                  '--buckets', args.buckets, '--batch-size', str(args.batch_size), '--workers', str(args.train_workers),
                  '--prefetch', str(args.prefetch), '--epochs', '100000', '--steps-per-epoch', str(args.steps_per_epoch),
                  '--validation-steps', '8',
                  '--metrics-steps', '8', '--optimizer', 'adam', '--lr', str(args.lr), '--schedule', 'cosine-time',
                  '--augment', 'light', '--random-split', '--split', '0.99',
                  '--keep-best', '--keep-last', '2', '--time-limit', str(args.minutes), '--experiment', args.name,
                  '--checkpoint-root', os.path.join(work, 'runs'), '--seed', str(args.seed)]
    train_args += ['--weights', weights] if weights else []
    train_args += ['--teacher', args.teacher, '--distill', str(args.distill)] if args.teacher else []
    train_args += ['--extend-charset'] if args.extend_charset else []
    t1 = time.time()
    status = CRNN_training.main(train_args)
    if status:
        return status
    [run] = sorted(glob.glob(os.path.join(work, 'runs', '*_' + args.name)))[-1:]
    import csv
    with open(os.path.join(run, 'log.csv'), encoding='utf-8') as f:
        steps = sum(1 for _ in csv.DictReader(f))
    print('%d steps in %.1f minutes: %.0f steps per minute'
          % (steps, (time.time() - t1) / 60, steps / max(1e-9, (time.time() - t1) / 60)), flush=True)

    from utils.weights.export import export_weights
    from utils.weights.load import load_recognizer
    best = os.path.join(run, 'weights.best_cer.h5')
    model_pred, charset, _ = load_recognizer(run, best if os.path.exists(best) else None)
    written = export_weights(model_pred, charset, args.out, args.name)
    for name in ('history.csv', 'args.json'):
        with open(os.path.join(run, name), 'rb') as f, open(os.path.join(args.out, name), 'wb') as g:
            g.write(f.read())
    if args.split_mb:
        written['parts'] = ', '.join(split_file(written['weights'], args.split_mb))
    for kind, path in written.items():
        print('%s: %s' % (kind, path), flush=True)
    return 0


if __name__ == '__main__':
    from utils.cli import run_cli
    run_cli(main)
