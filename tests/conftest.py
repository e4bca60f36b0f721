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
# Built files (ONNX graphs, the language model) in a cache of the tests' own, never the user's ~/.cache/ocr_crnn
os.environ['OCR_CRNN_CACHE'] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                            '.pytest_cache', 'ocr_crnn')

from hypothesis import settings  # noqa: E402

from helpers import SENTENCES, run_tool, write_aihub  # noqa: E402

# property tests draw the same examples on every run and machine (each test's own @settings keep this)
settings.register_profile('deterministic', derandomize=True, database=None)
settings.load_profile('deterministic')


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
