"""Training on several devices or machines with tf.distribute (TensorFlow only).

The one place with tf.distribute code. ``--strategy mirrored`` uses every
local GPU (MirroredStrategy); ``--strategy multiworker`` a cluster described
by TF_CONFIG (MultiWorkerMirroredStrategy). ``--batch-size`` is per replica:
each step trains on batch size x replicas lines, and the slice of that global
batch a replica gets is read only by its own worker.
"""

import atexit
import contextlib
import json
import os
import shutil
import tempfile

STRATEGIES = ('none', 'mirrored', 'multiworker')


def _tf():
    import keras
    if keras.backend.backend() != 'tensorflow':
        raise ValueError('--strategy needs the TensorFlow backend (KERAS_BACKEND is %s)' % keras.backend.backend())
    import tensorflow as tf
    return tf


def _cluster_config():
    """TF_CONFIG, checked: a clear error instead of a hang on a typo."""
    raw = os.environ.get('TF_CONFIG')
    if not raw:
        raise ValueError('--strategy multiworker needs TF_CONFIG describing the cluster, e.g. '
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", '
                         '"index": 0}} (docs/distributed.md)')
    try:
        config = json.loads(raw)
        cluster, task = config['cluster'], config['task']
        hosts = cluster[task['type']]
        if not 0 <= int(task['index']) < len(hosts):
            raise IndexError('task index %s, but %d %s hosts' % (task['index'], len(hosts), task['type']))
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise ValueError('TF_CONFIG is not a usable cluster description (%s: %s): %s'
                         % (type(e).__name__, e, raw)) from None
    return config


def make_strategy(name, cpu_devices=0):
    """The tf.distribute strategy for ``--strategy`` (None for 'none').

    ``cpu_devices`` > 0 splits the CPU into that many logical devices and
    mirrors over them: the distributed code path on a machine without GPUs.
    """
    if name not in STRATEGIES:
        raise ValueError('unknown strategy %r (choose from %s)' % (name, ', '.join(STRATEGIES)))
    if name == 'none':
        if cpu_devices:
            raise ValueError('--cpu-devices needs --strategy mirrored')
        return None
    tf = _tf()
    if name == 'multiworker':
        if cpu_devices:
            raise ValueError('--cpu-devices works with --strategy mirrored only')
        _cluster_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = None
    if cpu_devices:
        cpu = tf.config.list_physical_devices('CPU')[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
        devices = [d.name for d in tf.config.list_logical_devices('CPU')]
    return tf.distribute.MirroredStrategy(devices)


def num_replicas(strategy):
    return 1 if strategy is None else strategy.num_replicas_in_sync


def is_chief(strategy):
    """True where the run folder is written: single-device training, the
    'chief' task, or worker 0 of a cluster without one."""
    if strategy is None or not isinstance(strategy, _tf().distribute.MultiWorkerMirroredStrategy):
        return True
    resolver = strategy.cluster_resolver
    if resolver.task_type == 'chief':
        return True
    return resolver.task_type == 'worker' and resolver.task_id == 0 and 'chief' not in resolver.cluster_spec().jobs


def worker_dir(strategy):
    """A private temporary folder for a non-chief worker's files, removed
    when the process exits. Workers save too (Keras callbacks run on all of
    them) but never where the chief writes."""
    resolver = strategy.cluster_resolver
    path = tempfile.mkdtemp(prefix='crnn_%s%d_' % (resolver.task_type, resolver.task_id))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def scope(strategy):
    """``strategy.scope()``, or a no-op without a strategy."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def distributed_input(strategy, sequence, start=0):
    """``sequence`` (an InputSequence of global batches) as the input of
    ``model.fit`` under ``strategy``.

    Every replica gets its own slice of global batch ``start + step``, so the
    replicas together train on exactly the batches single-device training
    would, and each worker decodes only the images of its own replicas.
    """
    tf = _tf()
    inputs, targets = sequence.batch(start, with_source_str=False, part=(0, strategy.num_replicas_in_sync))
    spec = tf.nest.map_structure(lambda a: tf.TensorSpec((None,) + a.shape[1:], tf.as_dtype(a.dtype)),
                                 (inputs, targets))

    def dataset_fn(context):
        replicas = context.num_replicas_in_sync
        local = replicas // context.num_input_pipelines
        first = context.input_pipeline_id * local

        def shards():
            k = 0
            while True:
                step, r = divmod(k, local)
                yield sequence.batch(start + step, with_source_str=False, part=(first + r, replicas))
                k += 1

        return tf.data.Dataset.from_generator(shards, output_signature=spec).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(dataset_fn)


def variable_width_input(sequence):
    """``sequence`` (an InputSequence with width buckets) as a tf.data.Dataset
    for ``fit`` on one device. Keras' own PyDataset adapter fixes every shape
    its first two batches agree on, so a later batch of another width would
    fail; here the image and label widths are left open."""
    tf = _tf()
    inputs, targets = sequence[0]
    open_width = ('image_input', 'label_input', 'teacher_probs')
    spec = ({k: tf.TensorSpec((None, None) + a.shape[2:] if k in open_width else (None,) + a.shape[1:],
                              tf.as_dtype(a.dtype)) for k, a in inputs.items()},
            tf.nest.map_structure(lambda a: tf.TensorSpec((None,) + a.shape[1:], tf.as_dtype(a.dtype)), targets))

    def batches():
        i = 0
        while True:
            yield sequence[i]
            i += 1

    return tf.data.Dataset.from_generator(batches, output_signature=spec).prefetch(2)


def _private_hook(obj, name):
    """A private Keras method that a workaround below replaces, checked so
    that a Keras without it stops with a clear error before training."""
    import keras
    if not callable(getattr(obj, name, None)):
        raise RuntimeError('--strategy: Keras %s has no %s.%s, which utils/train/distribute.py replaces to work around '
                           'a Keras bug (verified with Keras 3.15); use that Keras or train without --strategy'
                           % (keras.__version__, type(obj).__name__, name))
    return getattr(obj, name)


def local_predict(model):
    """``model``'s outputs for a batch, computed by this process alone.

    Under a strategy ``predict_on_batch`` runs the whole batch on every
    replica and concatenates the copies; this compiled call reads the
    mirrored weights once instead (an eager call measured several times slower).
    """
    tf = _tf()
    return tf.function(lambda images: model(images, training=False), reduce_retracing=True)


def clip_after_all_reduce(optimizer):
    """Make ``optimizer`` clip the replicas' summed gradient, as on one device.

    Keras 3 on TensorFlow clips each replica's gradient and only then sums
    them, so with N replicas ``clipnorm`` lets through up to N times the norm
    single-device training allows (measured: the loss curves part from the
    second step on). Here the replicas sum first; each replica then hands
    Keras 1/N of the clipped sum, which Keras sums back to the clipped sum.
    """
    if not (optimizer.clipnorm or optimizer.global_clipnorm or optimizer.clipvalue):
        return optimizer
    tf = _tf()
    clip = _private_hook(optimizer, '_clip_gradients')

    def _clip_gradients(grads):
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return clip(grads)
        n = context.num_replicas_in_sync
        present = [i for i, g in enumerate(grads) if g is not None]
        summed = context.all_reduce(tf.distribute.ReduceOp.SUM, [grads[i] for i in present])
        clipped = clip(summed)
        out = list(grads)
        for i, g in zip(present, clipped):
            out[i] = g / n
        return out

    optimizer._clip_gradients = _clip_gradients
    return optimizer


def prepare_fit(model, strategy, sequence):
    """Work around two Keras 3 bugs that stop ``fit`` under tf.distribute.

    1. Keras starts ``fit`` and ``evaluate`` by ``strategy.reduce``-ing the
       first distributed batch to build the loss, metric and optimizer state;
       MultiWorkerMirroredStrategy cannot reduce a dict of inputs ("Attempt to
       convert a value ({'image_input': PerReplica: ...})"). The state is built
       here from one local batch instead, and that step skipped.
    2. Under MultiWorkerMirroredStrategy Keras averages each step's logs with
       ``strategy.reduce('MEAN', log, axis=0)``, which fails on scalars
       ("Invalid reduction dimension 0 for input with 0 dimensions",
       tensorflow/tensorflow#72388). The steps return their logs as shape (1,).
    """
    batch = sequence.batch(sequence.start, with_source_str=False, part=(0, strategy.num_replicas_in_sync))
    _private_hook(model, '_maybe_symbolic_build')(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    tf = _tf()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        for name in ('train_step', 'test_step'):
            step = getattr(model, name)
            setattr(model, name, lambda data, step=step: {k: tf.reshape(v, (1,)) for k, v in step(data).items()})
