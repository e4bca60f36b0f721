"""Lines of any length: width buckets in training, per-line widths at inference."""
import os

import numpy as np
import pytest

from helpers import write_aihub
from crnn_data import BucketPlan, GTUtility, InputGenerator, bucket_of_samples
from crnn_lines import inference_width, load_input, load_inputs_any_width, read_image
from crnn_model import CRNN, output_steps
from crnn_utils import build_charset

TEXTS = ['가', '계약', '갑과 을은', '제3조 목적 및 정의', '본 계약은 서명한 날부터 효력이 있다', '을은 갑에게 대금을 지급한다',
         '나', '대금 지급', '계약기간은 2024년 1월 1일부터 12개월로 한다']


@pytest.fixture
def lines(tmp_path):
    write_aihub(str(tmp_path), [('%02d' % i, t, '문장', True) for i, t in enumerate(TEXTS)])
    return GTUtility(str(tmp_path), verbose=False)


def test_bucket_is_the_narrowest_that_holds_the_line_and_its_label():
    steps = output_steps
    b = bucket_of_samples([50, 128, 129, 900, 100, 900], [3, 3, 3, 3, 40, 500], (128, 256, 512), steps)
    assert b.tolist() == [0, 0, 1, 2, 1, -1]  # 40 labels need 256's 62 steps; 500 fit nowhere


def test_plan_covers_every_sample_each_pass_in_one_bucket_batches():
    idx = np.arange(10, 33)
    bucket = np.array([0] * 10 + [1] * 9 + [2] * 4)
    plan = BucketPlan(idx, bucket, 4, seed=5)
    assert plan.per_pass == 3 + 3 + 1
    seen = []
    for i in range(plan.per_pass):
        b, chunk = plan.batch(i)
        assert len(chunk) == 4 and set(bucket[chunk - 10]) == {b}
        seen += chunk.tolist()
    assert set(seen) == set(idx.tolist())
    again = BucketPlan(idx, bucket, 4, seed=5)
    assert all(np.array_equal(plan.batch(i)[1], again.batch(i)[1]) for i in range(2 * plan.per_pass))
    assert [plan.batch(i)[1].tolist() for i in range(7)] != [plan.batch(i)[1].tolist() for i in range(7, 14)]


def test_batches_are_as_wide_as_their_bucket(lines):
    charset = build_charset(lines.text)
    buckets = (64, 128, 256, 512)
    gen = InputGenerator(lines, 2, charset, (512, 32), max_string_len=output_steps(512), buckets=buckets,
                         steps=output_steps, verbose=False)
    seq = gen.generate()
    widths = set()
    for i in range(gen.steps_per_epoch()):
        inputs, _ = seq.batch(i)
        width = inputs['image_input'].shape[1]
        widths.add(width)
        assert width in buckets and inputs['input_length'][:, 0].tolist() == [output_steps(width)] * 2
        assert inputs['label_input'].shape[1] == output_steps(width)
        for row, text, n in zip(inputs['image_input'], inputs['source_str'], inputs['label_length'][:, 0]):
            assert n == len(text)
    assert len(widths) >= 3
    with pytest.raises(ValueError, match='ascending widths ending at the input width'):
        InputGenerator(lines, 2, charset, (384, 32), buckets=buckets, steps=output_steps, verbose=False)


def test_inference_groups_lines_by_width_and_keeps_long_lines_unsqueezed(lines):
    paths = [os.path.join(lines.image_path, n) for n in lines.image_names]
    groups = load_inputs_any_width(paths, 32)
    positions = sorted(p for pos, _ in groups.values() for p in pos)
    assert positions == list(range(len(paths)))
    for width, (pos, rows) in groups.items():
        assert rows.shape[1:] == (width, 32, 1) and rows.dtype == np.float32
        for p, row in zip(pos, rows):
            img = read_image(paths[p])
            natural = round(32 * img.shape[1] / img.shape[0])
            assert natural <= width == inference_width(img.shape, 32)
            np.testing.assert_array_equal(row, load_input(paths[p], width, 32))
    assert len(groups) >= 3 and max(groups) >= 384


def test_recognize_any_width_matches_line_by_line(lines):
    from crnn_reader import recognize
    charset = build_charset(lines.text)
    model = CRNN((None, 32, 1), len(charset), prediction_only=True)
    paths = [os.path.join(lines.image_path, n) for n in lines.image_names]
    texts = recognize(model, charset, paths, (None, 32), batch_size=3, progress=False)
    for path, text in zip(paths, texts):
        width = inference_width(read_image(path).shape, 32)
        probs = model.predict_on_batch(load_input(path, width, 32)[None])
        assert text == recognize(model, charset, [path], (width, 32), progress=False)[0]
        assert probs.shape[1] == output_steps(width)
