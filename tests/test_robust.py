"""Long runs: SIGKILL at any moment, --resume, bad files, disk full, arbitrary Unicode."""
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ORIGINAL_SPEED, ROOT, SENTENCES, write_aihub
from crnn_data import DataError, GTUtility, InputGenerator
from crnn_utils import build_charset, char_index, encode_label
from utils.h5weights import read_weights_h5

TRAIN = [sys.executable, os.path.join(ROOT, 'CRNN_training.py')]
ENV = dict(os.environ, PYTHONUNBUFFERED='1')


def train_args(data, root, epochs, *extra):
    return ['--data-dir', data, '--epochs', str(epochs), '--batch-size', '2', '--steps-per-epoch', '2',
            '--validation-steps', '1', '--metrics-steps', '0', '--checkpoint-root', root,
            '--workers', '1'] + ORIGINAL_SPEED + list(extra)


def start(args):
    return subprocess.Popen(TRAIN + args, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, p, timeout=240):
    deadline = time.time() + timeout
    while not predicate():
        assert p.poll() is None, p.communicate()[1][-2000:]
        assert time.time() < deadline, 'timed out'
        time.sleep(0.05)


def rows(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))


def only_run(root):
    [run] = os.listdir(root)
    return os.path.join(root, run)


@pytest.mark.parametrize('how', ['sigkill', 'sigint'])
def test_resume_after_a_stop_mid_epoch_continues_the_same_run(aihub_dir, tmp_path, how):
    """Killed (SIGKILL) or interrupted (Ctrl-C) inside epoch 2: the unfinished
    epoch is not recorded, and --resume gives the uninterrupted run's curve."""
    straight = str(tmp_path / 'straight')
    r = subprocess.run(TRAIN + train_args(aihub_dir, straight, 3), cwd=ROOT, env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    root = str(tmp_path / 'stopped')
    p = start(train_args(aihub_dir, root, 3))
    log = lambda: os.path.join(only_run(root), 'log.csv')  # noqa: E731
    wait_for(lambda: os.path.isdir(root) and os.listdir(root) and os.path.exists(log())
             and any(row['epoch'] == '1' for row in rows(log())), p)  # inside the second epoch
    if how == 'sigkill':
        p.kill()
        p.wait()
    else:
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert p.returncode == 130 and 'Traceback' not in err, err[-2000:]
        assert 'stopped in epoch 2, which is not recorded' in err and 'resume after epoch 1' in err
    run = only_run(root)
    assert [h['epoch'] for h in rows(os.path.join(run, 'history.csv'))] == ['1']
    assert not os.path.exists(os.path.join(run, 'weights.002.h5'))
    if how == 'sigint':
        assert os.path.exists(os.path.join(run, 'weights.interrupted.h5'))
        with h5py.File(os.path.join(run, 'resume.h5')) as f:
            assert int(f.attrs['epoch']) == 1
    r = subprocess.run(TRAIN + ['--resume', run], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'resuming after epoch 1' in r.stdout and 'epoch 2/3' in r.stdout and 'epoch 1/3' not in r.stdout
    history, log_rows = rows(os.path.join(run, 'history.csv')), rows(os.path.join(run, 'log.csv'))
    assert [h['epoch'] for h in history] == ['1', '2', '3']
    assert [int(x['iteration']) for x in log_rows] == list(range(1, 7))
    assert [x['epoch'] for x in log_rows] == [str(e) for e in range(3) for _ in range(2)]
    expected = rows(os.path.join(only_run(straight), 'history.csv'))
    np.testing.assert_allclose([float(h['loss']) for h in history], [float(h['loss']) for h in expected], rtol=1e-3)
    np.testing.assert_allclose([float(h['lr']) for h in history], [float(h['lr']) for h in expected], rtol=1e-6)
    if how == 'sigkill':
        r = subprocess.run(TRAIN + ['--resume', run], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0 and 'already finished 3 of 3 epochs: nothing to do' in r.stdout  # says so
        assert '--epochs 6' in r.stdout and len(rows(os.path.join(run, 'history.csv'))) == 3


def test_ctrl_c_at_start_up_is_one_line_and_leaves_nothing(aihub_dir, tmp_path):
    root = str(tmp_path / 'ck')
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        p = start(train_args(aihub_dir, root, 3))
        time.sleep(1.5)  # importing TensorFlow
        p.send_signal(sig)
        out, err = p.communicate(timeout=120)
        assert p.returncode == code, err[-2000:]
        assert 'Traceback' not in err and err.strip().splitlines()[-1].startswith('interrupted (')
        assert not os.path.exists(root) or not os.listdir(root)


@pytest.mark.parametrize('seed', [0, 1])
def test_sigkill_at_a_random_moment_leaves_every_file_loadable(aihub_dir, tmp_path, seed):
    root = str(tmp_path / 'ck')
    p = start(train_args(aihub_dir, root, 100, '--snapshot-interval', '1'))
    wait_for(lambda: os.path.isdir(root) and os.listdir(root)
             and any(f.startswith('weights.') for f in os.listdir(only_run(root))), p)
    time.sleep(np.random.default_rng(seed).uniform(0, 3))
    p.kill()
    p.wait()
    run = only_run(root)
    visible = [f for f in os.listdir(run) if not f.startswith('.')]
    weights = [f for f in visible if f.endswith('.h5') and f != 'resume.h5']
    assert weights
    for f in weights:
        assert 'dense1' in read_weights_h5(os.path.join(run, f)), f
    if 'resume.h5' in visible:
        with h5py.File(os.path.join(run, 'resume.h5')) as f:
            assert f.attrs['epoch'] >= 1 and len(f['optimizer']) > 0
    for f in ('history.csv', 'args.json', 'charset.json'):
        if f in visible:
            assert open(os.path.join(run, f), encoding='utf-8').read().strip()


def test_no_space_left_for_a_checkpoint_is_a_clear_error(aihub_dir, tmp_path):
    def small_disk():  # writes past 1 MB fail with EFBIG, like a full disk fails with ENOSPC
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    root = str(tmp_path / 'ck')
    r = subprocess.run(TRAIN + train_args(aihub_dir, root, 2), cwd=ROOT, env=ENV, capture_output=True, text=True,
                       timeout=300, preexec_fn=small_disk)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert 'cannot write' in r.stderr and 'weights.001.h5' in r.stderr and 'File too large' in r.stderr
    assert not os.listdir(root)  # no weights were written, so the run folder is removed: nothing half there


def test_resume_of_a_run_without_a_completed_epoch(aihub_dir, tmp_path):
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'args.json').write_text(json.dumps({'data_dir': aihub_dir, 'epochs': 1}))
    r = subprocess.run(TRAIN + ['--resume', str(run)], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and 'completed no epoch' in r.stderr and 'Traceback' not in r.stderr
    r = subprocess.run(TRAIN + ['--resume', str(tmp_path / 'nope')], cwd=ROOT, env=ENV, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and 'run folder not found' in r.stderr


def test_corrupt_png_is_skipped_counted_and_named(aihub_dir, capsys):
    bad = os.path.join(aihub_dir, 'printed', '00000003.png')
    with open(bad, 'r+b') as f:
        f.truncate(50)
    gtu = GTUtility(aihub_dir)
    gen = InputGenerator(gtu, 5, build_charset(gtu.text), (256, 32), max_string_len=62)
    seq = gen.generate()
    for i in range(4):  # two passes over the 10 lines
        inputs, _ = next(seq)
        for s, lab, n in zip(inputs['source_str'], inputs['label_input'], inputs['label_length'][:, 0]):
            assert s != SENTENCES[2] and ''.join(gen.alphabet[int(c)] for c in lab[:n]) == s
    assert list(gen.lines.bad) == [gtu.image_names.index('00000003.png')]
    err = capsys.readouterr().err
    assert err.count('00000003.png') == 1 and '1 unreadable so far' in err


def test_only_unreadable_images_is_an_error(aihub_dir):
    for name in os.listdir(os.path.join(aihub_dir, 'printed')):
        open(os.path.join(aihub_dir, 'printed', name), 'wb').close()
    gtu = GTUtility(aihub_dir)
    gen = InputGenerator(gtu, 4, build_charset(gtu.text), (256, 32), max_string_len=62)
    with pytest.raises(DataError, match='no readable image'):
        next(gen.generate())


def test_images_without_annotation_are_counted(tmp_path, capsys):
    gt = write_aihub(str(tmp_path), [('1', '계약', '문장', True), ('2', '갑을', '문장', True)])
    gt['annotations'] = [a for a in gt['annotations'] if a['image_id'] == '1']
    with open(tmp_path / 'korean_printed_sentence.json', 'w', encoding='utf-8') as f:
        json.dump(gt, f, ensure_ascii=False)
    gtu = GTUtility(str(tmp_path))
    assert gtu.num_samples == 1 and gtu.unannotated == ['2']
    assert 'skipped 1 images without an annotation' in capsys.readouterr().out


texts = st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts, min_size=1, max_size=8))
def test_json_reader_returns_any_unicode_text_unchanged(tmp_path_factory, lines):
    root = str(tmp_path_factory.mktemp('uni'))
    os.makedirs(os.path.join(root, 'printed'))
    images = [{'id': 'img%d' % k, 'file_name': '%d.png' % k, 'width': 10, 'height': 10} for k in range(len(lines))]
    anns = [{'id': k, 'image_id': 'img%d' % k, 'text': t, 'attributes': {'type': '문장'}} for k, t in enumerate(lines)]
    for img in images:
        open(os.path.join(root, 'printed', img['file_name']), 'wb').close()
    with open(os.path.join(root, 'korean_printed_sentence.json'), 'w', encoding='utf-8') as f:
        json.dump({'images': images, 'annotations': anns[::-1]}, f, ensure_ascii=False)
    assert GTUtility(root, verbose=False).texts() == lines


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_label_encoder_on_any_unicode(known, text):
    charset = build_charset([known])
    ids, missing = encode_label(text, char_index(charset))
    assert len(ids) == len(text) and ids.dtype == np.int32
    assert np.all((ids >= 0) & (ids < len(charset) - 1))  # never the blank
    assert ''.join(c if c in charset[:-1] else ' ' for c in text) == ''.join(charset[i] for i in ids)
    assert missing == [c for c in text if c not in charset[:-1]]
    dropped, _ = encode_label(text, char_index(charset), unknown=None)
    assert len(dropped) == len(text) - len(missing)


@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0, reason='root reads any folder')
def test_unreadable_image_folder_is_named(aihub_dir):
    folder = os.path.join(aihub_dir, 'printed')
    os.chmod(folder, 0)
    try:
        with pytest.raises(DataError, match='cannot be read'):
            GTUtility(aihub_dir)
    finally:
        os.chmod(folder, 0o755)
