"""Weights as `.h5` files in Keras 2's HDF5 layout.

Keras 3 only writes `.weights.h5` (its own layout); users of the original
project have, and expect, Keras 2 files: root attribute ``layer_names``, one
group per layer with attribute ``weight_names`` and one dataset per weight.
Files written here load with Keras 2's and Keras 3's ``model.load_weights``. Reading a file's layout
(layer names, class count) needs no Keras: the ONNX engine reads without TensorFlow.
"""


import h5py
import numpy as np

from utils.atomic import atomic_write


def legacy_weights(layer):
    """A layer's weights in the order Keras 2 saved them."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _weight_name(layer, w):
    path = getattr(w, 'path', None) or w.name
    if not path.startswith(layer.name + '/'):
        path = layer.name + '/' + w.name
    return path + ':0'


def fits(value, dtype):
    """Whether every value of the array is finite in ``dtype`` (a batch norm's
    moving variance can exceed float16's 65504)."""
    return not value.size or np.abs(value).max() <= np.finfo(dtype).max


def save_weights_h5(model, path, dtype=None):
    """Write ``model``'s weights to ``path`` in Keras 2's layout, atomically.
    ``dtype='float16'`` stores floats at half size (the shipped weights),
    except an array with a value beyond float16's range, which stays float32;
    every loader casts them back to the model's float32."""
    import keras
    with atomic_write(path) as tmp, h5py.File(tmp, 'w') as f:
        f.attrs['layer_names'] = np.array([layer.name.encode('utf8') for layer in model.layers], dtype='S')
        f.attrs['backend'] = keras.backend.backend().encode('utf8')
        f.attrs['keras_version'] = keras.__version__.encode('utf8')
        for layer in sorted(model.layers, key=lambda l: l.name):
            g = f.create_group(layer.name)
            weights = legacy_weights(layer)
            names = [_weight_name(layer, w).encode('utf8') for w in weights]
            g.attrs['weight_names'] = np.array(names, dtype='S')
            for name, w in zip(names, weights):
                value = np.asarray(keras.ops.convert_to_numpy(w))
                if dtype and np.issubdtype(value.dtype, np.floating) and fits(value, dtype):
                    value = value.astype(dtype)
                g.create_dataset(name, data=value)
    return path


def _text(name):
    return name.decode('utf8') if isinstance(name, bytes) else str(name)


def read_weights_h5(path):
    """{layer name: [arrays]} from a Keras 2 weights file or a full-model `.h5`.
    Any structural fault (a listed layer or weight that is missing, a weight
    that is not an array) is a ValueError naming the file and the layer."""
    try:
        f = h5py.File(path, 'r')
    except OSError as e:
        raise ValueError('%s is not a readable HDF5 weights file (%s)' % (path, e)) from None
    with f:
        f = _weights_root(f)
        if 'layer_names' not in f.attrs:
            raise ValueError('%s has no Keras weights (no layer_names attribute)' % path)
        out = {}
        for name in np.atleast_1d(f.attrs['layer_names']):
            name = _text(name)
            g = f.get(name)
            if not isinstance(g, h5py.Group):
                raise ValueError('%s: layer_names lists layer %r, but the file has no group for it' % (path, name))
            values = []
            for wname in np.atleast_1d(g.attrs.get('weight_names', [])):
                d = g.get(_text(wname))
                if not isinstance(d, h5py.Dataset):
                    raise ValueError('%s: layer %r names weight %r, but the file has no such array'
                                     % (path, name, _text(wname)))
                try:
                    values.append(np.asarray(d))
                except (OSError, TypeError, ValueError) as e:
                    raise ValueError('%s: layer %r, weight %r cannot be read (%s)' % (path, name, _text(wname), e))
            if values:
                out[name] = values
        return out


def stored_layer_names(path):
    """The layer names a Keras 2 layout file lists (its ``layer_names``), without
    reading the arrays; [] for Keras 3's own formats or a file without them."""
    if is_keras3_file(path):
        return []
    try:
        with h5py.File(path, 'r') as f:
            return [_text(n) for n in np.atleast_1d(_weights_root(f).attrs.get('layer_names', []))]
    except OSError as e:
        raise ValueError('%s is not a readable HDF5 weights file (%s)' % (path, e)) from None


def stored_classes(path, layer='dense1'):
    """The output count of the classifier ``layer`` in a Keras 2 layout file
    (its bias's length), without reading the arrays; None when the file does
    not say (Keras 3's own formats, no such layer)."""
    if is_keras3_file(path):
        return None
    try:
        with h5py.File(path, 'r') as f:
            g = _weights_root(f).get(layer)
            if not isinstance(g, h5py.Group):
                return None
            shapes = [g[_text(w)].shape for w in np.atleast_1d(g.attrs.get('weight_names', []))
                      if isinstance(g.get(_text(w)), h5py.Dataset)]
    except OSError as e:
        raise ValueError('%s is not a readable HDF5 weights file (%s)' % (path, e)) from None
    return next((s[0] for s in shapes if len(s) == 1), None)


def _weights_root(f):
    return f['model_weights'] if 'layer_names' not in f.attrs and 'model_weights' in f else f


def is_keras3_file(path):
    """Keras 3's own formats: ``model.save_weights('x.weights.h5')`` and ``model.save('x.keras')``."""
    return path.endswith('.weights.h5') or path.endswith('.keras')


def _load_keras3(model, path, skip_mismatch):
    """Keras 3's loader; its errors become one ValueError naming the file.
    Returns the layers left as they were (skipped for another shape)."""
    import keras
    layers = [l for l in model.layers if l.weights]
    before = {l.name: [np.array(keras.ops.convert_to_numpy(w)) for w in l.weights] for l in layers}
    try:
        model.load_weights(path, skip_mismatch=skip_mismatch)
    except (ValueError, KeyError, OSError, TypeError) as e:
        raise ValueError('%s does not match the model (%s)' % (path, str(e).splitlines()[0] if str(e) else
                                                              type(e).__name__)) from None
    return [l.name for l in layers if all(np.array_equal(keras.ops.convert_to_numpy(w), b)
                                          for w, b in zip(l.weights, before[l.name]))]


def load_weights_h5(model, path, skip_mismatch=False):
    """Load weights by layer name, checking every shape.

    With ``skip_mismatch`` a layer whose shapes differ (the classifier of a
    model with another charset) keeps its initial weights; otherwise the
    mismatch is an error naming the layer and both shapes. Returns the list of
    skipped layer names. Keras 3's own files (``.weights.h5``, ``.keras``) go
    to Keras' loader, which matches by model structure.
    """
    if is_keras3_file(path):
        return _load_keras3(model, path, skip_mismatch)
    stored = read_weights_h5(path)
    layers = [l for l in model.layers if l.weights]
    if not any(l.name in stored for l in layers):
        raise ValueError('%s shares no layer name with the model (file has %s)' % (path, sorted(stored)))
    skipped, plan = [], []
    for layer in layers:
        if layer.name not in stored:
            raise ValueError('%s has no weights for layer %r' % (path, layer.name))
        values, current = stored[layer.name], legacy_weights(layer)
        shapes_file = [tuple(v.shape) for v in values]
        shapes_model = [tuple(w.shape) for w in current]
        if shapes_file != shapes_model:
            if skip_mismatch:
                skipped.append(layer.name)
                continue
            raise ValueError('layer %r: weights file %s has shapes %s, the model %s'
                             % (layer.name, path, shapes_file, shapes_model))
        plan.append((current, values))
    for current, values in plan:
        for w, v in zip(current, values):
            w.assign(v.astype(w.dtype) if v.dtype != w.dtype else v)
    return skipped
