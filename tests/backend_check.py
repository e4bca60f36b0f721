"""Run the model, loss, metrics and Keras 2 weights under another Keras backend.

    KERAS_BACKEND=jax python tests/backend_check.py OUT.json

TensorFlow is made unimportable first, as on a machine that has only JAX or
PyTorch. Writes the CTC losses and predictions it computed to OUT.json for
tests/test_backends.py to compare with TensorFlow's.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ctc_case(seed=0):
    """Softmax outputs and labels for a small CTC loss check (blank = last class)."""
    rng = np.random.default_rng(seed)
    probs = rng.random((3, 12, 6)).astype(np.float32)
    probs /= probs.sum(-1, keepdims=True)
    labels = np.array([[0, 1, 1, 2, -1], [4, 3, -1, -1, -1], [2, 2, 2, 0, 1]], np.float32)
    return probs, labels, np.full((3, 1), 12, np.int32), np.array([[4], [2], [5]], np.int32)


def main(out):
    sys.modules['tensorflow'] = None  # `import tensorflow` now raises ImportError
    sys.path.insert(0, ROOT)
    import keras
    from crnn_model import CRNN, CTCLoss
    from crnn_utils import decode_batch, recognition_metrics
    from utils.weights.h5 import load_weights_h5, save_weights_h5

    fixtures = os.path.join(ROOT, 'tests', 'fixtures')
    probs, labels, input_length, label_length = ctc_case()
    loss = CTCLoss()([labels, probs, input_length, label_length])
    ref = np.load(os.path.join(fixtures, 'keras2_crnn_prediction.npz'))
    with tempfile.TemporaryDirectory() as tmp:
        keras2 = os.path.join(tmp, 'CRNN_weights_2_v2.h5')
        with gzip.open(os.path.join(fixtures, 'keras2_crnn_weights.h5.gz')) as g, open(keras2, 'wb') as f:
            shutil.copyfileobj(g, f)
        model, model_pred = CRNN((256, 32, 1), 40)
        model.load_weights(keras2)
        pred = model_pred.predict(ref['x'], verbose=0)
        resaved = os.path.join(tmp, 'resaved.h5')
        save_weights_h5(model, resaved)
        _, again = CRNN((256, 32, 1), 40)
        load_weights_h5(again, resaved)
        pred_again = again.predict(ref['x'], verbose=0)
    charset = 'abcdefghijklmnopqrstuvwxyz0123456789 .,_'
    texts = decode_batch(pred, charset) + decode_batch(pred, charset, beam_width=4)
    result = {'backend': keras.backend.backend(), 'ctc_loss': keras.ops.convert_to_numpy(loss).ravel().tolist(),
              'keras2_max_diff': float(np.abs(pred - ref['y']).max()),
              'resaved_max_diff': float(np.abs(pred_again - pred).max()),
              'texts': texts, 'metrics': recognition_metrics(texts[:2], texts[2:4])}
    with open(out, 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main(sys.argv[1])
