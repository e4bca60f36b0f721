"""Bad data met during training: corrupt and unreadable images, images without annotation, unreadable folders."""
import json
import os
import subprocess
import sys

import pytest

from crnn_data import DataError, GTUtility, InputGenerator
from crnn_utils import build_charset
from helpers import ROOT, SENTENCES, write_aihub


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


def test_unreadable_image_folder_is_named(aihub_dir):
    """Read in a child process; as root, one without the capabilities that let root read any folder
    (util-linux's setpriv), so the test runs on CI machines that run as root."""
    folder = os.path.join(aihub_dir, 'printed')
    drop = (['setpriv', '--bounding-set', '-dac_override,-dac_read_search']
            if hasattr(os, 'geteuid') and os.geteuid() == 0 else [])
    os.chmod(folder, 0)
    try:
        r = subprocess.run(drop + [sys.executable, '-c', 'import sys; from crnn_gt import GTUtility; '
                                   'GTUtility(sys.argv[1])', aihub_dir], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    finally:
        os.chmod(folder, 0o755)
    assert r.returncode == 1 and 'DataError' in r.stderr and 'cannot be read' in r.stderr, r.stderr[-2000:]
