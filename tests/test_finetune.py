"""A user's own lines: label-file conversion, merging sources (printed and
handwriting), --mix, and charset extension that keeps the trained classes."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from helpers import ORIGINAL_SPEED, SENTENCES, render_line, run_tool, write_aihub
from crnn_data import DataError, GTUtility, InputGenerator
from crnn_gt import load_sources, merge_all, split_sources
from crnn_model import CRNN
from crnn_utils import build_charset, extend_charset, load_charset
from utils.weights.h5 import read_weights_h5, save_weights_h5
from utils.labels import convert_label_file, read_label_file
from utils.weights.load import load_initial_weights

CONTRACT_LINES = ['계약금 10% 지급', '갑: ABC 주식회사', '을: 홍길동', '제5조 (해지)', '위약금 20%',
                  '₩1,000,000', '잔금 지급일', '서명 날인한다.', '임대인 김철수', '특약 사항 없음']


run = run_tool


@pytest.fixture
def label_folder(tmp_path):
    """Cropped contract lines in nested folders and their label file."""
    folder = tmp_path / 'scans'
    (folder / 'p2').mkdir(parents=True)
    lines = []
    for i, text in enumerate(CONTRACT_LINES):
        name = 'line%02d.png' % i if i < 5 else 'p2/line%02d.jpg' % i
        render_line(str(folder / name), text)
        lines.append('%s\t%s' % (name, text))
    (folder / 'labels.txt').write_text('\ufeff' + '\n'.join(lines) + '\n\n', encoding='utf-8')
    return folder


def test_label_file_converts_to_the_aihub_layout(label_folder, tmp_path):
    out = str(tmp_path / 'custom')
    texts = convert_label_file(str(label_folder / 'labels.txt'), out)
    assert texts == CONTRACT_LINES
    gtu = GTUtility(out, json_file='custom_lines.json', image_dir='images')
    assert gtu.texts() == CONTRACT_LINES
    assert gtu.image_names[:2] == ['00000001.png', '00000002.png'] and gtu.image_names[5] == '00000006.jpg'
    with open(os.path.join(out, 'custom_lines.json'), encoding='utf-8') as f:
        gt = json.load(f)
    assert gt['images'][5]['source'] == 'p2/line05.jpg'
    assert tuple(gtu.image_sizes[0]) > (0, 0)


@pytest.mark.parametrize('content, message', [
    (b'a.png\tok\nno tab here\n', "labels.txt:2: expected 'file<TAB>text', found no tab"),
    (b'a.png\tok\nmissing.png\ttext\n', 'labels.txt:2: image not found:'),
    (b'a.png\tok\n\n\na.png\tagain\n', 'labels.txt:4: image a.png already labelled on line 1'),
    (b'a.png\t  \n', 'labels.txt:1: no text'),
    (b'\tno file\n', 'labels.txt:1: no image path'),
    (b'a.png\tok\na.png\t\xff\xfe\n', 'labels.txt:2: not UTF-8'),
    (b'a.png\tone\ttwo\n', 'labels.txt:1: more than one tab'),
])
def test_bad_label_lines_are_reported_with_line_numbers(tmp_path, content, message):
    render_line(str(tmp_path / 'a.png'), '갑')
    (tmp_path / 'labels.txt').write_bytes(content)
    with pytest.raises(DataError, match=message.replace('(', r'\(')):
        convert_label_file(str(tmp_path / 'labels.txt'), str(tmp_path / 'out'))
    assert not os.path.exists(tmp_path / 'out')
    assert [n for n in os.listdir(tmp_path) if n.startswith('.')] == []


def test_every_bad_line_is_listed_and_the_cli_writes_nothing(tmp_path):
    render_line(str(tmp_path / 'a.png'), '갑')
    (tmp_path / 'bad.png').write_bytes(b'not a png')
    (tmp_path / 'labels.txt').write_text('a.png\t갑\nx\ny\nbad.png\t을\n', encoding='utf-8')
    with pytest.raises(DataError) as e:
        read_label_file(str(tmp_path / 'labels.txt'))
    assert str(e.value).startswith('2 bad lines in') and ':2:' in str(e.value) and ':3:' in str(e.value)
    (tmp_path / 'labels.txt').write_text('a.png\t갑\nbad.png\t을\n', encoding='utf-8')
    r = run('CRNN_labels.py', str(tmp_path / 'labels.txt'), '--out', str(tmp_path / 'out'))
    assert r.returncode == 2 and 'labels.txt:2: cannot decode image' in r.stderr, r.stderr[-1500:]
    assert not os.path.exists(tmp_path / 'out') and not [n for n in os.listdir(tmp_path) if n.startswith('.')]


def test_handwriting_and_printed_sources_merge_with_per_source_counts(aihub_dir, tmp_path, capsys):
    """AI Hub's handwriting JSON has the printed schema, with writer attributes instead of a font."""
    hw = tmp_path / 'hw'
    write_aihub(str(hw), [('h%05d' % i, t, '문장', True) for i, t in enumerate(SENTENCES[:5])],
                json_name='handwriting_data_info1.json', image_dir='handwriting')
    with open(hw / 'handwriting_data_info1.json', encoding='utf-8') as f:
        gt = json.load(f)
    for ann in gt['annotations']:
        ann['attributes'] = {'type': '문장', 'gender': '여', 'age': '31', 'job': '회사원'}
    with open(hw / 'handwriting_data_info1.json', 'w', encoding='utf-8') as f:
        json.dump(gt, f, ensure_ascii=False)
    shutil.copytree(hw / 'handwriting', os.path.join(aihub_dir, 'handwriting'))
    shutil.copy(hw / 'handwriting_data_info1.json', aihub_dir)

    sources = load_sources(aihub_dir, 'korean_printed_sentence.json,handwriting_data_info1.json',
                           'printed,handwriting')
    train, val = split_sources(sources, 0.8)
    out = capsys.readouterr().out
    assert 'korean_printed_sentence.json: 10 lines (train 8, validation 2)' in out
    assert 'handwriting_data_info1.json: 5 lines (train 4, validation 1)' in out
    assert (train.num_samples, val.num_samples) == (12, 3)
    assert val.texts() == SENTENCES[8:10] + SENTENCES[4:5]  # every source in the validation set
    gen = InputGenerator(train, 12, build_charset(train.text), (256, 32), verbose=False)
    x, _ = next(gen.generate())
    assert sorted(x['source_str']) == sorted(SENTENCES[:8] + SENTENCES[:4])
    with pytest.raises(ValueError, match='2 JSON files but 3 image folders'):
        load_sources(aihub_dir, 'a.json,b.json', 'x,y,z')


def test_mix_takes_a_seeded_share(aihub_dir):
    gtu = GTUtility(aihub_dir, verbose=False)
    a, b = gtu.sample(0.5, seed=1), gtu.sample(0.5, seed=1)
    assert a.num_samples == 5 and a.image_names == b.image_names
    assert a.image_names == sorted(a.image_names, key=gtu.image_names.index)
    assert gtu.sample(0.5, seed=2).image_names != a.image_names
    assert merge_all([gtu, a]).num_samples == 15


def test_extend_charset_appends_before_the_blank():
    old = '가나다0123 ._'
    new, added = extend_charset(old, ['가A나%', 'B가 _%'])
    assert added == 'A%B' and new == '가나다0123 .A%B_'
    assert new[:len(old) - 1] == old[:-1]
    assert extend_charset(old, ['가나']) == (old, '')


def test_extended_classifier_keeps_the_old_classes_bit_identical(small_model, tmp_path):
    model, _ = small_model
    path = str(tmp_path / 'old.h5')
    save_weights_h5(model, path)
    bigger, _ = CRNN((256, 32, 1), 43)
    logs = []
    skipped = load_initial_weights(bigger, path, log=logs.append, old_classes=40)
    assert skipped == [] and 'extended from 40 to 43 classes' in logs[0]
    old_kernel, old_bias = read_weights_h5(path)['dense1']
    kernel, bias = (np.asarray(w) for w in bigger.get_layer('dense1').get_weights())
    assert kernel.shape == (512, 43)
    np.testing.assert_array_equal(kernel[:, :39], old_kernel[:, :39])
    np.testing.assert_array_equal(kernel[:, 42], old_kernel[:, 39])  # the blank, still last
    np.testing.assert_array_equal(bias[:39], old_bias[:39])
    assert bias[42] == old_bias[39]
    assert np.all(np.isfinite(kernel[:, 39:42])) and np.all(kernel[:, 39:42] != 0)
    for name in ('conv1_1', 'bidirectional_2'):
        for a, b in zip(bigger.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_finetune_on_converted_lines_with_new_characters(label_folder, aihub_dir, tmp_path):
    """The README's fine-tuning recipe end to end: convert, report, extend, freeze, mix, augment."""
    pre_root = str(tmp_path / 'pre')
    r = run('CRNN_training.py', *ORIGINAL_SPEED, '--data-dir', aihub_dir, '--epochs', '1', '--steps-per-epoch', '1',
            '--batch-size', '4', '--validation-steps', '1', '--metrics-steps', '0', '--checkpoint-root', pre_root)
    assert r.returncode == 0, r.stderr[-2000:]
    pre = os.path.join(pre_root, os.listdir(pre_root)[0])
    data = str(tmp_path / 'custom')
    r = run('CRNN_labels.py', str(label_folder / 'labels.txt'), '--out', data, '--charset', pre)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "'%' x2" in r.stdout and "'A' x1" in r.stdout and '--extend-charset' in r.stdout

    root = str(tmp_path / 'ft')
    r = run('CRNN_training.py', *ORIGINAL_SPEED, '--data-dir', data, '--json', 'custom_lines.json',
            '--image-dir', 'images', '--weights', os.path.join(pre, 'final_weights.h5'), '--charset', pre,
            '--extend-charset',
            '--freeze', 'conv1_1', '--mix', '0.5', '--mix-data-dir', aihub_dir, '--augment', 'light',
            '--aug-blur', '0.5:1', '--epochs', '1', '--steps-per-epoch', '2', '--batch-size', '4',
            '--validation-steps', '1', '--metrics-steps', '1', '--checkpoint-root', root)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'mixing in 4 of 8 training lines' in r.stdout
    assert 'classifier dense1 extended' in r.stdout and 'augmentation of training lines: pad' in r.stdout
    assert 'frozen: conv1_1; trainable weights ' in r.stdout
    old, new = load_charset(pre), load_charset(os.path.join(root, os.listdir(root)[0]))
    assert new.startswith(old[:-1]) and new.endswith('_') and set('%AB₩') <= set(new[len(old) - 1:]) and ':' not in new[len(old) - 1:]
    assert 'train 12, validation 2 lines' in r.stdout
    frozen = read_weights_h5(os.path.join(root, os.listdir(root)[0], 'weights.001.h5'))['conv1_1']
    for a, b in zip(frozen, read_weights_h5(os.path.join(pre, 'final_weights.h5'))['conv1_1']):
        np.testing.assert_array_equal(a, b)


def test_extend_charset_needs_the_old_charset(aihub_dir, tmp_path):
    r = run('CRNN_training.py', *ORIGINAL_SPEED, '--data-dir', aihub_dir, '--extend-charset', '--checkpoint-root',
            str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == (
        'error: --extend-charset needs --charset: the charset the --weights were trained with')


def test_predict_then_labels_round_trip_from_another_folder(label_folder, tmp_path):
    """README: predict into a label file, fix it, convert it; the paths resolve
    wherever the commands run."""
    from crnn_utils import save_charset
    from utils.weights.h5 import save_weights_h5
    from crnn_model import CRNN
    charset = build_charset(CONTRACT_LINES)
    save_charset(str(tmp_path / 'cs.json'), charset)
    save_weights_h5(CRNN((None, 32, 1), len(charset), prediction_only=True), str(tmp_path / 'w.h5'))
    work = tmp_path / 'elsewhere'
    work.mkdir()
    scans = os.path.relpath(label_folder, work)
    common = ['--weights', tmp_path / 'w.h5', '--charset', tmp_path / 'cs.json', scans, os.path.join(scans, 'p2')]
    r = run_tool('CRNN_predict.py', *common, '--output', 'predicted.txt', cwd=work)
    assert r.returncode == 0, r.stderr[-2000:]
    predicted = (work / 'predicted.txt').read_text(encoding='utf-8').splitlines()
    assert len(predicted) == len(CONTRACT_LINES) and predicted[0].startswith(os.path.join(scans, 'line00.png') + '\t')
    fixed = (work / 'sub')
    fixed.mkdir()
    (fixed / 'labels.txt').write_text(''.join('%s\t%s\n' % (os.path.relpath(os.path.join(work, l.split('\t')[0]), fixed), t)
                                              for l, t in zip(predicted, CONTRACT_LINES)), encoding='utf-8')
    r = run_tool('CRNN_labels.py', 'sub/labels.txt', '--out', 'a', cwd=work, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(work / 'stdout.txt', 'w', encoding='utf-8') as f:  # the shell redirect: paths relative to the cwd
        r = run_tool('CRNN_predict.py', *common, cwd=work, stdout=f, stderr=subprocess.PIPE)
    assert r.returncode == 0
    r = run_tool('CRNN_labels.py', work / 'stdout.txt', '--out', 'b', cwd=work, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(json.load(open(work / 'b' / 'custom_lines.json', encoding='utf-8'))['images']) == len(CONTRACT_LINES)
