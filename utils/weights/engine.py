"""Recognition without TensorFlow: the prediction model as an ONNX graph run by
ONNX Runtime, which starts in a fraction of TensorFlow's import time.

The graph of a weights file is exported once (that needs Keras, TensorFlow and
tf2onnx) into a cache named by the file's checksum, then every later run loads
it with numpy, OpenCV and ONNX Runtime alone. Inputs are what the Keras model
takes: (lines, width, 32, 1) float 0..255, any width; outputs softmax (lines,
time steps, classes). ``int8``: a copy of that graph with its convolutions
quantized (built from the float graph, also without TensorFlow).
"""
import hashlib
import os

import numpy as np

from utils import CACHE as CACHE_ROOT

CACHE = os.path.join(CACHE_ROOT, 'onnx')
ENGINES = ('auto', 'onnx', 'keras')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# int8 activation ranges come from these bundled training lines (never held-out ones): every 16th, 64 in all.
CALIBRATION_LINES, CALIBRATION_EVERY = 64, 16


# The code a graph is exported with: a change to any of these makes a new graph, never a stale cached one.
EXPORT_CODE = ('crnn_model.py', os.path.join('utils', 'weights', 'export.py'), os.path.join('utils', 'weights',
                                                                                         'engine.py'))


def onnx_path(weights, height=32, head=None, cache=CACHE):
    """Where the ONNX graph of ``weights`` is cached (by the file's checksum, the export code's, height and head)."""
    digest = hashlib.sha1()
    for path in [weights] + [os.path.join(ROOT, p) for p in EXPORT_CODE]:
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
    return os.path.join(cache, '%s-h%d-%s.onnx' % (digest.hexdigest()[:20], height, head or 'default'))


def build_onnx(weights, charset, path, height=32, head=None):
    """Export the any-width prediction model of ``weights`` to ``path`` (atomically)."""
    import tempfile
    from utils.cli import import_keras
    import_keras()
    from crnn_model import CRNN
    from utils.atomic import atomic_write
    from utils.weights.export import export_recognizer
    from utils.weights.h5 import load_weights_h5
    from utils.weights.load import arch_of_weights
    model_pred = CRNN((None, height, 1), len(charset), prediction_only=True, head=head, arch=arch_of_weights(weights))
    load_weights_h5(model_pred, weights)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
        exported = export_recognizer(model_pred, charset, tmp, ['onnx'])['onnx']
        with atomic_write(path) as out:
            os.replace(exported, out)
    return path


def calibration_batches(height=32, batch_size=8, root=ROOT):
    """Model input batches of the bundled lines (printed/) that set the int8 activation ranges."""
    import glob
    from crnn_lines import group_by_width, read_image
    paths = sorted(glob.glob(os.path.join(root, 'printed', '*.png')))[::CALIBRATION_EVERY][:CALIBRATION_LINES]
    if not paths:
        raise ValueError('no bundled line images in %s to calibrate the int8 graph with' % os.path.join(root, 'printed'))
    groups = group_by_width(((j, read_image(p)) for j, p in enumerate(paths)), height)
    return [rows[b:b + batch_size] for _, rows in groups.values() for b in range(0, len(rows), batch_size)]


def build_int8(float_path, path, height=32):
    """Quantize the float graph at ``float_path`` into ``path`` (atomically): static QDQ, the convolutions in
    int8 with activation ranges from the min and max over calibration_batches. Weights use 7 bits
    (reduce_range), which AVX2 CPUs without VNNI need so that their u8 x s8 products do not saturate."""
    import tempfile
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from utils.atomic import atomic_write
    name = ort.InferenceSession(float_path, providers=['CPUExecutionProvider']).get_inputs()[0].name
    batches = iter(calibration_batches(height))

    class Lines(CalibrationDataReader):
        def get_next(self):
            rows = next(batches, None)
            return None if rows is None else {name: rows}

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp, atomic_write(path) as out:
        quantized = os.path.join(tmp, 'int8.onnx')
        quantize_static(float_path, quantized, Lines(), quant_format=QuantFormat.QDQ, op_types_to_quantize=['Conv'],
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True)
        os.replace(quantized, out)
    return path


class OnnxRecognizer:
    """The CRNN's prediction model in ONNX Runtime, with Keras' ``predict_on_batch`` (so the line and page code
    takes either); ``threads``: ONNX Runtime's intra-op threads (default: one per core)."""

    def __init__(self, path, threads=None):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self.input = self.session.get_inputs()[0].name
        self.path = path

    def predict_on_batch(self, images):
        return self.session.run(None, {self.input: np.asarray(images, np.float32)})[0]


def load_engine(engine='auto', run_dir=None, weights=None, charset=None, width=None, height=32, rnn=None,
                precision='float32', cache=CACHE, log=None, threads=None):
    """(model with predict_on_batch, charset, (width, height), the engine used).
    'onnx': ONNX Runtime, the graph built into ``cache`` on first use; 'keras': the Keras model in
    ``precision`` (a policy name, or 'auto' for utils.train.precision.choose_precision, asked only here so that
    the ONNX path never imports TensorFlow); 'auto': ONNX Runtime for models of any width (the Keras model for a
    fixed-width run). ``precision='int8'``: ONNX Runtime on the int8 graph (build_int8). ``threads``: ONNX
    Runtime's intra-op threads (default: one per core)."""
    from utils.weights.load import load_recognizer, model_files
    if engine not in ENGINES:
        raise ValueError('unknown engine %r (%s)' % (engine, ', '.join(ENGINES)))
    files, alphabet, width, height, rnn = model_files(run_dir, weights, charset, width, height, rnn)
    int8 = precision == 'int8'
    if int8 and engine == 'keras':
        raise ValueError('--precision int8 is an ONNX Runtime graph: give --engine onnx (or auto), not keras')
    if engine == 'auto':
        engine = 'onnx' if int8 or not width else 'keras'
    if engine == 'onnx':
        if width:
            raise ValueError('--engine onnx reads lines at their own width; leave out --width (this run trained at '
                             '%d px: give --engine keras)' % width)
        path = onnx_path(files, height, rnn, cache)
        if not os.path.exists(path):
            if log:
                log('building the ONNX graph of %s once (cached in %s)' % (files, path))
            build_onnx(files, alphabet, path, height, rnn)
        if int8:
            float_path, path = path, path[:-len('.onnx')] + '-int8.onnx'
            if not os.path.exists(path):
                if log:
                    log('building the int8 graph of %s once (cached in %s)' % (files, path))
                build_int8(float_path, path, height)
        return OnnxRecognizer(path, threads), alphabet, (None, height), 'onnx'
    from utils.cli import import_keras
    from utils.train.precision import choose_precision
    import_keras()
    model, alphabet, size = load_recognizer(run_dir, weights, charset, width, height, rnn,
                                            choose_precision(precision)[0])
    return model, alphabet, size, 'keras'
