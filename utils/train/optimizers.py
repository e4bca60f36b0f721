"""Keras 2-style optimizers: ``decay`` means lr / (1 + decay * iteration) again.

Keras 3 accepts ``decay=`` only to warn and ignore it, so the original
``SGD(learning_rate=1e-4, decay=1e-6, ...)`` would silently train with a
constant rate. These wrappers turn ``decay`` into an InverseTimeDecay schedule.
The warm-up + cosine schedules (by step, or by wall-clock time) live here too.
"""

import math
import time

import keras


def learning_rate_schedule(learning_rate, decay):
    """Keras 2's per-iteration inverse-time decay, or the plain rate."""
    if not decay:
        return learning_rate
    return keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)


def warmup_cosine(learning_rate, total_steps, warmup_steps=0, final_fraction=0.01):
    """Linear warm-up from 0 to ``learning_rate`` over ``warmup_steps``, then
    cosine decay to ``final_fraction`` of it at ``total_steps``."""
    if total_steps <= warmup_steps:
        raise ValueError('cosine schedule: %d steps in all leave none after %d warm-up steps'
                         % (total_steps, warmup_steps))
    return keras.optimizers.schedules.CosineDecay(0.0 if warmup_steps else learning_rate, total_steps - warmup_steps,
                                                  alpha=final_fraction, warmup_target=learning_rate if warmup_steps
                                                  else None, warmup_steps=warmup_steps)


def cosine_at(fraction, learning_rate, warmup=0.0, final_fraction=0.01):
    """The rate at ``fraction`` (0-1) of a run: linear warm-up over its first
    ``warmup`` share, then cosine decay to ``final_fraction`` of the peak."""
    if fraction < warmup:
        return learning_rate * max(fraction / warmup, final_fraction)
    progress = min(1.0, (fraction - warmup) / max(1e-9, 1.0 - warmup))
    return learning_rate * (final_fraction + (1.0 - final_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress)))


class TimeCosine(keras.callbacks.Callback):
    """Warm-up and cosine decay over ``minutes`` of wall-clock time rather than
    a number of steps, set at each epoch's start: for a machine whose speed
    is not known beforehand (a lent GPU), where --time-limit ends the run.
    The optimizer must have a plain (float) learning rate."""

    def __init__(self, learning_rate, minutes, warmup=0.05, final_fraction=0.01, clock=None):
        super().__init__()
        self.peak, self.seconds, self.warmup, self.final = learning_rate, 60.0 * minutes, warmup, final_fraction
        self.clock = clock or time.time

    def on_train_begin(self, logs=None):
        self.t0 = self.clock()

    def on_epoch_begin(self, epoch, logs=None):
        fraction = (self.clock() - self.t0) / self.seconds
        self.model.optimizer.learning_rate = cosine_at(fraction, self.peak, self.warmup, self.final)


def _rate(learning_rate, lr):
    if lr is not None:
        if learning_rate is not None:
            raise ValueError('give learning_rate or lr, not both')
        return lr
    return 0.01 if learning_rate is None else learning_rate


def _schedule(rate, decay):
    """A schedule object passes through; a number gets Keras 2's ``decay``."""
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        if decay:
            raise ValueError('give decay or a learning-rate schedule, not both')
        return rate
    return learning_rate_schedule(rate, decay)


def SGD(learning_rate=None, momentum=0.0, nesterov=False, decay=0.0, lr=None, **kwargs):
    """keras.optimizers.SGD with Keras 2's ``decay`` (and ``lr``) arguments."""
    schedule = _schedule(_rate(learning_rate, lr), decay)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=momentum, nesterov=nesterov, **kwargs)


def Adam(learning_rate=None, decay=0.0, lr=None, **kwargs):
    """keras.optimizers.Adam with Keras 2's ``decay`` (and ``lr``) arguments."""
    rate = _rate(learning_rate, lr) if (learning_rate is not None or lr is not None) else 0.001
    return keras.optimizers.Adam(learning_rate=_schedule(rate, decay), **kwargs)


def current_learning_rate(optimizer):
    """The rate the optimizer uses at its current iteration, as a float."""
    lr = optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(lr))
