import csv
import json
import os
import shutil

import cv2
import numpy as np
import pytest

from helpers import ROOT, SENTENCES, run_tool
from crnn_model import CRNN
from crnn_utils import beam_decode, build_charset, greedy_decode, recognition_metrics, save_charset, symbol_recall
from utils.weights.h5 import save_weights_h5


def test_metrics_on_hand_computed_cases():
    m = recognition_metrics(['가나다라', '마바'], ['가나다라', '마사아'])
    # distances 0 and 2 (one substitution, one insertion); 2 / 6 characters
    assert m['cer'] == pytest.approx(2 / 6)
    assert m['ned'] == pytest.approx((0 + 2 / 3) / 2)  # distance / the longer string
    assert recognition_metrics(['가'], ['가나다라마바'])['ned'] == pytest.approx(5 / 6)  # never above 1
    assert m['acc'] == 0.5
    with pytest.raises(ValueError):
        recognition_metrics(['a'], [])


def test_symbol_recall_counts_marks_the_alignment_pairs_with_themselves():
    """① read as 1 is missed, ※ and 甲 kept though the line shifted around them; lines without marks add nothing."""
    gts = ['①계약 ※참고', '甲과 乙은', '가나다']
    preds = ['1계약 ※참고', '가 甲과 Z은', '가나']
    assert symbol_recall(gts, preds) == (pytest.approx(2 / 4), 4)
    assert symbol_recall(['가나다'], ['가나']) == (None, 0)
    assert symbol_recall(['㈜한빛 ㎡'], ['㈜한빛 ㎡'])[0] == 1.0


def test_beam_search_finds_what_greedy_misses():
    cs = '가_'
    probs = np.array([[[0.4, 0.6], [0.4, 0.6]]], np.float32)
    assert greedy_decode(probs, cs) == ['']
    assert beam_decode(probs, cs, beam_width=4) == ['가']  # P('가') = .64 > P('') = .36


def test_beam_and_greedy_agree_on_confident_frames():
    cs = '가나다_'
    frames = [0, 0, 3, 0, 1, 3, 2, 2]
    probs = np.full((1, 8, 4), 0.01, np.float32)
    probs[0, np.arange(8), frames] = 0.97
    assert greedy_decode(probs, cs) == beam_decode(probs, cs, 5) == ['가가나다']


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """A run folder as CRNN_training.py leaves it: args.json, charset.json, final_weights.h5."""
    d = tmp_path_factory.mktemp('run')
    charset = build_charset(SENTENCES + ['계약서 갑 날인'])
    save_charset(str(d), charset)
    json.dump({'width': '256', 'height': 32, 'rnn': 'lstm'}, open(d / 'args.json', 'w'))
    model, _ = CRNN((256, 32, 1), len(charset))
    save_weights_h5(model, str(d / 'final_weights.h5'))
    return str(d)


def predict(*args):
    return run_tool('CRNN_predict.py', *args)


def test_predict_images_and_folders(run_dir, aihub_dir, tmp_path):
    folder = os.path.join(aihub_dir, 'printed')
    one = os.path.join(folder, '00000001.png')
    out = str(tmp_path / 'out.csv')
    r = predict('--run', run_dir, one, folder, '--output', out, '--batch-size', '4')
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert len(lines) == 1 + 13 and lines[0].startswith(one + '\t')
    rows = list(csv.reader(open(out, encoding='utf-8')))
    assert rows[0] == ['path', 'text'] and len(rows) == 15


def test_evaluate_dataset_last_line(run_dir, aihub_dir, tmp_path):
    r = predict('--run', run_dir, '--data-dir', ROOT, '--types', '단어(어절)')  # the bundled sample's words
    assert r.returncode == 0, r.stderr[-2000:]
    assert '42 lines' in r.stdout and r.stdout.strip().splitlines()[-1].startswith('CER ')
    out = str(tmp_path / 'eval.json')
    r = predict('--run', run_dir, '--data-dir', aihub_dir, '--beam-width', '3', '--output', out)
    assert r.returncode == 0, r.stderr[-2000:]
    last = r.stdout.strip().splitlines()[-1].split()
    assert last[0::2] == ['CER', 'NED', 'ACC'] and all(np.isfinite(float(v)) for v in last[1::2])
    assert len(json.load(open(out, encoding='utf-8'))) == 10


def test_one_corrupt_image_does_not_stop_the_others(run_dir, aihub_dir, tmp_path):
    folder = os.path.join(aihub_dir, 'printed')
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'\x89PNG\r\n')
    r = predict('--run', run_dir, folder, str(bad))
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert len(r.stdout.splitlines()) == 13 and str(bad) not in r.stdout
    assert 'broken.png' in r.stderr and '1 of 14 images could not be read' in r.stderr


def test_evaluation_scores_the_runs_validation_split_of_its_own_data(run_dir, aihub_dir, tmp_path):
    own = tmp_path / 'own_run'
    shutil.copytree(run_dir, own)
    json.dump({'width': '256', 'height': 32, 'rnn': 'lstm', 'data_dir': aihub_dir, 'split': 0.8, 'seed': 1,
               'random_split': False, 'json': 'korean_printed_sentence.json', 'image_dir': 'printed'},
              open(own / 'args.json', 'w'))
    r = predict('--run', str(own), '--data-dir', aihub_dir)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2 lines from" in r.stdout and "the run's validation split" in r.stdout
    r = predict('--run', str(own), '--data-dir', aihub_dir, '--split', 'all')
    assert '10 lines from' in r.stdout and 'all lines' in r.stdout
    r = predict('--weights', os.path.join(run_dir, 'final_weights.h5'), '--charset', run_dir, '--width', '256',
                '--data-dir', aihub_dir, '--split', 'val')
    assert r.returncode == 2 and '--split val needs --run' in r.stderr


def test_run_input_width_is_the_resolved_one():
    from utils.train.run import run_input_width
    assert run_input_width({'width': 'auto', 'input_width': 304}) == 304
    assert run_input_width({'width': '256'}) == 256
    assert run_input_width({'width': '768', 'buckets': '128,768', 'input_width': None}) is None


def test_predict_errors_are_clear(run_dir, tmp_path):
    bad = tmp_path / 'broken.png'
    bad.write_bytes(b'\x89PNG\r\n')
    r = predict('--run', run_dir, str(bad))
    assert r.returncode == 2 and 'broken.png' in r.stderr and 'Traceback' not in r.stderr
    r = predict('--run', run_dir, str(tmp_path / 'nope'))
    assert r.returncode == 2 and 'no such file or folder' in r.stderr


def test_export_onnx_and_saved_model_match_keras(run_dir, tmp_path):
    import onnxruntime as ort
    import tensorflow as tf
    from crnn_utils import load_charset
    from utils.weights.load import load_recognizer
    out = str(tmp_path / 'exported')
    r = predict('--run', run_dir, '--export', out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert load_charset(out) == load_charset(run_dir)
    model_pred, _, _ = load_recognizer(run_dir)
    x = np.random.default_rng(0).uniform(0, 255, (3, 256, 32, 1)).astype('float32')
    want = model_pred.predict(x, verbose=0)
    sess = ort.InferenceSession(os.path.join(out, 'crnn.onnx'))
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    served = tf.saved_model.load(os.path.join(out, 'saved_model'))
    np.testing.assert_allclose(served.serve(x).numpy(), want, atol=1e-5)


def test_export_h5_pair_is_what_training_and_prediction_find(run_dir, tmp_path):
    """--formats h5 makes the shipped-model pair: float16 Keras 2 weights and
    the charset beside them, found by name."""
    from crnn_utils import load_charset
    from utils.weights.load import charset_for_weights, load_recognizer
    out = str(tmp_path / 'ship')
    r = predict('--run', run_dir, '--export', out, '--formats', 'h5', '--name', 'x_v1')
    assert r.returncode == 0, r.stderr[-2000:]
    weights = os.path.join(out, 'CRNN_weights_x_v1.h5')
    assert charset_for_weights(weights) == os.path.join(out, 'CRNN_charset_x_v1.json')
    assert load_charset(charset_for_weights(weights)) == load_charset(run_dir)
    import h5py
    with h5py.File(weights) as f:
        assert f['dense1'][f['dense1'].attrs['weight_names'][0]].dtype == np.float16
    model_pred, _, size = load_recognizer(weights=weights, charset=charset_for_weights(weights))
    reference, _, _ = load_recognizer(run_dir, width=0)
    x = np.random.default_rng(0).uniform(0, 255, (1, 128, 32, 1)).astype('float32')
    np.testing.assert_allclose(model_pred.predict(x, verbose=0), reference.predict(x, verbose=0), atol=2e-3)


def test_blank_and_near_blank_lines_read_as_empty_text(tmp_path):
    """A line image without ink, of any size, or with a speck or faint noise only, reads as '' (the model is
    not asked, so it cannot make up a character)."""
    rng = np.random.default_rng(0)
    images = {'white_1x1.png': np.full((1, 1), 255), 'white_32x5.png': np.full((32, 5), 255),
              'gray_40x2000.png': np.full((40, 2000), 180), 'tall_3000x20.png': np.full((3000, 20), 250),
              'faint_noise.png': np.clip(rng.normal(235, 6, (48, 600)), 0, 255),
              'speck.png': np.where(np.arange(64 * 700).reshape(64, 700) == 20000, 30, 255)}
    for name, img in images.items():
        cv2.imwrite(str(tmp_path / name), img.astype(np.uint8))
    r = predict(str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    rows = dict(line.split('\t') for line in r.stdout.splitlines())
    assert {os.path.basename(p): t for p, t in rows.items()} == {name: '' for name in images}
