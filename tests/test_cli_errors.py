"""Bad input to the reading tools: one clear line naming what is wrong, a non-zero exit, nothing written."""
import os

import pytest

from helpers import ROOT, run_tool

LINE = os.path.join(ROOT, 'printed', '00000001.png')


def last_error(r):
    assert 'Traceback' not in r.stderr, r.stderr[-2000:]
    return r.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize('args, message', [
    ([], 'error: give image files/folders, --data-dir to evaluate, or --export DIR'),
    (['--width', 'wide', LINE], "argument --width: give 'any' or a width in pixels (>= 16), not 'wide'"),
    (['--width', '8', LINE], "argument --width: give 'any' or a width in pixels (>= 16), not '8'"),
    (['--page', '--workers', '0', LINE], "argument --workers: give 'auto' or a number of processes (>= 1), not '0'"),
])
def test_predict_without_inputs_or_with_a_bad_width(args, message):
    r = run_tool('CRNN_predict.py', *args)
    assert r.returncode == 2 and last_error(r).endswith(message) and not r.stdout


def test_predict_on_an_empty_folder(tmp_path):
    r = run_tool('CRNN_predict.py', str(tmp_path))
    assert r.returncode == 2 and last_error(r) == (
        'error: no images (.png/.jpg/.jpeg/.bmp/.tif/.tiff) in folder %s' % tmp_path)


def test_weights_and_a_charset_that_do_not_match(tmp_path):
    out = tmp_path / 'read.txt'
    r = run_tool('CRNN_predict.py', '--weights', 'CRNN_weights_korean_v8.h5', '--charset',
                 'CRNN_charset_korean_v9light_candidate.json', LINE, '--output', out)
    assert r.returncode == 2 and last_error(r) == (
        'error: CRNN_weights_korean_v8.h5 reads 2602 classes but the charset '
        'CRNN_charset_korean_v9light_candidate.json has 3572: give the charset the weights were trained with')
    assert not out.exists()


def test_an_encrypted_pdf_names_the_file_and_the_password(tmp_path):
    import pikepdf  # requirements-dev.txt
    from PIL import Image
    plain, locked = str(tmp_path / 'plain.pdf'), str(tmp_path / 'locked.pdf')
    Image.open(os.path.join(ROOT, 'pages', 'contract_page1.jpg')).save(plain, resolution=150.0)
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user='secret', owner='owner'))
    out = tmp_path / 'page.json'
    r = run_tool('CRNN_predict.py', '--page', locked, '--output', out)
    assert r.returncode == 2 and not out.exists()
    assert last_error(r) == 'error: %s: the PDF is encrypted (it needs a password): decrypt it first' % locked


def test_labels_of_an_empty_label_file(tmp_path):
    labels = tmp_path / 'labels.txt'
    labels.write_text('', encoding='utf-8')
    out = tmp_path / 'data'
    r = run_tool('CRNN_labels.py', labels, '--out', out)
    assert r.returncode == 2 and last_error(r) == 'error: %s: no labelled images' % labels
    assert not out.exists()
