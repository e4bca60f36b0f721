"""Export the prediction model for deployment, with its charset beside it."""

import os
import shutil
import warnings

import numpy as np

from crnn_utils import save_charset

FORMATS = ('saved_model', 'onnx', 'h5')


def export_weights(model_pred, charset, out_dir, name):
    """The shipped-model pair: ``CRNN_weights_<name>.h5`` (Keras 2 layout,
    float16 storage, loads as float32 in Keras 2 and 3) and
    ``CRNN_charset_<name>.json`` beside it, where training finds it."""
    from utils.weights.h5 import save_weights_h5
    os.makedirs(out_dir, exist_ok=True)
    weights = save_weights_h5(model_pred, os.path.join(out_dir, 'CRNN_weights_%s.h5' % name), dtype='float16')
    return {'weights': weights, 'charset': save_charset(os.path.join(out_dir, 'CRNN_charset_%s.json' % name), charset)}


def export_recognizer(model_pred, charset, out_dir, formats=FORMATS, name='model'):
    """Write ``out_dir/saved_model/`` (TensorFlow SavedModel) and/or
    ``out_dir/crnn.onnx`` via Keras 3's ``model.export``, plus charset.json.
    Both take (B, width, height, 1) float 0..255 and give softmax (B, T, C);
    a model built with width None exports with an open width (any line width,
    T = crnn_model.output_steps(width)), else with its fixed width. 'h5':
    see :func:`export_weights` (``name`` names the pair)."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError('unknown export format(s) %s (choose from %s)' % (', '.join(unknown), ', '.join(FORMATS)))
    import keras
    backend = keras.backend.backend()
    if set(formats) - {'h5'} and backend != 'tensorflow':
        raise ValueError('exporting SavedModel or ONNX needs the TensorFlow backend (KERAS_BACKEND is %s; '
                         'KERAS_BACKEND=tensorflow, or --formats h5)' % backend)
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    if 'h5' in formats:
        written.update(('h5_' + k, v) for k, v in export_weights(model_pred, charset, out_dir, name).items())
        if set(formats) == {'h5'}:
            return written
    written['charset'] = save_charset(out_dir, charset)
    width, height, channels = model_pred.input_shape[1:]
    model_pred.predict_on_batch(np.zeros((1, width or 256, height, channels), 'float32'))  # export needs a called model
    if 'saved_model' in formats:
        path = os.path.join(out_dir, 'saved_model')
        if os.path.exists(path):
            shutil.rmtree(path)
        model_pred.export(path, format='tf_saved_model', verbose=False)
        written['saved_model'] = path
    if 'onnx' in formats:
        path = os.path.join(out_dir, 'crnn.onnx')
        with warnings.catch_warnings():  # tf2onnx probes numpy's removed np.object (a FutureWarning per export)
            warnings.filterwarnings('ignore', message='.*np\\.object.*', category=FutureWarning)
            model_pred.export(path, format='onnx', verbose=False)
        written['onnx'] = path
    return written
