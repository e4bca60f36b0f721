"""Keras 2-style optimizers: ``decay`` means lr / (1 + decay * iteration) again.

Keras 3 accepts ``decay=`` only to warn and ignore it, so the original
``SGD(learning_rate=1e-4, decay=1e-6, ...)`` would silently train with a
constant rate. These wrappers turn ``decay`` into an InverseTimeDecay schedule.
"""

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
