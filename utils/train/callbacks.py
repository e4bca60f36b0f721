"""Training callbacks: CSV logs, `.h5` checkpoints, snapshots, epoch lines, signals.

Each callback does one thing, like Keras' own. Files are written atomically
(temporary file + rename) so a killed run never leaves a half-written file.
"""

import csv
import io
import os
import signal
import sys
import time

import keras
import numpy as np

from utils.atomic import write_text_atomic
from utils.weights.h5 import save_weights_h5
from utils.train.optimizers import current_learning_rate


def _float(v):
    try:
        return float(keras.ops.convert_to_numpy(v))
    except (TypeError, ValueError):
        return v


def _read_rows(path):
    """CSV rows as dicts; a last line cut short by a killed process is dropped."""
    if not os.path.exists(path):
        return [], []
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    reader = csv.DictReader(io.StringIO(text[:text.rfind('\n') + 1]))
    rows = [r for r in reader if None not in r.values() and None not in r]
    return rows, reader.fieldnames or []


def _csv_text(rows, fields):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


class Logger(keras.callbacks.Callback):
    """log.csv: one row per batch (iteration, epoch, batch, time, lr, metrics);
    history.csv: one row per epoch, rewritten after every epoch.

    ``resume_epoch``: continue a run after that many completed epochs: rows of
    later (unfinished) epochs are dropped, new rows are appended.
    """

    def __init__(self, logdir, resume_epoch=0):
        super().__init__()
        self.logdir = logdir
        os.makedirs(logdir, exist_ok=True)
        self.history = []
        self.epoch = 0
        self.iteration = 0
        self.time_offset = 0.0
        if resume_epoch:
            self._truncate(resume_epoch)

    def _truncate(self, epochs):
        history, fields = _read_rows(os.path.join(self.logdir, 'history.csv'))
        self.history = [r for r in history if int(r['epoch']) <= epochs]
        write_text_atomic(os.path.join(self.logdir, 'history.csv'), _csv_text(self.history, fields))
        log, fields = _read_rows(os.path.join(self.logdir, 'log.csv'))
        log = [r for r in log if int(r['epoch']) < epochs]
        write_text_atomic(os.path.join(self.logdir, 'log.csv'), _csv_text(log, fields))
        if log:
            self.iteration, self.time_offset = int(log[-1]['iteration']), float(log[-1]['time'])

    def on_train_begin(self, logs=None):
        self.start_time = time.time() - self.time_offset

    def as_history(self):
        """{metric: [value per epoch]} over the whole run, resumed parts included."""
        keys = dict.fromkeys(k for r in self.history for k in r if k not in ('epoch', 'time', 'lr'))
        return {k: [float(r[k]) for r in self.history if r.get(k) not in (None, '')] for k in keys}

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.iteration += 1
        row = {'iteration': self.iteration, 'epoch': self.epoch, 'batch': batch,
               'time': round(time.time() - self.start_time, 3),
               'lr': current_learning_rate(self.model.optimizer)}
        row.update({k: _float(v) for k, v in (logs or {}).items()})
        path = os.path.join(self.logdir, 'log.csv')
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        with open(path, 'a', encoding='utf-8', newline='') as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)

    def on_epoch_end(self, epoch, logs=None):
        row = {'epoch': epoch + 1, 'time': round(time.time() - self.start_time, 3),
               'lr': current_learning_rate(self.model.optimizer)}
        row.update({k: _float(v) for k, v in (logs or {}).items() if k != 'learning_rate'})
        self.history.append(row)
        fields = list(dict.fromkeys(k for r in self.history for k in r))
        write_text_atomic(os.path.join(self.logdir, 'history.csv'), _csv_text(self.history, fields))


class ModelCheckpoint(keras.callbacks.Callback):
    """Per-epoch weights as Keras 2 `.h5` files, e.g. ``weights.{epoch:03d}.h5``.

    Keras 3's own ModelCheckpoint refuses `.h5` weights; this one writes the
    layout the original's users load. ``save_best_only`` keeps the file of the
    best ``monitor`` value.
    """

    def __init__(self, filepath, monitor='val_loss', verbose=0, save_best_only=False,
                 save_weights_only=True, mode='min', keep_last=None):
        super().__init__()
        self.keep_last = keep_last
        if not save_weights_only:
            raise ValueError('this checkpoint writes weights only; save the model with model.save()')
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.better = (lambda a, b: a < b) if mode == 'min' else (lambda a, b: a > b)
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or (self.best is not None and not self.better(float(value), self.best)):
                return
            self.best = float(value)
        save_weights_h5(self.model, path)
        if self.verbose:
            print('Epoch %d: saved weights to %s' % (epoch + 1, path), flush=True)
        if self.keep_last:
            self._prune()

    def _prune(self):
        """Remove all but the ``keep_last`` newest files of this pattern (per-epoch weights)."""
        folder, name = os.path.split(self.filepath)
        head, _, rest = name.partition('{')
        tail = rest.partition('}')[2]
        numbered = sorted(f for f in os.listdir(folder or '.') if f.startswith(head) and f.endswith(tail)
                          and f[len(head):len(f) - len(tail)].isdigit())
        for f in numbered[:-self.keep_last]:
            os.remove(os.path.join(folder, f))


class ModelSnapshot(keras.callbacks.Callback):
    """Save the weights every ``interval`` iterations as weights.NNNNNN.h5."""

    def __init__(self, logdir, interval=10000, verbose=1, iteration=0):
        super().__init__()
        self.logdir = logdir
        self.interval = interval
        self.verbose = verbose
        self.iteration = iteration

    def on_train_batch_end(self, batch, logs=None):
        self.iteration += 1
        if self.iteration % self.interval == 0:
            path = os.path.join(self.logdir, 'weights.%06i.h5' % self.iteration)
            save_weights_h5(self.model, path)
            if self.verbose:
                print('Saving model %s' % path, flush=True)


class EpochLine(keras.callbacks.Callback):
    """Flushed lines for logs under nohup, where a progress bar would fill
    nohup.out with carriage returns: one per epoch, and inside an epoch one
    ``step k/n`` line (loss, lines/s, the epoch's ETA) at least every
    ``log_every`` seconds (0: none), so ``tail -f`` shows an hour-long epoch
    moving."""

    def __init__(self, epochs, stream=None, log_every=60, batch_size=None):
        super().__init__()
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self.log_every = log_every
        self.batch_size = batch_size

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = self.last = time.time()
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        now = time.time()
        if not self.log_every or now - self.last < self.log_every:
            return
        self.last = now
        steps = (self.params or {}).get('steps')
        rate = (batch + 1) / (now - self.t0)
        eta = ' ETA %.0fs' % ((steps - batch - 1) / rate) if steps else ''
        lines = ' %.1f lines/s' % (rate * self.batch_size) if self.batch_size else ''
        print('epoch %d/%d step %d/%s loss %.4f%s%s' % (self.epoch + 1, self.epochs, batch + 1, steps or '?',
                                                       _float((logs or {}).get('loss', float('nan'))), lines, eta),
              file=self.stream, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        items = ' '.join('%s %.4f' % (k, _float(v)) for k, v in (logs or {}).items() if k != 'learning_rate')
        print('epoch %d/%d %s lr %.3g %.1fs' % (epoch + 1, self.epochs, items,
                                                current_learning_rate(self.model.optimizer), time.time() - self.t0),
              file=self.stream, flush=True)


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``minutes`` have passed since it began: the running
    epoch ends early after the current batch and is validated and recorded
    like any other, so a time-boxed run (a lent GPU) ends with its weights."""

    def __init__(self, minutes, stream=None):
        super().__init__()
        self.seconds = 60.0 * minutes
        self.stream = stream or sys.stdout
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.t0 = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if not self.stopped and time.time() - self.t0 >= self.seconds:
            self.stopped = True
            self.model.stop_training = True
            print('time limit of %g minutes reached: this epoch ends after batch %d'
                  % (self.seconds / 60, batch + 1), file=self.stream, flush=True)


def signal_name(signum):
    return signal.Signals(signum).name


class TrainingInterrupted(KeyboardInterrupt):
    """Raised out of ``fit`` by StopOnSignal: ``signum`` arrived, the weights
    are in ``path``, and the unfinished epoch was not recorded."""

    def __init__(self, signum, path=None, completed=None):
        super().__init__(signum)
        self.signum, self.path, self.completed = signum, path, completed

    @property
    def exit_code(self):
        return 128 + self.signum


class StopOnSignal(keras.callbacks.Callback):
    """On SIGTERM or SIGINT, finish the current batch, save the weights to
    ``path`` and raise TrainingInterrupted out of ``fit``, so that the
    unfinished epoch is neither validated nor recorded (no history row, no
    weights.NNN.h5, no resume state): ``--resume`` repeats it from its start.
    A signal during validation stops there; one after an epoch's last batch
    lets that complete epoch be recorded first. A second signal stops at once
    (atomic writes leave no half-written file). Put it last."""

    def __init__(self, path, signals=(signal.SIGTERM, signal.SIGINT)):
        super().__init__()
        self.path = path
        self.signals = signals
        self.signal = None
        self.completed = None
        self._previous = {}

    def _handle(self, signum, frame):
        if self.signal is not None:
            raise TrainingInterrupted(signum, completed=self.completed)
        self.signal = signum
        print('%s received: stopping after this batch (again: at once)' % signal.Signals(signum).name,
              file=sys.stderr, flush=True)

    def on_train_begin(self, logs=None):
        for s in self.signals:
            self._previous[s] = signal.signal(s, self._handle)

    def on_epoch_begin(self, epoch, logs=None):
        self.completed = epoch

    def _stop(self):
        if self.signal is not None:
            save_weights_h5(self.model, self.path)
            raise TrainingInterrupted(self.signal, self.path, self.completed)

    def on_train_batch_end(self, batch, logs=None):
        self._stop()

    def on_test_batch_end(self, batch, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self.completed = epoch + 1
        self._stop()

    def on_train_end(self, logs=None):
        for s, h in self._previous.items():
            signal.signal(s, h)


class ValidationMetrics(keras.callbacks.Callback):
    """CER, NED and line accuracy on ``steps`` validation batches (a line
    that comes round again in them counted once, so a small split scores as
    evaluating it does) every ``interval`` epochs, added to the epoch logs as val_cer, val_ned, val_acc
    (so history.csv, the epoch line and checkpoints see them). Put it first.
    ``predict``: images -> softmax outputs, by default the compiled
    ``model_pred.predict_on_batch``; under tf.distribute pass
    ``utils.distribute.local_predict(model_pred)``."""

    def __init__(self, sequence, model_pred, charset, steps=4, interval=1, beam_width=0, predict=None):
        super().__init__()
        self.sequence = sequence
        self.model_pred = model_pred
        self.predict = predict or model_pred.predict_on_batch
        self.charset = charset
        self.steps = steps
        self.interval = interval
        self.beam_width = beam_width

    def lines(self):
        """How many validation lines each evaluation scores (each line once, however small the split)."""
        return min(self.steps * self.sequence.gen.batch_size, len(self.sequence.gen.indices))

    def evaluate(self):
        from crnn_utils import decode_batch, recognition_metrics
        gts, preds, seen = [], [], set()
        for i in range(self.steps):
            first = []
            for k in self.sequence.sample_indices(i):
                first.append(k not in seen)
                seen.add(k)
            if not any(first):
                break
            inputs, _ = self.sequence.batch(i)
            probs = self.predict(inputs['image_input'])
            read = decode_batch(keras.ops.convert_to_numpy(probs), self.charset, self.beam_width)
            preds += [r for r, f in zip(read, first) if f]
            gts += [g for g, f in zip(inputs['source_str'].tolist(), first) if f]
        return recognition_metrics(gts, preds)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and (epoch + 1) % self.interval == 0:
            logs.update({'val_' + k: v for k, v in self.evaluate().items()})


class TensorBoardLines(keras.callbacks.Callback):
    """A few validation lines and their readings per epoch, into TensorBoard's
    Images and Text tabs (TensorFlow only; the scalars come from Keras' own
    TensorBoard callback): ``count`` lines of the first validation batch."""

    def __init__(self, log_dir, sequence, model_pred, charset, count=4):
        super().__init__()
        self.log_dir, self.sequence, self.model_pred, self.charset, self.count = (log_dir, sequence, model_pred,
                                                                                  charset, count)
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf
        from crnn_utils import decode_batch
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(os.path.join(self.log_dir, 'validation'))
        inputs, _ = self.sequence.batch(0)
        images = inputs['image_input'][:self.count]
        readings = decode_batch(keras.ops.convert_to_numpy(self.model_pred.predict_on_batch(images)), self.charset)
        rows = ['| truth | read |', '|---|---|'] + ['| %s | %s |' % (t, r) for t, r in
                                                   zip(inputs['source_str'][:self.count], readings)]
        with self.writer.as_default():
            tf.summary.image('validation lines', np.transpose(images, (0, 2, 1, 3)) / 255.0, step=epoch + 1,
                             max_outputs=self.count)
            tf.summary.text('readings', '\n'.join(rows), step=epoch + 1)
        self.writer.flush()


def check_layer_names(model, freeze):
    """Fail, naming the layers that do exist, when ``freeze`` names a layer the model lacks."""
    names = {layer.name for layer in model.layers}
    unknown = [n for n in freeze if n not in names]
    if unknown:
        weighted = [layer.name for layer in model.layers if layer.weights]
        raise ValueError('cannot freeze %s: no such layer (layers with weights: %s)'
                         % (', '.join(unknown), ', '.join(weighted)))


def freeze_layers(model, freeze, log=None):
    """``layer.trainable = not layer.name in freeze``; unknown names are an
    error. ``log``: told what was frozen and how many weights still train."""
    check_layer_names(model, freeze)
    for layer in model.layers:
        layer.trainable = layer.name not in freeze
    if log and freeze:
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        total = sum(int(np.prod(w.shape)) for w in model.weights)
        log('frozen: %s; trainable weights %d of %d (%.1f%%)' % (', '.join(freeze), trainable, total,
                                                                 100.0 * trainable / total))
