import gzip
import os
import shutil

import h5py
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crnn_model import CRNN
from utils.weights.h5 import legacy_weights, load_weights_h5, read_weights_h5, save_weights_h5
from utils.weights.load import load_initial_weights

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
    assert 'dense1' in logged[-1] and 'random weights' in logged[-1] and '--extend-charset' in logged[-1]
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
    variance = model.get_layer('batchnorm1').weights[3]
    variance.assign(np.where(np.arange(variance.shape[0]) == 0, 1.3e5, keras.ops.convert_to_numpy(variance)))
    x = np.random.default_rng(2).uniform(0, 255, (2, 256, 32, 1)).astype('float32')
    before = model_pred.predict(x, verbose=0)
    full, half = str(tmp_path / 'full.h5'), str(tmp_path / 'half.h5')
    save_weights_h5(model, full)
    save_weights_h5(model, half, dtype='float16')
    assert os.path.getsize(half) < 0.6 * os.path.getsize(full)
    with h5py.File(half) as f:
        assert f['dense1'][f['dense1'].attrs['weight_names'][0]].dtype == np.float16
        bn = f['batchnorm1']
        assert bn[bn.attrs['weight_names'][3]].dtype == np.float32  # 1.3e5 would be inf in float16
    m2, p2 = CRNN((None, 32, 1), 40)
    load_weights_h5(m2, half)
    assert all(w.dtype == 'float32' for w in m2.weights)
    np.testing.assert_allclose(p2.predict(x, verbose=0), before, atol=2e-2)


def _tiny(seed=0):
    """A small model with the CRNN's kinds of layers (conv, batch norm, BiLSTM, dense)."""
    import keras
    x = keras.Input((8, 4, 1))
    y = keras.layers.Conv2D(3, 3, padding='same', name='conv1_1')(x)
    y = keras.layers.BatchNormalization(name='batchnorm1')(y)
    y = keras.layers.Reshape((8, 12), name='reshape_1')(y)
    y = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name='bidirectional_1')(y)
    y = keras.layers.Dense(5, name='dense1')(y)
    model = keras.Model(x, y)
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(np.abs(rng.normal(0, 0.1, w.shape)).astype('float32'))
    return model


FAULTS = ['drop_group', 'drop_dataset', 'bad_weight_name', 'drop_weight_names', 'dangling_layer_name', 'reshape',
          'extra_weight', 'not_an_array']


def corrupt(path, fault, pick):
    with h5py.File(path, 'r+') as f:
        layers = [n.decode() for n in f.attrs['layer_names'] if len(f[n.decode()].attrs['weight_names'])]
        layer = layers[pick % len(layers)]
        g = f[layer]
        names = [n.decode() for n in g.attrs['weight_names']]
        name = names[pick % len(names)]
        if fault == 'drop_group':
            del f[layer]
        elif fault == 'drop_dataset':
            del g[name]
        elif fault == 'bad_weight_name':
            g.attrs['weight_names'] = np.array([n.encode() for n in names[:-1]] + [b'nope:0'], dtype='S')
        elif fault == 'drop_weight_names':
            del g.attrs['weight_names']
        elif fault == 'dangling_layer_name':
            f.attrs['layer_names'] = np.array(list(f.attrs['layer_names']) + [b'ghost'], dtype='S')
        elif fault == 'reshape':
            value = np.asarray(g[name])
            del g[name]
            g.create_dataset(name, data=np.zeros(value.shape + (2,), value.dtype))
        elif fault == 'extra_weight':
            g.create_dataset('extra:0', data=np.zeros(2, 'float32'))
            g.attrs['weight_names'] = np.array([n.encode() for n in names] + [b'extra:0'], dtype='S')
        elif fault == 'not_an_array':
            del g[name]
            g.create_group(name)
        return layer


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FAULTS), st.integers(0, 50))
def test_structural_faults_are_one_clear_error(tmp_path_factory, fault, pick):
    """Whatever is wrong inside an .h5 file, loading it fails with a ValueError
    naming the file (the CLIs turn it into one 'error:' line and exit 2),
    never a KeyError or half-loaded weights."""
    path = str(tmp_path_factory.mktemp('h5') / 'w.h5')
    save_weights_h5(_tiny(1), path)
    layer = corrupt(path, fault, pick)
    model = _tiny(2)
    before = [np.array(w) for w in model.get_weights()]
    with pytest.raises(ValueError) as e:
        load_weights_h5(model, path)
    assert 'w.h5' in str(e.value) and (layer in str(e.value) or fault == 'dangling_layer_name')
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_keras3_weight_files_load(tmp_path):
    """What a Keras 3 user has: model.save_weights('x.weights.h5') and model.save('x.keras')."""
    model, _ = CRNN((64, 32, 1), 12)
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(np.abs(rng.normal(0, 0.05, w.shape)).astype('float32'))
    model.save_weights(str(tmp_path / 'w.weights.h5'))
    model.save(str(tmp_path / 'w.keras'))
    for name in ('w.weights.h5', 'w.keras'):
        m2, _ = CRNN((64, 32, 1), 12)
        assert load_weights_h5(m2, str(tmp_path / name)) == []
        for a, b in zip(m2.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
        m3, _ = CRNN((64, 32, 1), 20)
        assert load_initial_weights(m3, str(tmp_path / name), log=lambda s: None) == ['dense1']
        with pytest.raises(ValueError, match=r'w\.(weights\.h5|keras) does not match the model'):
            load_weights_h5(CRNN((64, 32, 1), 20)[0], str(tmp_path / name))


def average_cli(*args):
    from helpers import run_tool
    return run_tool('-m utils.weights.average', *args, timeout=120)


def test_average_of_checkpoints_is_their_mean_and_loads(small_model, tmp_path):
    model, model_pred = small_model
    paths = []
    for seed in (3, 4, 5):
        perturb(model, seed)
        paths.append(save_weights_h5(model, str(tmp_path / ('w%d.h5' % seed))))
    out = str(tmp_path / 'mean.h5')
    r = average_cli(out, *paths)
    assert r.returncode == 0, r.stderr
    assert 'mean of 3 weights files' in r.stdout
    m2, _ = CRNN((256, 32, 1), 40)
    load_weights_h5(m2, out)
    stored = [read_weights_h5(p) for p in paths]
    for layer in m2.layers:
        for i, w in enumerate(legacy_weights(layer)):
            expect = np.mean([s[layer.name][i] for s in stored], axis=0)
            np.testing.assert_allclose(keras.ops.convert_to_numpy(w), expect, rtol=1e-6, atol=1e-7)


def test_averaging_different_models_is_a_clear_error(small_model, tmp_path):
    model, _ = small_model
    a = save_weights_h5(model, str(tmp_path / 'a.h5'))
    other, _ = CRNN((256, 32, 1), 55)
    b = save_weights_h5(other, str(tmp_path / 'b.h5'))
    out = str(tmp_path / 'mean.h5')
    r = average_cli(out, a, b)
    assert r.returncode == 1
    assert "layer 'dense1'" in r.stderr and 'b.h5' in r.stderr
    assert sorted(os.listdir(tmp_path)) == ['a.h5', 'b.h5']
    r = average_cli(out, a)
    assert r.returncode == 1 and 'at least two' in r.stderr
