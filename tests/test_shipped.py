"""The shipped model (CRNN_weights_korean_v8.h5 + CRNN_charset_korean_v8.json):
its files, and what it reads.

tests/data/heldout_lines holds 16 lines of utils/synth/heldout.py's sets (text and
fonts training never saw): a change to preprocessing, resizing or decoding
that breaks inference raises their CER above the bound measured for the
shipped weights (README, model card).
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import onnx
import pytest

from helpers import ROOT, run_tool
from crnn_gt import GTUtility
from bounds import SHIPPED, bound
from crnn_utils import general_charset, load_charset, recognition_metrics
from utils.weights.load import SHIPPED_CHARSET, SHIPPED_WEIGHTS, charset_for_weights

LINES = os.path.join(ROOT, 'tests', 'data', 'heldout_lines')
# the shipped weights' CER on the 16 lines with its margin (tests/bounds.py); a broken resize, padding or decoder,
# or weights that read with twice the errors, go above it
SHIPPED_CER_BOUND = bound('heldout_lines')


def test_shipped_files():
    assert os.path.basename(SHIPPED_WEIGHTS) == SHIPPED, 'new weights: measure them and update tests/bounds.py'
    assert os.path.getsize(SHIPPED_WEIGHTS) <= 40 << 20
    assert load_charset(SHIPPED_CHARSET) == general_charset()
    assert charset_for_weights(SHIPPED_WEIGHTS) == SHIPPED_CHARSET
    with h5py.File(SHIPPED_WEIGHTS, 'r') as f:  # Keras 2's layout, half-size floats
        names = [n.decode() for n in f.attrs['layer_names']]
        assert 'dense1' in names and 'bidirectional_2' in names
        kernel = f['dense1'][f['dense1'].attrs['weight_names'][0]]
        assert kernel.shape == (512, len(general_charset())) and kernel.dtype == np.float16


@pytest.mark.xdist_group('shipped')
@pytest.mark.parametrize('precision', ['float32', 'mixed_bfloat16'])  # bf16: CRNN_predict's auto on bf16 CPUs
def test_shipped_model_reads_heldout_lines(precision):
    from crnn_reader import recognize
    from utils.weights.load import load_recognizer
    model_pred, charset, size = load_recognizer(precision=precision)
    assert size == (None, 32) and model_pred.get_layer('dense1').weights[0].dtype == 'float32'
    gtu = GTUtility(LINES, verbose=False)
    paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
    texts = recognize(model_pred, charset, paths, size, progress=False)
    cer = recognition_metrics(gtu.texts(), texts)['cer']
    assert cer <= SHIPPED_CER_BOUND, list(zip(gtu.texts(), texts))


def test_the_light_candidate_reads_heldout_lines_at_its_own_figure():
    """The light recognizer's candidate weights (not the default) read at what they measured when committed."""
    from crnn_reader import recognize
    from utils.weights.load import load_recognizer
    model_pred, charset, size = load_recognizer(weights=os.path.join(ROOT, 'CRNN_weights_korean_v9light_candidate.h5'),
                                                charset=os.path.join(ROOT, 'CRNN_charset_korean_v9light_candidate.json'))
    assert model_pred.get_layer('lconv1') is not None
    gtu = GTUtility(LINES, verbose=False)
    texts = recognize(model_pred, charset, [os.path.join(gtu.image_path, n) for n in gtu.image_names], size,
                      progress=False)
    cer = recognition_metrics(gtu.texts(), texts)['cer']
    assert cer <= bound('heldout_lines_light'), list(zip(gtu.texts(), texts))


@pytest.mark.xdist_group('shipped')
def test_predict_cli_uses_the_shipped_model_by_default():
    gtu = GTUtility(LINES, verbose=False)
    long_line = os.path.join(gtu.image_path, gtu.image_names[9])
    out = subprocess.run([sys.executable, 'CRNN_predict.py', long_line], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    path, text = out.stdout.strip().split('\t')
    assert path == long_line and len(text) >= 0.8 * len(gtu.texts()[9])


def test_keras2_loads_the_shipped_weights():
    """Keras 2's own loader (tf_keras, a bench extra: skipped without it) reads
    the float16 file into float32 weights and predicts what Keras 3 does."""
    pytest.importorskip('tf_keras')
    out = subprocess.run([sys.executable, os.path.join('bench', 'reference', 'original_crnn.py'), '--load', SHIPPED_WEIGHTS,
                          '--classes', str(len(load_charset(SHIPPED_CHARSET)))], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip().splitlines()[-1]
    assert "weights [\"<dtype: 'float32'>\"]" in line and float(line.rsplit(' ', 1)[1]) < 1e-4


def test_onnx_engine_starts_without_tensorflow_and_reads_what_keras_reads(tmp_path):
    """The default engine: the shipped model's graph built once into the cache, then a run that cannot import
    TensorFlow reads the held-out lines exactly as the Keras model does."""
    cache = str(tmp_path / 'cache')
    first = run_tool('CRNN_predict.py', os.path.join(LINES, 'printed'), env={'OCR_CRNN_CACHE': cache})
    assert first.returncode == 0 and 'building the ONNX graph' in first.stderr, first.stderr[-2000:]
    blocked = ("import runpy, sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; "
               "runpy.run_path(sys.argv[0], run_name='__main__')")
    again = subprocess.run([sys.executable, '-c', blocked, 'CRNN_predict.py', os.path.join(LINES, 'printed')],
                           cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, OCR_CRNN_CACHE=cache))
    assert again.returncode == 0 and 'building' not in again.stderr, again.stderr[-2000:]
    keras = run_tool('CRNN_predict.py', '--engine', 'keras', '--precision', 'float32', os.path.join(LINES, 'printed'))
    assert keras.returncode == 0, keras.stderr[-2000:]
    assert again.stdout == first.stdout == keras.stdout and len(again.stdout.splitlines()) == 16
    int8 = subprocess.run([sys.executable, '-c', blocked, 'CRNN_predict.py', '--precision', 'int8', '--data-dir', LINES],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OCR_CRNN_CACHE=cache))  # quantized from the cached graph, no TensorFlow
    assert int8.returncode == 0 and 'building the int8 graph' in int8.stderr, int8.stderr[-2000:]
    assert float(int8.stdout.split('CER ')[1].split()[0]) <= bound('heldout_lines_int8'), int8.stdout
    [graph] = [f for f in os.listdir(os.path.join(cache, 'onnx')) if f.endswith('-int8.onnx')]
    ops = {node.op_type for node in onnx.load(os.path.join(cache, 'onnx', graph)).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear', 'Conv'} <= ops, ops


def test_reading_decodes_unsure_lines_with_the_default_language_model_unless_told_otherwise():
    """The default decoding is utils.lm.DEFAULT_DECODING on the unsure lines; --lm NAME picks another language
    model and --no-lm reads greedily: each CLI reading is what the in-process decoding of the same outputs gives."""
    from crnn_reader import recognize
    from utils.lm import DEFAULT_DECODING
    from utils.weights.engine import load_engine
    model, charset, size, _ = load_engine('onnx')
    gtu = GTUtility(LINES, verbose=False)
    paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
    for flags, lm in ((['--lm', 'ngram'], 'ngram'), (['--lm', 'kiwi'], 'kiwi'), ([], DEFAULT_DECODING),
                      (['--no-lm'], None)):
        decoding = 'greedy + the %s language model on unsure lines' % lm if lm else 'greedy'
        r = run_tool('CRNN_predict.py', '--data-dir', LINES, *flags)
        assert r.returncode == 0 and '%s decoding' % decoding in r.stdout, r.stderr[-2000:]
        cer = recognition_metrics(gtu.texts(), recognize(model, charset, paths, size, progress=False, lm=lm))['cer']
        assert 'CER %.4f' % cer in r.stdout and cer <= SHIPPED_CER_BOUND, (flags, r.stdout)


def test_a_line_reads_the_same_at_its_training_bucket_as_at_its_inference_width():
    """Training batches (InputGenerator with width buckets) and CRNN_predict fit a line with the same
    prepare_line and differ only in how much black padding follows it; the shipped model must read each line
    the same either way, so that the val_cer a run logs is what CRNN_predict gets."""
    from crnn_data import InputGenerator
    from crnn_lines import load_inputs_any_width
    from crnn_model import output_steps
    from crnn_utils import decode_batch
    from utils.weights.engine import load_engine
    model, charset, _, _ = load_engine('onnx')
    gtu = GTUtility(LINES, verbose=False)
    buckets = (128, 192, 256, 320, 384, 512, 768, 1024, 1408)
    gen = InputGenerator(gtu, 4, charset, input_size=(buckets[-1], 32), buckets=buckets, steps=output_steps,
                         verbose=False)
    seq, trained = gen.generate(train=False), {}
    for _ in range(gen.plan.per_pass):  # one pass: every line, in a batch of its bucket's width
        inputs, _ = next(seq)
        probs = model.predict_on_batch(inputs['image_input'])
        for truth, text in zip(inputs['source_str'], decode_batch(probs, charset)):
            trained.setdefault(str(truth), set()).add(text)
    paths = [os.path.join(gtu.image_path, n) for n in gtu.image_names]
    groups = load_inputs_any_width(paths, 32)
    assert len(groups) > 2 and set(trained) == set(gtu.texts())
    for width, (positions, rows) in groups.items():
        for j, text in zip(positions, decode_batch(model.predict_on_batch(rows), charset)):
            assert trained[gtu.texts()[j]] == {text}, (gtu.texts()[j], trained[gtu.texts()[j]], text, width)


def test_int8_is_an_onnx_graph_not_a_keras_policy():
    from utils.weights.engine import load_engine
    with pytest.raises(ValueError, match='--precision int8 is an ONNX Runtime graph: give --engine onnx'):
        load_engine('keras', precision='int8')


def test_the_readme_onnx_snippet_runs_as_written_without_tensorflow(tmp_path):
    """README: export once, then the snippet (ONNX Runtime, no TensorFlow) reads the bundled line as
    CRNN_predict.py does."""
    import re
    import shutil
    readme = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
    [snippet] = re.findall(r'```python\n(import json, cv2.*?)```', readme, re.S)
    export = run_tool('CRNN_predict.py', '--export', tmp_path / 'exported', '--formats', 'onnx')
    assert export.returncode == 0, export.stderr[-2000:]
    (tmp_path / 'printed').mkdir()
    shutil.copy(os.path.join(ROOT, 'printed', '00000001.png'), tmp_path / 'printed')
    code = "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n" + snippet
    r = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    ours = run_tool('CRNN_predict.py', os.path.join(ROOT, 'printed', '00000001.png'))
    assert r.stdout.strip() == ours.stdout.split('\t')[1].strip() != ''


def test_the_onnx_cache_follows_the_export_code(tmp_path, monkeypatch):
    """A cached graph is found by the weights' checksum and the export code's: changed code builds a new graph."""
    from utils.weights import engine
    code = tmp_path / 'export.py'
    code.write_text('version 1')
    monkeypatch.setattr(engine, 'EXPORT_CODE', (str(code),))
    first = engine.onnx_path(SHIPPED_WEIGHTS, cache=str(tmp_path))
    assert engine.onnx_path(SHIPPED_WEIGHTS, cache=str(tmp_path)) == first
    code.write_text('version 2')
    assert engine.onnx_path(SHIPPED_WEIGHTS, cache=str(tmp_path)) != first
    assert os.environ['OCR_CRNN_CACHE'] != os.path.join(os.path.expanduser('~'), '.cache', 'ocr_crnn')
