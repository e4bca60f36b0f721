"""The model, loss, metrics and training script on Keras' JAX and PyTorch backends.

Each test runs where that backend is installed (JAX is in requirements-dev.txt;
PyTorch is not: `pip install torch` to run its tests), in a subprocess with
TensorFlow made unimportable, and compares with TensorFlow in this process.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import ROOT
from backend_check import ctc_case
from crnn_model import CTCLoss
from crnn_utils import decode_batch

BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(importlib.util.find_spec(b) is None,
                                                       reason='%s is not installed' % b)) for b in ('jax', 'torch')]
WITHOUT_TF = ("import runpy, sys; sys.modules['tensorflow'] = None; sys.path.insert(0, '.'); "
              "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def run_on(backend, args, timeout=300):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED='1', JAX_PLATFORMS='cpu',
               CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize('backend', BACKENDS)
def test_model_loss_and_keras2_weights(backend, tmp_path):
    out = str(tmp_path / 'result.json')
    p = run_on(backend, [os.path.join(ROOT, 'tests', 'backend_check.py'), out])
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.load(open(out))
    assert r['backend'] == backend
    probs, labels, input_length, label_length = ctc_case()
    tf_loss = np.asarray(CTCLoss()([labels, probs, input_length, label_length])).ravel()
    np.testing.assert_allclose(r['ctc_loss'], tf_loss, rtol=1e-4)
    assert r['keras2_max_diff'] < 1e-4 and r['resaved_max_diff'] < 1e-6
    ref = np.load(os.path.join(ROOT, 'tests', 'fixtures', 'keras2_crnn_prediction.npz'))
    charset = 'abcdefghijklmnopqrstuvwxyz0123456789 .,_'
    assert r['texts'] == decode_batch(ref['y'], charset) + decode_batch(ref['y'], charset, beam_width=4)
    assert 0 <= r['metrics']['cer']


@pytest.mark.parametrize('backend', BACKENDS)
def test_training_script_runs_without_tensorflow(backend, aihub_dir, tmp_path):
    root = str(tmp_path / 'ck')
    p = run_on(backend, ['-c', WITHOUT_TF, 'CRNN_training.py', '--data-dir', aihub_dir, '--epochs', '2',
                         '--batch-size', '4', '--checkpoint-root', root, '--experiment', backend])
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'epoch 2/2 loss' in p.stdout
    run = os.path.join(root, os.listdir(root)[0])
    for name in ('weights.001.h5', 'weights.002.h5', 'final_weights.h5', 'history.csv', 'log.csv', 'charset.json'):
        assert os.path.exists(os.path.join(run, name)), name
    from utils.weights.load import load_recognizer  # weights written under that backend load here, under TensorFlow
    model_pred, charset, _ = load_recognizer(run)
    assert model_pred.output_shape[-1] == len(charset)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec('jax') is None, reason='jax is not installed')
def test_gpu_command_trains_on_jax_without_tensorflow(tmp_path):
    """utils.train.gpu in miniature, on the CPU: lines made, a time-boxed JAX
    run from the shipped weights (already in the general charset: no classes added),
    the weights in the shipped layout and in parts that join back into it."""
    out = str(tmp_path / 'out')
    code = ("import runpy, sys; sys.modules['tensorflow'] = None; sys.path.insert(0, '.'); "
            "sys.argv = ['gpu_train'] + sys.argv[1:]; runpy.run_module('utils.train.gpu', run_name='__main__')")
    p = run_on('jax', ['-c', code, '--out', out, '--minutes', '0.3', '--lines', '300', '--workers', '2',
                       '--batch-size', '4', '--buckets', '256', '--steps-per-epoch', '10', '--split-mb', '8'],
               timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'charset: extends' not in p.stdout  # v4 is in the general charset
    assert 'steps per minute' in p.stdout
    parts = sorted(f for f in os.listdir(out) if f.startswith('CRNN_weights_gpu.h5.part'))
    assert len(parts) == 3 and os.path.exists(os.path.join(out, 'history.csv'))
    joined = str(tmp_path / 'CRNN_weights_gpu.h5')
    with open(joined, 'wb') as f:
        for part in parts:
            f.write(open(os.path.join(out, part), 'rb').read())
    from crnn_utils import general_charset, load_charset
    from utils.weights.load import load_recognizer
    assert load_charset(os.path.join(out, 'CRNN_charset_gpu.json')) == general_charset()
    model_pred, charset, _ = load_recognizer(weights=joined, charset=os.path.join(out, 'CRNN_charset_gpu.json'))
    assert model_pred.output_shape[-1] == len(charset) == 2602
