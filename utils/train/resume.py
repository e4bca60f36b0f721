"""Resuming a killed run where its last completed epoch ended.

After every epoch ``ResumeState`` writes ``resume.h5`` in the run folder
(atomically): the epoch count, every model and optimizer variable (so the
momentum and the learning-rate schedule's position, which is the optimizer's
iteration count, come back), and the state of the callbacks that carry some:
early stopping and best-only checkpoints.
"""

import json
import os

import h5py
import keras
import numpy as np

from utils.atomic import atomic_write
from utils.weights.h5 import load_weights_h5

STATE_FILE = 'resume.h5'


def _put(group, variables):
    for i, v in enumerate(variables):
        d = group.create_dataset('%05d' % i, data=np.asarray(keras.ops.convert_to_numpy(v)))
        d.attrs['path'] = v.path


def _assign(variables, group, path, what):
    names = sorted(group.keys())
    if len(names) != len(variables):
        raise ValueError('%s: %d %s variables saved, this model has %d (another architecture, charset or '
                         '--freeze?)' % (path, len(names), what, len(variables)))
    for v, name in zip(variables, names):
        value = group[name][()]
        if tuple(value.shape) != tuple(v.shape):
            raise ValueError('%s: %s variable %s has shape %s, but %s has shape %s'
                             % (path, what, group[name].attrs.get('path', name), value.shape, v.path, tuple(v.shape)))
        v.assign(value)


def check_resumable(run_dir):
    """Fail early, before any data is read, when ``run_dir`` cannot be resumed."""
    for name, why in ((STATE_FILE, 'the run completed no epoch, start it again instead'),
                      ('charset.json', 'the run has no charset')):
        if not os.path.exists(os.path.join(run_dir, name)):
            raise ValueError('cannot resume %s: no %s (%s)' % (run_dir, name, why))


class ResumeState(keras.callbacks.Callback):
    """Write the run's resume state after every epoch; ``restore()`` reads it
    back. Put it after EarlyStopping and the checkpoints in the callbacks.
    ``source_dir``: the run folder to restore from, when it is not the one
    written (a non-chief worker of a cluster reads the chief's)."""

    def __init__(self, run_dir, early_stopping=None, checkpoints=(), weights_pattern='weights.{epoch:03d}.h5',
                 source_dir=None):
        super().__init__()
        self.path = os.path.join(run_dir, STATE_FILE)
        self.source_dir = source_dir or run_dir
        self.early_stopping = early_stopping
        self.checkpoints = list(checkpoints)
        self.weights_pattern = weights_pattern
        self.restored = None

    def _state(self):
        es = self.early_stopping
        return {'early_stopping': None if es is None else
                {'wait': es.wait, 'best': None if es.best is None else float(es.best), 'best_epoch': es.best_epoch},
                'checkpoints': [c.best for c in self.checkpoints]}

    def on_epoch_end(self, epoch, logs=None):
        with atomic_write(self.path) as tmp, h5py.File(tmp, 'w') as f:
            f.attrs['epoch'] = epoch + 1
            f.attrs['state'] = json.dumps(self._state())
            _put(f.create_group('model'), self.model.weights)
            _put(f.create_group('optimizer'), self.model.optimizer.variables)

    def restore(self, model):
        """Load model and optimizer variables into the compiled ``model``;
        returns the number of completed epochs (fit's ``initial_epoch``)."""
        path = os.path.join(self.source_dir, STATE_FILE)
        if not os.path.exists(path):
            raise ValueError('%s: no %s - the run completed no epoch, start it again instead'
                             % (self.source_dir, STATE_FILE))
        try:
            f = h5py.File(path, 'r')
        except OSError as e:
            raise ValueError('%s is not a readable resume state (%s)' % (path, e)) from None
        with f:
            epoch = int(f.attrs['epoch'])
            self.restored = json.loads(f.attrs['state'])
            _assign(model.weights, f['model'], path, 'model')
            model.optimizer.build(model.trainable_variables)
            _assign(model.optimizer.variables, f['optimizer'], path, 'optimizer')
        return epoch

    def on_train_begin(self, logs=None):
        """EarlyStopping resets itself here; give it back its saved state."""
        if not self.restored:
            return
        es, state = self.early_stopping, self.restored['early_stopping']
        if es is not None and state is not None:
            es.wait, es.best, es.best_epoch = state['wait'], state['best'], state['best_epoch']
            best_file = os.path.join(self.source_dir, self.weights_pattern.format(epoch=es.best_epoch + 1))
            if es.restore_best_weights and es.best is not None and os.path.exists(best_file):
                current = self.model.get_weights()
                load_weights_h5(self.model, best_file)
                es.best_weights = self.model.get_weights()
                self.model.set_weights(current)
        for c, best in zip(self.checkpoints, self.restored['checkpoints']):
            c.best = best
