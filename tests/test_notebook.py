"""Runs CRNN_train_test.ipynb top to bottom in a real Jupyter kernel on the bundled data."""
import os

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import ROOT
from bounds import bound

pytestmark = pytest.mark.slow

QUICK = """data_path = {root!r}
weights_path = {root!r} + '/CRNN_weights_korean_v8.h5'
epochs = 2
steps_per_epoch = 2
validation_steps = 1
batch_size = 8
experiment = 'nbtest'"""


def quick_notebook(root=ROOT):
    """The notebook with a cell after the parameters cell that sets a quick run."""
    nb = nbformat.read(os.path.join(root, 'CRNN_train_test.ipynb'), as_version=4)
    [pos] = [i for i, c in enumerate(nb.cells) if 'parameters' in c.metadata.get('tags', [])]
    nb.cells.insert(pos + 1, nbformat.v4.new_code_cell(QUICK.format(root=root), metadata={'tags': ['injected']}))
    return nb


def outputs_of(nb, marker):
    [cell] = [c for c in nb.cells if c.cell_type == 'code' and marker in c.source]
    return cell.outputs


def test_notebook_runs_and_shows_results(tmp_path, monkeypatch):
    monkeypatch.setenv('PYTHONPATH', ROOT)
    monkeypatch.setenv('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    nb = quick_notebook()
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if o.output_type == 'error']
    assert not errors
    assert any('image/png' in o.get('data', {}) for o in outputs_of(nb, "label='Training loss'"))
    assert any('image/png' in o.get('data', {}) for o in outputs_of(nb, 'plot_augmentations(sample_path'))
    test_out = outputs_of(nb, 'mean_ed_norm = ')
    text = ''.join(o.get('text', '') for o in test_out if o.output_type == 'stream')
    assert 'GT' in text and 'RT' in text and 'mean ed_norm' in text and len(text.splitlines()) == 8 + 2
    assert any('image/png' in o.get('data', {}) for o in test_out)
    heldout = ''.join(o.get('text', '') for o in outputs_of(nb, 'heldout = GTUtility') if o.output_type == 'stream')
    cer = float(heldout.split('CER ')[1].split()[0])
    assert cer <= bound('heldout_lines', extra=3), heldout  # the shipped weights, after two training steps
    light = ''.join(o.get('text', '') for o in outputs_of(nb, 'light_texts = ') if o.output_type == 'stream')
    assert float(light.split('CER ')[1].split()[0]) <= bound('heldout_lines_light'), light
    [run] = os.listdir(tmp_path / 'checkpoints')
    files = set(os.listdir(tmp_path / 'checkpoints' / run))
    assert {'source.py', 'charset.json', 'history.csv', 'log.csv', 'weights.002.h5', 'model.h5',
            'final_weights.h5', 'loss.png'} <= files
