import gzip
import os
import shutil

import h5py
import numpy as np
import pytest

from crnn_model import CRNN
from utils.h5weights import load_weights_h5, save_weights_h5
from utils.run import load_initial_weights

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def perturb(model, seed):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(np.abs(rng.normal(0, 0.05, w.shape)).astype('float32') + ('variance' in w.path))


def test_round_trip_predicts_the_same(small_model, tmp_path):
    model, model_pred = small_model
    perturb(model, 0)
    x = np.random.default_rng(1).uniform(0, 255, (2, 256, 32, 1)).astype('float32')
    before = model_pred.predict(x, verbose=0)
    path = str(tmp_path / 'w.h5')
    save_weights_h5(model, path)
    m2, p2 = CRNN((256, 32, 1), 40)
    load_weights_h5(m2, path)
    np.testing.assert_array_equal(p2.predict(x, verbose=0), before)
    m3, p3 = CRNN((256, 32, 1), 40)
    m3.load_weights(path)  # Keras' own loader reads the Keras 2 layout
    np.testing.assert_array_equal(p3.predict(x, verbose=0), before)
    assert not [f for f in os.listdir(tmp_path) if 'tmp' in f]


def test_file_has_keras2_layout(small_model, tmp_path):
    model, _ = small_model
    path = str(tmp_path / 'w.h5')
    save_weights_h5(model, path)
    with h5py.File(path, 'r') as f:
        layer_names = [n.decode() for n in f.attrs['layer_names']]
        assert layer_names == [l.name for l in model.layers]
        assert f.attrs['backend'] and f.attrs['keras_version']
        conv = [n.decode() for n in f['conv1_1'].attrs['weight_names']]
        assert conv == ['conv1_1/kernel:0', 'conv1_1/bias:0']
        assert f['conv1_1'][conv[0]].shape == (3, 3, 1, 64)
        bn = [n.decode().rsplit('/', 1)[-1] for n in f['batchnorm1'].attrs['weight_names']]
        assert bn == ['gamma:0', 'beta:0', 'moving_mean:0', 'moving_variance:0']
        bi = [n.decode() for n in f['bidirectional_1'].attrs['weight_names']]
        assert len(bi) == 6 and 'forward' in bi[0] and 'backward' in bi[3]
        assert list(f['softmax'].attrs['weight_names']) == []


def test_loads_real_keras2_file_and_predicts_the_same(tmp_path):
    """keras2_crnn_weights.h5.gz was written by Keras 2.15's save_weights
    (tests/fixtures/make_keras2_weights.py); the npz holds Keras 2's prediction."""
    path = str(tmp_path / 'CRNN_weights_2_v2.h5')
    with gzip.open(os.path.join(FIXTURES, 'keras2_crnn_weights.h5.gz')) as g, open(path, 'wb') as f:
        shutil.copyfileobj(g, f)
    ref = np.load(os.path.join(FIXTURES, 'keras2_crnn_prediction.npz'))
    model, model_pred = CRNN((256, 32, 1), 40)
    model.load_weights(path)  # the original's own call
    np.testing.assert_allclose(model_pred.predict(ref['x'], verbose=0), ref['y'], rtol=1e-4, atol=1e-6)
    m2, p2 = CRNN((256, 32, 1), 40)
    load_weights_h5(m2, path)
    np.testing.assert_allclose(p2.predict(ref['x'], verbose=0), ref['y'], rtol=1e-4, atol=1e-6)


def test_transfer_to_another_charset_skips_only_the_classifier(small_model, tmp_path):
    model, _ = small_model
    perturb(model, 2)
    path = str(tmp_path / 'w.h5')
    save_weights_h5(model, path)
    m2, _ = CRNN((256, 32, 1), 55)
    logged = []
    assert load_initial_weights(m2, path, log=logged.append) == ['dense1']
    np.testing.assert_array_equal(m2.get_layer('conv3_1').get_weights()[0], model.get_layer('conv3_1').get_weights()[0])
    assert 'dense1' in logged[-1] and 'random weights' in logged[-1]
    with pytest.raises(ValueError, match=r"layer 'dense1'.*\(512, 40\).*\(512, 55\)"):
        load_weights_h5(m2, path)


def test_not_a_weights_file_is_a_clear_error(tmp_path, small_model):
    p = tmp_path / 'broken.h5'
    p.write_bytes(b'garbage')
    with pytest.raises(ValueError, match='broken.h5 is not a readable HDF5'):
        load_weights_h5(small_model[0], str(p))


def test_float16_storage_loads_as_float32(small_model, tmp_path):
    """The shipped weights' storage: half the bytes, loaded into float32
    weights, predictions within float16 rounding."""
    model, model_pred = small_model
    perturb(model, 3)
    x = np.random.default_rng(2).uniform(0, 255, (2, 256, 32, 1)).astype('float32')
    before = model_pred.predict(x, verbose=0)
    full, half = str(tmp_path / 'full.h5'), str(tmp_path / 'half.h5')
    save_weights_h5(model, full)
    save_weights_h5(model, half, dtype='float16')
    assert os.path.getsize(half) < 0.6 * os.path.getsize(full)
    with h5py.File(half) as f:
        assert f['dense1'][f['dense1'].attrs['weight_names'][0]].dtype == np.float16
    m2, p2 = CRNN((None, 32, 1), 40)
    load_weights_h5(m2, half)
    assert all(w.dtype == 'float32' for w in m2.weights)
    np.testing.assert_allclose(p2.predict(x, verbose=0), before, atol=2e-2)
