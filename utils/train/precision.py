"""What ``--precision auto`` and ``--jit-compile auto`` choose, and why.

bf16 mixed precision only pays where the hardware computes bf16 natively
(CPUs with AVX512-BF16 or AMX, GPUs of compute capability 8.0 or newer);
elsewhere it is emulated and slower than float32. XLA stays Keras' choice on
GPUs; on the CPU it is off, because XLA needs the dense CTC loss and the sparse
TensorFlow CTC op without XLA measured faster in both precisions
(BENCHMARKS.md, 'vs_original').
"""
CPU_BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def cpu_flags(path='/proc/cpuinfo'):
    """The CPU's feature flags (Linux); an empty set where they cannot be read."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def gpu_capabilities():
    """Compute capabilities ((major, minor), ...) of the GPUs the Keras backend sees."""
    import keras
    backend = keras.backend.backend()
    if backend == 'tensorflow':
        import tensorflow as tf
        details = [tf.config.experimental.get_device_details(d) for d in tf.config.list_physical_devices('GPU')]
        return [tuple(d.get('compute_capability', (0, 0))) for d in details]
    if backend == 'jax':
        import jax
        return [tuple(int(v) for v in str(getattr(d, 'compute_capability', '0.0')).split('.')[:2])
                for d in jax.devices() if d.platform == 'gpu']
    if backend == 'torch':
        import torch
        return [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]
    return []


def choose_precision(requested, gpus=None, flags=None, backend='tensorflow'):
    """(policy, reason) for ``--precision``; 'auto' picks bf16 where it is native."""
    if requested != 'auto':
        return requested, 'as asked'
    gpus = gpu_capabilities() if gpus is None else gpus
    if gpus and backend == 'jax':
        return 'float32', "auto: Keras runs LSTMs on JAX's cuDNN RNN on a GPU, which takes float32 only"
    if gpus:
        if min(gpus) >= (8, 0):
            return 'mixed_bfloat16', 'auto: GPU compute capability %d.%d computes bf16 natively' % min(gpus)
        return 'float32', 'auto: GPU compute capability %d.%d has no native bf16' % min(gpus)
    if backend == 'jax':
        return 'float32', 'auto: bf16 under XLA on the CPU measured slower than float32'
    native = sorted(set(CPU_BF16_FLAGS) & (cpu_flags() if flags is None else flags))
    if native:
        return 'mixed_bfloat16', 'auto: this CPU computes bf16 natively (%s)' % ', '.join(native)
    return 'float32', 'auto: this CPU has no native bf16 (no %s)' % ' or '.join(CPU_BF16_FLAGS)


def choose_jit(requested, gpus=None, distributed=False, backend='tensorflow'):
    """(jit_compile, reason) for ``--jit-compile``; 'auto' takes XLA only where it measured faster.

    Other backends than TensorFlow keep Keras' own 'auto' (JAX always compiles)."""
    if requested != 'auto':
        return requested == 'on', 'as asked'
    if backend != 'tensorflow':
        return 'auto', "auto: the %s backend's own choice" % backend
    if distributed:
        return False, 'auto: off under a distribution strategy (as Keras does)'
    gpus = gpu_capabilities() if gpus is None else gpus
    if gpus:
        return True, "auto: on for the GPU (Keras' choice)"
    return False, 'auto: off on the CPU (XLA with the dense CTC measured slower than the sparse CTC op)'


def describe(precision, precision_reason, jit, jit_reason):
    """The run header's line on the speed settings."""
    xla = {True: 'on', False: 'off'}.get(jit, jit)
    return 'precision %s (%s); XLA %s (%s)' % (precision, precision_reason, xla, jit_reason)
