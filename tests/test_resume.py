"""Long training runs stopped and resumed: SIGKILL at any moment, Ctrl-C and SIGTERM, a full disk, --resume."""
import csv
import json
import os
import resource
import signal
import time

import h5py
import numpy as np
import pytest

from helpers import (ORIGINAL_SPEED, SENTENCES, only_run, run_tool, start_tool, tensorflow_loaded, wait_for,
                     write_aihub)
from utils.weights.h5 import read_weights_h5


def train_args(data, root, epochs, *extra):
    return ['--data-dir', data, '--epochs', str(epochs), '--batch-size', '2', '--steps-per-epoch', '2',
            '--validation-steps', '1', '--metrics-steps', '0', '--checkpoint-root', root,
            '--workers', '1'] + ORIGINAL_SPEED + list(extra)


def train(*args, **kw):
    return run_tool('CRNN_training.py', *args, **kw)


def start(args):
    return start_tool('CRNN_training.py', *args)


def rows(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope='module')
def straight_run(tmp_path_factory):
    """(data folder, history rows) of an uninterrupted 3-epoch run: the curve both resumed runs must give."""
    data = str(tmp_path_factory.mktemp('data'))
    write_aihub(data, [('%08d' % (i + 1), t, '문장', True) for i, t in enumerate(SENTENCES)])
    root = str(tmp_path_factory.mktemp('straight'))
    r = train(*train_args(data, root, 3))
    assert r.returncode == 0, r.stderr[-2000:]
    return data, rows(os.path.join(only_run(root), 'history.csv'))


@pytest.mark.slow
@pytest.mark.xdist_group('straight_run')
@pytest.mark.parametrize('how', ['sigkill', 'sigint'])
def test_resume_after_a_stop_mid_epoch_continues_the_same_run(straight_run, tmp_path, how):
    """Killed (SIGKILL) or interrupted (Ctrl-C) inside epoch 2: the unfinished
    epoch is not recorded, and --resume gives the uninterrupted run's curve."""
    data, expected = straight_run
    root = str(tmp_path / 'stopped')
    p = start(train_args(data, root, 3))
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
    r = train('--resume', run)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'resuming after epoch 1' in r.stdout and 'epoch 2/3' in r.stdout and 'epoch 1/3' not in r.stdout
    history, log_rows = rows(os.path.join(run, 'history.csv')), rows(os.path.join(run, 'log.csv'))
    assert [h['epoch'] for h in history] == ['1', '2', '3']
    assert [int(x['iteration']) for x in log_rows] == list(range(1, 7))
    assert [x['epoch'] for x in log_rows] == [str(e) for e in range(3) for _ in range(2)]
    np.testing.assert_allclose([float(h['loss']) for h in history], [float(h['loss']) for h in expected], rtol=1e-3)
    np.testing.assert_allclose([float(h['lr']) for h in history], [float(h['lr']) for h in expected], rtol=1e-6)
    if how == 'sigkill':
        r = train('--resume', run)
        assert r.returncode == 0 and 'already finished 3 of 3 epochs: nothing to do' in r.stdout  # says so
        assert '--epochs 6' in r.stdout and len(rows(os.path.join(run, 'history.csv'))) == 3


def test_ctrl_c_at_start_up_is_one_line_and_leaves_nothing(aihub_dir, tmp_path):
    root = str(tmp_path / 'ck')
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        p = start(train_args(aihub_dir, root, 3))
        wait_for(lambda: tensorflow_loaded(p), p)  # start-up: importing TensorFlow, long before any run folder
        p.send_signal(sig)
        out, err = p.communicate(timeout=120)
        assert p.returncode == code, err[-2000:]
        assert 'Traceback' not in err and err.strip().splitlines()[-1].startswith('interrupted (')
        assert not os.path.exists(root) or not os.listdir(root)


@pytest.mark.slow
@pytest.mark.parametrize('seed', [0, 1])
def test_sigkill_at_a_random_moment_leaves_every_file_loadable(aihub_dir, tmp_path, seed):
    root = str(tmp_path / 'ck')
    p = start(train_args(aihub_dir, root, 100, '--snapshot-interval', '1'))
    wait_for(lambda: os.path.isdir(root) and os.listdir(root)
             and any(f.startswith('weights.') for f in os.listdir(only_run(root))), p)
    time.sleep(np.random.default_rng(seed).uniform(0, 3))  # a moment after the first checkpoint: any must do
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
    r = train(*train_args(aihub_dir, root, 2), preexec_fn=small_disk)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert 'cannot write' in r.stderr and 'weights.001.h5' in r.stderr and 'File too large' in r.stderr
    assert not os.listdir(root)  # no weights were written, so the run folder is removed: nothing half there


def test_resume_of_a_run_without_a_completed_epoch(aihub_dir, tmp_path):
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'args.json').write_text(json.dumps({'data_dir': aihub_dir, 'epochs': 1}))
    r = train('--resume', run)
    assert r.returncode == 2 and 'completed no epoch' in r.stderr and 'Traceback' not in r.stderr
    r = train('--resume', tmp_path / 'nope', timeout=60)
    assert r.returncode == 2 and 'run folder not found' in r.stderr


def test_ctrl_c_in_the_first_epoch_hints_what_works(aihub_dir, tmp_path):
    """Stopped before any epoch was recorded there is nothing to resume: the hint
    says so and names the saved weights, and starting from them works as printed."""
    root = str(tmp_path / 'ck')
    p = start(train_args(aihub_dir, root, 3, '--steps-per-epoch', '400'))
    wait_for(lambda: os.path.isdir(root) and os.listdir(root) and os.path.exists(os.path.join(only_run(root),
                                                                                                 'log.csv')), p)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err[-2000:]
    assert 'nothing to resume' in err and '--resume' not in err
    weights = err.split('--weights ')[1].split()[0]
    assert os.path.exists(weights)
    r = train(*train_args(aihub_dir, str(tmp_path / 'again'), 1), '--weights', weights)
    assert r.returncode == 0 and 'loaded 12 layers from %s' % weights in r.stdout, r.stderr[-2000:]
