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


def _rate(learning_rate, lr):
    if lr is not None:
        if learning_rate is not None:
            raise ValueError('give learning_rate or lr, not both')
        return lr
    return 0.01 if learning_rate is None else learning_rate


def SGD(learning_rate=None, momentum=0.0, nesterov=False, decay=0.0, lr=None, **kwargs):
    """keras.optimizers.SGD with Keras 2's ``decay`` (and ``lr``) arguments."""
    schedule = learning_rate_schedule(_rate(learning_rate, lr), decay)
    return keras.optimizers.SGD(learning_rate=schedule, momentum=momentum, nesterov=nesterov, **kwargs)


def Adam(learning_rate=None, decay=0.0, lr=None, **kwargs):
    """keras.optimizers.Adam with Keras 2's ``decay`` (and ``lr``) arguments."""
    rate = _rate(learning_rate, lr) if (learning_rate is not None or lr is not None) else 0.001
    return keras.optimizers.Adam(learning_rate=learning_rate_schedule(rate, decay), **kwargs)


def current_learning_rate(optimizer):
    """The rate the optimizer uses at its current iteration, as a float."""
    lr = optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(lr))
