import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import ROOT, SENTENCES, render_line
from crnn_data import GTUtility, InputGenerator
from crnn_lines import ImageReadError, LabelTable, fit_to_input, prepare_line, read_image, squeeze_factors
from crnn_utils import build_charset


def test_fit_keeps_aspect_and_pads():
    img = np.full((40, 100), 200, np.uint8)
    out, f = fit_to_input(img, 256, 32)
    assert out.shape == (32, 80) and f == 1.0
    line, f = prepare_line(img, 256, 32)
    assert line.shape == (32, 256, 1) and line.dtype == np.uint8
    assert np.all(line[:, 80:] == 0)


def test_fit_squeezes_only_too_wide_lines():
    img = np.zeros((32, 512), np.uint8)
    img[:, ::2] = 255
    out, f = fit_to_input(img, 256, 32)
    assert out.shape == (32, 256) and f == pytest.approx(0.5)
    line, _ = prepare_line(img, 256, 32)
    assert line.min() == pytest.approx(0, abs=1e-3) and line.max() == pytest.approx(255)
    assert squeeze_factors([(512, 32), (100, 40)], 256, 32).tolist() == [0.5, 1.0]


def test_read_image_gray_and_color(tmp_path):
    p = str(tmp_path / '한글 이름.png')
    render_line(p, '가나다')
    g = read_image(p)
    c = read_image(p, grayscale=False)
    assert g.ndim == 2 and c.shape == g.shape + (3,) and g.dtype == np.uint8


@pytest.mark.parametrize('content', [b'', b'not a png', None])
def test_corrupt_image_names_file(tmp_path, content):
    p = tmp_path / 'bad.png'
    if content is None:  # a truncated PNG
        render_line(str(p), '계약서 제1조')
        content = p.read_bytes()[:60]
    p.write_bytes(content)
    with pytest.raises(ImageReadError, match='bad.png'):
        read_image(str(p))


def test_label_table_excludes_infeasible():
    cs = build_charset(['가나다라'])
    t = LabelTable(['가나', '가가가가', '가나다라가나', '가?'], cs, max_string_len=5)
    assert t.feasible.tolist() == [True, False, False, True]  # 4+3 repeats > 5; length 6 > 5
    assert t.lengths.tolist() == [2, 0, 0, 2]
    assert t.labels[0].tolist() == [0, 1, -1, -1, -1]
    report = '\n'.join(t.report(5))
    assert "'?' x1" in report and 'excluded 2 samples' in report


def make_gen(aihub_dir, **kw):
    gtu = GTUtility(aihub_dir)
    cs = build_charset(gtu.text)
    return InputGenerator(gtu, 4, cs, (256, 32), max_string_len=62, **kw), cs


def test_generator_batches_like_the_original(aihub_dir):
    gen, cs = make_gen(aihub_dir)
    inputs, outputs = next(gen.generate())
    assert inputs['image_input'].shape == (4, 256, 32, 1) and inputs['image_input'].dtype == np.float32
    assert inputs['label_input'].shape == (4, 62)
    assert inputs['input_length'].tolist() == [[62]] * 4
    assert inputs['label_length'].shape == (4, 1) and inputs['label_length'].dtype == np.int32
    assert outputs['ctc'].shape == (4,)
    for s, lab, n in zip(inputs['source_str'], inputs['label_input'], inputs['label_length'][:, 0]):
        assert s in SENTENCES
        assert ''.join(cs[int(i)] for i in lab[:n]) == s
        assert np.all(lab[n:] == -1)
    assert 'source_str' not in gen.generate()[0][0]  # what Keras sees


def test_generator_is_deterministic_and_reshuffles(aihub_dir):
    a, _ = make_gen(aihub_dir)
    b, _ = make_gen(aihub_dir)
    sa, sb = a.generate(), b.generate()
    first = [next(sa)[0]['source_str'].tolist() for _ in range(6)]
    assert first == [next(sb)[0]['source_str'].tolist() for _ in range(6)]
    flat = sum(first, [])
    assert sorted(flat[:10]) == sorted(SENTENCES) and flat[:10] != flat[10:20]
    c, _ = make_gen(aihub_dir, seed=7)
    assert [next(c.generate())[0]['source_str'].tolist()] != first[:1]
    np.testing.assert_array_equal(a.generate()[2][0]['image_input'], a.generate()[2][0]['image_input'])


def test_generator_leaves_global_rng_alone(aihub_dir):
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    gen, _ = make_gen(aihub_dir)
    next(gen.generate())
    assert np.random.rand() == expected


def test_generator_reports_squeezed_lines(aihub_dir, capsys):
    gtu = GTUtility(aihub_dir)
    InputGenerator(gtu, 2, build_charset(gtu.text), (64, 32), max_string_len=14)
    out = capsys.readouterr().out
    assert 'squeezed horizontally' in out


def test_cache_and_threads_give_the_same_batches(aihub_dir):
    plain, _ = make_gen(aihub_dir, cache=False, threads=1)
    cached, _ = make_gen(aihub_dir, cache=True, threads=2)
    assert cached.lines.enabled and not plain.lines.enabled
    for i in range(5):  # 20 lines: two passes over the 10 samples
        a, b = plain.generate()[i][0], cached.generate()[i][0]
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert cached.lines.filled.all()


def test_cached_lines_are_not_read_again(aihub_dir):
    gen, _ = make_gen(aihub_dir, cache=True)
    seq = gen.generate()
    first = [seq[i][0]['image_input'] for i in range(3)]  # 12 lines: every sample once
    for name in os.listdir(os.path.join(aihub_dir, 'printed')):
        os.remove(os.path.join(aihub_dir, 'printed', name))
    np.testing.assert_array_equal(seq[0][0]['image_input'], first[0])
    assert gen.lines.filled.sum() == gen.num_samples


def test_text_and_image_tools_do_not_import_tensorflow():
    """CRNN_labels.py and utils.synth only read text and images: importing
    them, and the line stages (crnn_lines), loads neither Keras nor TensorFlow."""
    code = ('import sys, CRNN_labels, utils.labels, utils.synth.lines, utils.synth.text, utils.synth.doc, '
            'utils.synth.page, crnn_lines, crnn_gt; crnn_lines.read_image; '
            'print(sorted(m for m in ("keras", "tensorflow", "jax") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == '[]', out.stderr
