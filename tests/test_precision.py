"""--precision auto and --jit-compile auto: what they choose on which hardware, and the run header saying so."""

import pytest

from helpers import run_tool
from utils.train.precision import choose_jit, choose_precision, cpu_flags, describe


@pytest.mark.parametrize('gpus, flags, expected', [
    ([], {'avx2', 'avx512f', 'avx512_bf16'}, 'mixed_bfloat16'),
    ([], {'avx2', 'amx_bf16', 'amx_tile'}, 'mixed_bfloat16'),
    ([], {'avx2', 'avx512f'}, 'float32'),  # AVX-512 without BF16 emulates bf16: slower
    ([], set(), 'float32'),
    ([(8, 0)], set(), 'mixed_bfloat16'),  # A100
    ([(9, 0), (9, 0)], set(), 'mixed_bfloat16'),  # H100s
    ([(7, 5)], {'avx512_bf16'}, 'float32'),  # T4: the GPU decides, not the host CPU
    ([(8, 6), (7, 0)], set(), 'float32'),  # the weakest GPU decides
])
def test_auto_precision_is_bf16_only_where_native(gpus, flags, expected):
    policy, reason = choose_precision('auto', gpus=gpus, flags=flags)
    assert policy == expected and reason.startswith('auto: ')


def test_explicit_settings_are_kept():
    assert choose_precision('float32', gpus=[(9, 0)], flags={'avx512_bf16'}) == ('float32', 'as asked')
    assert choose_precision('mixed_float16', gpus=[], flags=set())[0] == 'mixed_float16'
    assert choose_jit('off', gpus=[]) == (False, 'as asked')
    assert choose_jit('on', gpus=[]) == (True, 'as asked')


def test_auto_jit_only_where_it_measured_faster():
    assert choose_jit('auto', gpus=[])[0] is False  # XLA's dense CTC lost to the sparse op (0.87x, bf16 0.40x)
    assert choose_jit('auto', gpus=[(9, 0)])[0] is True
    assert choose_jit('auto', gpus=[(9, 0)], distributed=True)[0] is False
    assert choose_jit('auto', gpus=[], backend='jax')[0] == 'auto'  # JAX always compiles
    assert choose_precision('auto', gpus=[], flags={'avx512_bf16'}, backend='jax')[0] == 'float32'


def test_auto_precision_on_a_jax_gpu_is_float32():
    # Keras runs LSTMs on JAX's cuDNN RNN on a GPU, which rejects bf16 (seen on an H200: 'Unknown output type bfloat16')
    policy, reason = choose_precision('auto', gpus=[(9, 0)], flags=set(), backend='jax')
    assert policy == 'float32' and 'cuDNN' in reason
    assert choose_precision('auto', gpus=[(9, 0)], flags=set(), backend='torch')[0] == 'mixed_bfloat16'


def test_cpu_flags_reads_the_flags_line(tmp_path):
    info = tmp_path / 'cpuinfo'
    info.write_text('processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx512_bf16\n\n')
    assert cpu_flags(str(info)) == {'fpu', 'sse2', 'avx512_bf16'}
    assert cpu_flags(str(tmp_path / 'missing')) == set()


def test_training_header_says_what_auto_chose(aihub_dir, tmp_path):
    """The README's command with no speed flags: the header names the choice and the reason."""
    r = run_tool('CRNN_training.py', '--data-dir', aihub_dir, '--epochs', 1, '--steps-per-epoch', 1, '--batch-size', 2,
                 '--validation-steps', 1, '--metrics-steps', 0, '--checkpoint-root', tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    policy, reason = choose_precision('auto', gpus=[])
    jit, jit_reason = choose_jit('auto', gpus=[])
    assert describe(policy, reason, jit, jit_reason) in r.stdout.splitlines()
    assert 'epoch 1/1 loss' in r.stdout
