import json
import os

import numpy as np
import pytest

from helpers import SENTENCES, write_aihub
from crnn_data import DataError, GTUtility


def test_reads_sentences_joined_by_image_id(aihub_dir, capsys):
    gtu = GTUtility(aihub_dir)
    assert gtu.num_samples == gtu.num_objects == 10
    assert gtu.texts() == SENTENCES  # image order, annotations were reversed in the file
    assert gtu.image_names[0] == '00000001.png'
    assert gtu.text[0] == [SENTENCES[0]]
    assert gtu.data[0].tolist() == [[0, 0, 1, 1, 1]]
    assert gtu.image_path == os.path.join(aihub_dir, 'printed')
    out = capsys.readouterr().out
    assert 'skipped 2 entries whose image is missing' in out and '00000201.png' in out


def test_type_filter(aihub_dir):
    assert GTUtility(aihub_dir, types='단어(어절)').texts() == ['계약서', '날인']
    assert GTUtility(aihub_dir, types='syllable').texts() == ['갑']
    assert GTUtility(aihub_dir, types=['문장', 'word']).num_samples == 12
    assert GTUtility(aihub_dir, types='all').num_samples == 13


def test_split_in_file_order_and_seeded(aihub_dir):
    gtu = GTUtility(aihub_dir)
    train, val = gtu.split(0.8)
    assert (train.num_samples, val.num_samples) == (8, 2)
    assert train.texts() == SENTENCES[:8] and val.texts() == SENTENCES[8:]
    a, b = gtu.split(0.8, seed=3)
    a2, _ = gtu.split(0.8, seed=3)
    assert a.texts() == a2.texts() and sorted(a.texts() + b.texts()) == sorted(SENTENCES)
    assert a.texts() != train.texts()
    assert train.image_sizes.shape == (8, 2)


def test_input_width_reports_coverage(aihub_dir):
    gtu = GTUtility(aihub_dir)
    w = gtu.input_width(32, 0.95)
    widths = 32 * gtu.image_sizes[:, 0] / gtu.image_sizes[:, 1]
    assert w % 8 == 0 and np.mean(widths <= w) >= 0.95
    assert gtu.width_report(32).startswith('line width at height 32: median')


def test_merge_keeps_counts(aihub_dir, tmp_path):
    other = tmp_path / 'hand'
    write_aihub(str(other), [('00000001', '손글씨 문장', '문장', True)], json_name='handwriting.json')
    a = GTUtility(aihub_dir)
    b = GTUtility(str(other), json_file='handwriting.json')
    m = a.merge(b)
    assert m.num_samples == 11 and m.texts()[-1] == '손글씨 문장'
    assert os.path.exists(os.path.join(m.image_path, m.image_names[-1]))
    assert os.path.exists(os.path.join(m.image_path, m.image_names[0]))


@pytest.mark.parametrize('mutate, message', [
    (lambda gt: gt['annotations'].append(dict(gt['annotations'][0], id='x')), 'already has an annotation'),
    (lambda gt: gt['images'].append(dict(gt['images'][0])), 'duplicate image id'),
    (lambda gt: gt['annotations'][0].pop('text'), "missing key 'text'"),
    (lambda gt: gt['annotations'][0].update(text='  '), 'empty or non-string text'),
    (lambda gt: gt['annotations'][0].update(image_id='nope'), "image_id 'nope' has no entry"),
    (lambda gt: gt.pop('images'), "missing list 'images'"),
])
def test_bad_json_entries_are_named(aihub_dir, mutate, message):
    path = os.path.join(aihub_dir, 'korean_printed_sentence.json')
    gt = json.load(open(path, encoding='utf-8'))
    mutate(gt)
    json.dump(gt, open(path, 'w', encoding='utf-8'), ensure_ascii=False)
    with pytest.raises(DataError, match=message):
        GTUtility(aihub_dir)


def test_malformed_json_names_position(aihub_dir):
    path = os.path.join(aihub_dir, 'korean_printed_sentence.json')
    with open(path, 'w') as f:
        f.write('{"images": [1, 2,]}')
    with pytest.raises(DataError, match=r'korean_printed_sentence.json is not valid JSON.*line 1, column'):
        GTUtility(aihub_dir)


def test_empty_after_filter_is_an_error(aihub_dir):
    with pytest.raises(DataError, match='no usable'):
        GTUtility(aihub_dir, types='없는유형')
