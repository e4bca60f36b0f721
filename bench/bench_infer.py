"""Benchmark: inference lines/s of the prediction model, Keras vs exported ONNX.

    python bench/bench_infer.py [--classes 2400] [--seconds 10]

The default CRNN prediction model (random weights, 256x32) on random lines at
batch 1 and 64: Keras ``predict_on_batch`` (what CRNN_predict.py uses) and
the ONNX file from utils.export under onnxruntime, one after the other in one
process, plus greedy decoding of the batch-64 output. BENCHMARKS.md section 'infer'.
"""
import argparse
import statistics
import sys
import tempfile
import time

from harness import quiet_keras, write_section
quiet_keras()  # before anything imports TensorFlow

import numpy as np  # noqa: E402

from crnn_model import CRNN  # noqa: E402
from crnn_utils import decode_batch  # noqa: E402
from utils.weights.export import export_recognizer  # noqa: E402


def rate(fn, batch, seconds):
    """Median lines/s over repeated calls for about ``seconds`` (after 2 warm-up calls)."""
    fn(), fn()
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 5:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return batch / statistics.median(times), len(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--classes', type=int, default=2400)
    p.add_argument('--seconds', type=float, default=10)
    args = p.parse_args()
    import onnxruntime as ort
    model_pred = CRNN((256, 32, 1), args.classes, prediction_only=True)
    charset = ''.join(chr(0xAC00 + i) for i in range(args.classes - 1)) + '_'
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_recognizer(model_pred, charset, tmp, formats=('onnx',))['onnx']
        session = ort.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
        name = session.get_inputs()[0].name
        for batch in (1, 64):
            x = np.random.default_rng(0).uniform(0, 255, (batch, 256, 32, 1)).astype(np.float32)
            keras_rate, n1 = rate(lambda: model_pred.predict_on_batch(x), batch, args.seconds)
            onnx_rate, n2 = rate(lambda: session.run(None, {name: x}), batch, args.seconds)
            diff = np.abs(session.run(None, {name: x})[0] - model_pred.predict_on_batch(x)).max()
            rows.append('| %d | %.1f | %.1f | %.2fx | %.1e | %d / %d |' % (batch, keras_rate, onnx_rate,
                                                                          onnx_rate / keras_rate, diff, n1, n2))
            print(rows[-1], flush=True)
        probs = model_pred.predict_on_batch(x)
        decode_rate, _ = rate(lambda: decode_batch(probs, charset), 64, 2)
    table = ['| batch | Keras predict_on_batch lines/s | ONNX Runtime lines/s | ONNX vs Keras | max abs diff | calls |',
             '|---|---|---|---|---|---|'] + rows
    table += ['', 'Default CRNN prediction model (256x32x1, LSTM head, %d classes); median of repeated calls over ~%g s '
              'each after 2 warm-up calls. Greedy decoding of a batch of 64: %.0f lines/s.'
              % (args.classes, args.seconds, decode_rate)]
    print('\n'.join(table))
    command = ' '.join(['python bench/bench_infer.py'] + sys.argv[1:])
    write_section('infer', 'Inference throughput (prediction model and ONNX export)', command, table)


if __name__ == '__main__':
    main()
