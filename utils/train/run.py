"""A training run's folder: checkpoints/YYYYmmddHHMM_<experiment>/ and what goes in it.

Shared by CRNN_training.py and the notebook so both leave the same files.
"""

import json
import logging
import os
import shutil
import time

from utils.atomic import atomic_write, write_text_atomic


def make_run_dir(experiment, root='checkpoints'):
    """Create checkpoints/<timestamp>_<experiment>/, never reusing a folder."""
    base = os.path.join(root, time.strftime('%Y%m%d%H%M') + '_' + experiment)
    path, n = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            n += 1
            path = '%s_%d' % (base, n)


def save_arguments(checkdir, args):
    """The exact arguments of the run, as JSON."""
    return write_text_atomic(os.path.join(checkdir, 'args.json'),
                             json.dumps(dict(args), ensure_ascii=False, indent=1, sort_keys=True))


def load_arguments(run_dir):
    """The arguments a run was started with (its args.json)."""
    path = os.path.join(run_dir, 'args.json')
    if not os.path.isdir(run_dir):
        raise ValueError('run folder not found: %s' % run_dir)
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError('%s: cannot read the run\'s arguments (%s)' % (path, e)) from None


def save_final(checkdir, model, model_pred, history):
    """Final weights (Keras 2 layout), the prediction model and the loss plot."""
    from utils.plots import save_loss_plot
    from utils.weights.h5 import save_weights_h5
    paths = {
        'weights': save_weights_h5(model, os.path.join(checkdir, 'final_weights.h5')),
        'model': os.path.join(checkdir, 'model.h5'),
        'plot': save_loss_plot(history, os.path.join(checkdir, 'loss.png')),
    }
    absl = logging.getLogger('absl')
    level = absl.level
    absl.setLevel(logging.ERROR)  # Keras' "HDF5 is legacy" warning: model.h5 is what the original's users load
    try:
        with atomic_write(paths['model']) as tmp:
            model_pred.save(tmp)
    finally:
        absl.setLevel(level)
    return paths


def latest_weights(run_dir):
    """final_weights.h5, else the highest-numbered weights.NNN.h5 of a run."""
    final = os.path.join(run_dir, 'final_weights.h5')
    if os.path.exists(final):
        return final
    numbered = sorted(f for f in os.listdir(run_dir) if f.startswith('weights.') and f[8:11].isdigit())
    if not numbered:
        raise ValueError('no weights file in %s' % run_dir)
    return os.path.join(run_dir, numbered[-1])


def run_input_width(args):
    """The input width a run trained with, from its args.json: None for width
    buckets (any width), else the resolved or given width."""
    if args.get('buckets'):
        return None
    if args.get('input_width'):
        return int(args['input_width'])
    return int(args['width']) if str(args.get('width', '')).isdigit() else None


def interrupted_hint(e, checkdir):
    """What an interrupted run can do next, as commands that work."""
    done = e.completed or 0
    saved = 'weights so far in %s; ' % e.path if e.path else ''
    if not done:
        return ('stopped in epoch 1, before any epoch was recorded: nothing to resume. %sstart again with the same '
                'command%s' % (saved, ', or from these weights with --weights %s' % e.path if e.path else ''))
    return ('stopped in epoch %d, which is not recorded; %sresume after epoch %d with: python CRNN_training.py '
            '--resume %s' % (done + 1, saved, done, checkdir))


def remove_if_no_weights(checkdir, created):
    """A run folder this process created that holds no weights yet is removed:
    a failed or interrupted start leaves no stray folder."""
    if created and os.path.isdir(checkdir) and not any(f.endswith('.h5') for f in os.listdir(checkdir)):
        shutil.rmtree(checkdir, ignore_errors=True)


def next_steps(checkdir, args):
    """What to do with a finished run, as commands that work."""
    best = os.path.join(checkdir, 'weights.best_cer.h5')
    weights = ' --weights %s' % best if os.path.exists(best) else ''
    return '\n'.join([
        'next:',
        '  read lines:   python CRNN_predict.py --run %s%s printed/00000001.png' % (checkdir, weights),
        '  read a page:  python CRNN_predict.py --run %s%s --page pages/contract_page1.jpg' % (checkdir, weights),
        '  evaluate:     python CRNN_predict.py --run %s%s --data-dir %s' % (checkdir, weights, args.data_dir),
        '  train more:   python CRNN_training.py --resume %s --epochs %d' % (checkdir, args.epochs * 2),
        '  export:       python CRNN_predict.py --run %s%s --export exported/' % (checkdir, weights),
    ])
