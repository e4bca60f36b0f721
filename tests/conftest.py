"""Fixtures; the shared helpers are in helpers.py (import them from there)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
# The suite tests the TensorFlow toolkit even where the machine's environment or keras.json picks another
# backend; the tests of other backends set KERAS_BACKEND for their own subprocesses.
os.environ['KERAS_BACKEND'] = 'tensorflow'
os.environ.setdefault('MPLBACKEND', 'Agg')

from helpers import SENTENCES, run_tool, write_aihub  # noqa: E402


@pytest.fixture
def aihub_dir(tmp_path):
    """10 sentences, 2 words, 1 syllable, 2 sentences without image files."""
    entries = [('%08d' % (i + 1), t, '문장', True) for i, t in enumerate(SENTENCES)]
    entries += [('00000101', '계약서', '단어(어절)', True), ('00000102', '갑', '글자(음절)', True),
                ('00000103', '날인', '단어(어절)', True),
                ('00000201', '없는 파일', '문장', False), ('00000202', '사라진 이미지', '문장', False)]
    write_aihub(str(tmp_path), entries)
    return str(tmp_path)


@pytest.fixture(scope='session')
def small_model():
    """The real default CRNN at 256x32 with a small charset (built once)."""
    from crnn_model import CRNN
    return CRNN((256, 32, 1), 40)


@pytest.fixture
def cli():
    """The shared runner of the repo's command-line tools: cli('CRNN_predict.py', args...)."""
    return run_tool
