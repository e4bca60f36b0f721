"""crnn_reader.Reader, the Python face of reading: the README's snippet as written, readings equal to the
CLI's, pages of a PDF one at a time, and one exception type for bad input, with nothing printed."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from bounds import bound
from helpers import ROOT, run_tool
from crnn_reader import LineReading, Page, ReadError, Reader
from crnn_utils import edit_distance

PAGES = os.path.join(ROOT, 'pages')
LINES = os.path.join(ROOT, 'tests', 'data', 'heldout_lines')


@pytest.fixture(scope='module')
def reader():
    return Reader()


def test_the_readme_python_snippet_runs_as_written():
    readme = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
    [code] = re.findall(r'## Python 에서 읽기.*?```python\n(.*?)```', readme, re.S)
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    truth = json.load(open(os.path.join(PAGES, 'contract_page1.json'), encoding='utf-8'))['text']
    out = r.stdout.splitlines()
    text = out[:next(k for k, line in enumerate(out) if '[[' in line)]  # the page, before its first line's polygon
    words = lambda t: ' '.join(t.split())  # noqa: E731  (a table row is one line here, its cells the truth's lines)
    assert edit_distance(words(truth), words('\n'.join(text))) / len(words(truth)) <= bound('sample_page')
    assert 'printed/00000001.png' in r.stdout and r.stderr.strip() == ''


def test_readings_equal_the_clis(reader, tmp_path):
    """Lines: the bundled held-out lines; a page: the sample page's JSON record."""
    paths = sorted(os.path.join(LINES, 'printed', f) for f in os.listdir(os.path.join(LINES, 'printed')))
    readings = reader.read_lines(paths)
    assert all(isinstance(r, LineReading) and 0 <= r.confidence <= 1 for r in readings)
    r = run_tool('CRNN_predict.py', *paths)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [line.split('\t') for line in r.stdout.splitlines()] == [[x.source, x.text] for x in readings]
    arrays = [np.asarray(Image.open(p)) for p in paths[:3]]
    assert [x.text for x in reader.read_lines(arrays + [Image.open(paths[0])])] == [
        x.text for x in readings[:3]] + [readings[0].text]
    out = str(tmp_path / 'page.json')
    r = run_tool('CRNN_predict.py', '--page', os.path.join(PAGES, 'contract_page1.jpg'), '--output', out)
    assert r.returncode == 0, r.stderr[-2000:]
    page = reader.read_page(os.path.join(PAGES, 'contract_page1.jpg'))
    assert isinstance(page, Page) and [page.record()] == json.load(open(out, encoding='utf-8'))['pages']
    assert page.text.splitlines() == r.stdout.splitlines()


def test_a_pdf_is_read_page_by_page(reader, tmp_path):
    jpg = Image.open(os.path.join(PAGES, 'contract_page2.jpg'))
    pdf = str(tmp_path / 'two.pdf')
    jpg.save(pdf, save_all=True, append_images=[jpg], resolution=150.0)
    pages = reader.read(pdf)
    assert not isinstance(pages, (list, tuple))
    first = next(pages)
    assert (first.source, first.number) == (pdf, 1) and len(first.lines) >= 40
    second = next(pages)
    assert second.number == 2 and second.text == first.text
    assert next(pages, None) is None


def test_bad_input_is_one_read_error_naming_it_and_nothing_is_printed(reader, tmp_path, capsys):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not an image')
    cases = [lambda: reader.read_page(str(tmp_path / 'missing.png')),
             lambda: list(reader.read(str(bad))),
             lambda: list(reader.read(str(tmp_path / 'nothing.pdf'))),
             lambda: reader.read_lines([str(bad)]),
             lambda: reader.read_lines([np.zeros((3, 4, 5, 6))])]
    (tmp_path / 'nothing.pdf').write_bytes(b'%PDF-1.4 broken')
    for case in cases:
        with pytest.raises(ReadError) as e:
            case()
        assert 'bad.png' in str(e.value) or 'missing.png' in str(e.value) or 'nothing.pdf' in str(e.value) \
            or 'shape' in str(e.value)
    assert capsys.readouterr() == ('', '')


def test_files_read_by_two_processes_are_read_as_by_one_in_order(tmp_path):
    """read_files with workers: the pages of a two-page PDF and an image, and an unreadable file between them,
    come back in order, each page as one process reads it; the CLI's --workers 2 prints what one process reads
    (the light candidate, greedy: the quickest to load in three processes)."""
    model = ['--weights', os.path.join(ROOT, 'CRNN_weights_korean_v9light_candidate.h5'),
             '--charset', os.path.join(ROOT, 'CRNN_charset_korean_v9light_candidate.json'), '--no-lm']
    reader = Reader(weights=model[1], charset=model[3], lm=None)
    jpg = Image.open(os.path.join(PAGES, 'contract_page2.jpg'))
    pdf, bad = str(tmp_path / 'two.pdf'), tmp_path / 'bad.png'
    jpg.save(pdf, save_all=True, append_images=[jpg.rotate(90, expand=True)], resolution=150.0)
    bad.write_bytes(b'not an image')
    paths = [pdf, str(bad), os.path.join(PAGES, 'contract_page1.jpg')]
    one, two = (list(reader.read_files(paths, workers, images=False)) for workers in (1, 2))
    assert [(p, type(x).__name__, getattr(x, 'number', None)) for p, x, _ in two] == [
        (pdf, 'Page', 1), (pdf, 'Page', 2), (str(bad), 'ReadError', None), (paths[2], 'Page', 1)]
    assert [(p, x.record() if isinstance(x, Page) else str(x)) for p, x, _ in two] == [
        (p, x.record() if isinstance(x, Page) else str(x)) for p, x, _ in one]
    assert two[1][1].turn == 270 and two[0][1].image is None is one[0][1].image
    r = run_tool('CRNN_predict.py', '--page', '--workers', '2', *model, *paths)
    assert r.returncode == 2 and 'bad.png' in r.stderr and 'turned by 270 degrees' in r.stderr
    assert r.stdout.splitlines() == [line for p, x, _ in one if isinstance(x, Page)
                                     for line in ['# %s page %d' % (p, x.number)] + x.text.splitlines()]
