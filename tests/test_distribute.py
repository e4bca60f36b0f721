"""tf.distribute training: MirroredStrategy on two logical CPU devices and
MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1, each
checked against single-device training on the same batches."""
import concurrent.futures
import csv
import json
import os
import socket

import numpy as np
import pytest

from helpers import ORIGINAL_SPEED, only_run, run_tool, start_tool
from crnn_data import GTUtility, InputGenerator
from crnn_utils import build_charset

RUN_FILES = {'args.json', 'charset.json', 'history.csv', 'log.csv', 'weights.001.h5', 'weights.002.h5',
             'final_weights.h5', 'model.h5', 'loss.png', 'resume.h5'}
# global batch 8 in every run: 8 x 1 device, 4 x 2 CPU devices, 4 x 2 workers
COMMON = ['--epochs', '2', '--steps-per-epoch', '2', '--validation-steps', '1', '--metrics-steps', '1',
          '--workers', '1'] + ORIGINAL_SPEED


def train(data, root, *extra, **kw):
    return run_tool('CRNN_training.py', '--data-dir', data, '--checkpoint-root', root, *COMMON, *extra, **kw)


run_folder = only_run


def losses(run):
    with open(os.path.join(run, 'log.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r['loss']) for r in rows]), np.array([float(r['lr']) for r in rows])


@pytest.fixture(scope='module')
def single_device(tmp_path_factory):
    """The reference: one device, batch 8, lr 0.003 (large enough that clipping per replica would show)."""
    from helpers import SENTENCES, write_aihub
    data = str(tmp_path_factory.mktemp('data'))
    write_aihub(data, [('%08d' % (i + 1), t, '문장', True) for i, t in enumerate(SENTENCES)])
    root = str(tmp_path_factory.mktemp('single'))
    r = train(data, root, '--batch-size', '8', '--lr', '0.003')
    assert r.returncode == 0, r.stderr[-3000:]
    return data, run_folder(root)


def test_replica_slices_make_up_the_global_batch(aihub_dir):
    gtu = GTUtility(aihub_dir)
    seq = InputGenerator(gtu, 8, build_charset(gtu.text), (256, 32), verbose=False).generate()
    whole, _ = seq.batch(5, with_source_str=False)
    parts = [seq.batch(5, with_source_str=False, part=(p, 2))[0] for p in range(2)]
    for key in whole:
        np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), whole[key])
    assert len(parts[0]['image_input']) == 4


@pytest.mark.xdist_group('single_device')
def test_mirrored_on_two_cpu_devices_matches_one_device(single_device, tmp_path):
    data, reference = single_device
    root = str(tmp_path / 'mirrored')
    r = train(data, root, '--strategy', 'mirrored', '--cpu-devices', '2', '--batch-size', '4', '--lr', '0.003')
    assert r.returncode == 0, r.stderr[-3000:]
    assert '2 replicas: global batch 8' in r.stdout
    run = run_folder(root)
    assert RUN_FILES <= set(os.listdir(run))
    loss, lr = losses(run)
    ref_loss, ref_lr = losses(reference)
    assert len(loss) == 4
    # same batches, batch norm over both replicas, clipping after the all-reduce: the curves agree
    np.testing.assert_allclose(loss, ref_loss, rtol=3e-3)
    np.testing.assert_allclose(lr, ref_lr, rtol=1e-6)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(('127.0.0.1', 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run_workers(args, tmp, count=2, attempts=3):
    """``count`` CRNN_training.py processes forming a cluster on 127.0.0.1; their (stdout, stderr). The free
    ports are closed before the workers bind them, so another process can take one in between: then the
    cluster is started again on new ports (a worker that fails ends the others at once, not at the timeout)."""
    for attempt in range(attempts):
        cluster = {'worker': ['127.0.0.1:%d' % p for p in free_ports(count)]}
        procs = [start_tool('CRNN_training.py', *args, env=dict(TMPDIR=str(tmp), TF_CONFIG=json.dumps(
            {'cluster': cluster, 'task': {'type': 'worker', 'index': i}}))) for i in range(count)]
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            try:
                outs = [pool.submit(p.communicate, timeout=240) for p in procs]
                for done in concurrent.futures.as_completed(outs):
                    if done.exception() or any(p.returncode for p in procs):
                        break
            finally:
                for p in procs:
                    p.kill()
            outs = [o.result() if not o.exception() else ('', repr(o.exception())) for o in outs]
        clash = any(p.returncode and 'Address already in use' in err for p, (_, err) in zip(procs, outs))
        if not (clash and attempt + 1 < attempts):
            break
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    return outs


@pytest.mark.slow
@pytest.mark.xdist_group('single_device')
def test_two_workers_on_localhost_train_like_one_device_and_resume(single_device, tmp_path):
    """Epoch 1 on a two-worker cluster, then both workers resume for epoch 2:
    together the same loss curve as the uninterrupted single-device run."""
    data, reference = single_device
    root, tmp = str(tmp_path / 'checkpoints'), tmp_path / 'tmp'
    tmp.mkdir()
    # lr 0.0015 scaled by 2 replicas is the reference's 0.003
    outs = run_workers(['--data-dir', data, '--checkpoint-root', root] + COMMON + [
        '--strategy', 'multiworker', '--batch-size', '4', '--lr', '0.0015', '--scale-lr', '--epochs', '1'], tmp)
    assert 'run folder:' in outs[0][0] and 'run folder:' not in outs[1][0]
    run = run_folder(root)  # the chief's only: worker 1 wrote nothing there
    assert RUN_FILES - {'weights.002.h5'} <= set(os.listdir(run))
    assert json.load(open(os.path.join(run, 'args.json')))['strategy'] == 'multiworker'
    assert os.listdir(tmp) == []  # worker 1's private folder is gone

    # both workers read the chief's folder (a shared disk here) and go on; only the chief writes
    outs = run_workers(['--resume', run, '--epochs', '2'], tmp)
    assert all('resuming after epoch 1' in out for out, _ in outs)
    assert run_folder(root) == run and RUN_FILES <= set(os.listdir(run)) and os.listdir(tmp) == []
    with open(os.path.join(run, 'log.csv'), newline='') as f:
        assert [(int(r['iteration']), int(r['epoch'])) for r in csv.DictReader(f)] == [(1, 0), (2, 0), (3, 1), (4, 1)]
    loss, lr = losses(run)
    ref_loss, ref_lr = losses(reference)
    np.testing.assert_allclose(lr, ref_lr, rtol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=3e-3)


@pytest.mark.parametrize('extra, tf_config, message', [
    (['--strategy', 'multiworker'], None, '--strategy multiworker needs TF_CONFIG'),
    (['--strategy', 'multiworker'], '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
     'TF_CONFIG is not a usable cluster description (IndexError: task index 3, but 1 worker hosts)'),
    (['--cpu-devices', '2'], None, '--cpu-devices needs --strategy mirrored'),
])
def test_strategy_mistakes_are_one_line_errors(aihub_dir, tmp_path, extra, tf_config, message):
    r = run_tool('CRNN_training.py', '--data-dir', aihub_dir, '--checkpoint-root', tmp_path / 'c', *extra,
                 env=dict(TF_CONFIG=tf_config), timeout=120)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith('error: ' + message), r.stderr[-2000:]
    assert not os.path.exists(tmp_path / 'c')


def test_a_keras_json_that_chose_jax_does_not_switch_the_tools(aihub_dir, tmp_path):
    """A keras.json left by another project (backend jax) and no KERAS_BACKEND: still TensorFlow."""
    home = tmp_path / 'keras_home'
    home.mkdir()
    (home / 'keras.json').write_text('{"backend": "jax"}')
    r = run_tool('CRNN_training.py', '--data-dir', aihub_dir, '--checkpoint-root', tmp_path / 'c',
                 '--strategy', 'multiworker', env=dict(KERAS_HOME=str(home), KERAS_BACKEND=None, TF_CONFIG=None),
                 timeout=120)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith(
        'error: --strategy multiworker needs TF_CONFIG'), r.stderr[-2000:]


def test_a_keras_without_the_replaced_hooks_is_a_clear_error():
    from utils.train.distribute import _private_hook
    with pytest.raises(RuntimeError, match=r'Keras .* has no object\._clip_gradients'):
        _private_hook(object(), '_clip_gradients')
