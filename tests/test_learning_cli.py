"""Learning through the command line: CRNN_training.py as a user runs it, not a loop of the test's own.

The fine-tuning case teaches the shipped model a character it has no class for (金, a hanja that contracts print
in amounts): the charset is extended, the classifier grows, the run trains, and CRNN_predict.py then reads the
new character in lines it never trained on. A pipeline that shifts labels, loses the new class when saving,
or decodes through the wrong charset cannot pass. The README's first command runs as written (with steps capped),
and --time-limit ends a run with its weights.
"""
import csv
import os
import random
import re

import pytest

from helpers import ORIGINAL_SPEED, ROOT, only_run, render_line, run_tool, write_aihub
from crnn_utils import edit_distance, load_charset

NEW = '金'
WORDS = ['금액', '계약금', '잔금', '대금', '보증금', '총액', '지급액', '월세', '이자', '위약금', '수수료', '합계']
FORMS = ['{w} 金 {n}원', '金 {n}원 {w}', '{w}(金)', '{w} 金{n}원']
# frozen: the convolutions (the classifier, both BiLSTMs learn); half a minute of training on 2 cores
CONV = 'conv1_1,conv2_1,conv3_1,conv3_2,conv4_1,batchnorm1,conv5_1,batchnorm2,conv6_1'


def amount_lines(count, seed):
    rng = random.Random(seed)
    return [rng.choice(FORMS).format(w=rng.choice(WORDS), n=rng.randint(1, 999) * 100) for _ in range(count)]


def history(run):
    with open(os.path.join(run, 'history.csv'), newline='') as f:
        return list(csv.DictReader(f))


def readings(stdout):
    return dict(line.split('\t', 1) for line in stdout.splitlines() if '\t' in line)


@pytest.fixture(scope='module')
def unseen_lines(tmp_path_factory):
    """{image path: text} of lines with the new character, of texts the training never sees."""
    folder = tmp_path_factory.mktemp('unseen')
    lines = {}
    for i, text in enumerate(amount_lines(6, seed=2)):
        path = str(folder / ('%d.png' % i))
        render_line(path, text, size=26)
        lines[path] = text
    return lines


def test_finetuning_with_extend_charset_learns_a_new_character(tmp_path, unseen_lines):
    assert NEW not in load_charset(os.path.join(ROOT, 'CRNN_charset_korean_v8.json'))
    before = run_tool('CRNN_predict.py', '--no-lm', *unseen_lines)
    assert before.returncode == 0, before.stderr[-2000:]
    assert not any(NEW in text for text in readings(before.stdout).values())

    data = str(tmp_path / 'data')
    write_aihub(data, [('%08d' % (i + 1), t, '문장', True) for i, t in enumerate(amount_lines(40, seed=1))])
    root = str(tmp_path / 'runs')
    r = run_tool('CRNN_training.py', *ORIGINAL_SPEED, '--data-dir', data,
                 '--weights', 'CRNN_weights_korean_v8.h5', '--charset', 'CRNN_charset_korean_v8.json',
                 '--extend-charset', '--freeze', CONV, '--optimizer', 'adam', '--lr', '1e-3', '--batch-size', '8',
                 '--steps-per-epoch', '4', '--epochs', '3', '--split', '0.8', '--random-split',
                 '--metrics-steps', '1', '--seed', '1', '--checkpoint-root', root)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'charset extended by 1 characters: %s' % NEW in r.stdout
    rows = history(only_run(root))
    losses = [float(row['loss']) for row in rows]
    assert losses[-1] < losses[0] / 3, losses  # measured: 0.89 -> 0.02 on this machine
    assert float(rows[-1]['val_cer']) <= 0.02, rows[-1]  # 8 validation lines with the new character

    after = run_tool('CRNN_predict.py', '--no-lm', '--run', only_run(root), *unseen_lines)
    assert after.returncode == 0, after.stderr[-2000:]
    read = readings(after.stdout)
    assert all(NEW in read[path] for path in unseen_lines), read
    errors = sum(edit_distance(text, read[path]) for path, text in unseen_lines.items())
    assert errors <= 2, read


def readme_training_command():
    """The README's first command's training part: `python CRNN_training.py ...` after the install."""
    text = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
    [line] = [line for line in text.splitlines() if line.startswith('python3 -m venv')]
    command = line.split('&& python CRNN_training.py ')[1].split()
    assert command == ['--weights', 'CRNN_weights_korean_v8.h5', '--epochs', '3'], command
    return command


def test_the_readme_training_command_runs_as_written(tmp_path):
    """README command 1 on the bundled data, only its steps capped and its run folder in a temporary place:
    the shipped model fine-tunes, records three epochs and still reads the bundled validation lines."""
    root = str(tmp_path / 'checkpoints')
    r = run_tool('CRNN_training.py', *readme_training_command(), '--steps-per-epoch', '1', '--validation-steps', '1',
                 '--metrics-steps', '1', '--checkpoint-root', root, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'loaded 12 layers from CRNN_weights_korean_v8.h5' in r.stdout
    rows = history(only_run(root))
    assert [row['epoch'] for row in rows] == ['1', '2', '3']
    assert all(float(row['val_cer']) <= 0.05 for row in rows), rows  # v8 reads the bundled lines
    assert re.search(r'^  read lines: +python CRNN_predict.py --run ', r.stdout, re.M)


def test_time_limit_ends_the_running_epoch_and_keeps_its_weights(aihub_dir, tmp_path):
    root = str(tmp_path / 'ck')
    r = run_tool('CRNN_training.py', *ORIGINAL_SPEED, '--data-dir', aihub_dir, '--epochs', '1000',
                 '--steps-per-epoch', '100000', '--batch-size', '2', '--validation-steps', '1', '--metrics-steps', '0',
                 '--time-limit', '0.05', '--checkpoint-root', root)
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r'time limit of 0.05 minutes reached: this epoch ends after batch \d+', r.stdout), r.stdout
    run = only_run(root)
    assert [row['epoch'] for row in history(run)] == ['1']
    assert {'weights.001.h5', 'final_weights.h5', 'resume.h5'} <= set(os.listdir(run))
