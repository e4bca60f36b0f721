"""Language models for decoding: the syllable n-gram, its CTC prefix beam search, and Kiwi rescoring."""
import numpy as np
import pytest

from crnn_utils import decode_batch, greedy_decode
from utils.lm import CharLM, lm_beam_search, load_lm


def frames(charset, path, p=0.9):
    """Softmax frames (T, C) that spell ``path`` (one char per frame, '_' the blank) with probability ``p`` each."""
    probs = np.full((len(path), len(charset)), (1 - p) / (len(charset) - 1), np.float32)
    for t, c in enumerate(path):
        probs[t, charset.index(c)] = p
    return probs


def test_probabilities_of_a_context_sum_to_one():
    lm = CharLM.from_texts(['월요일 회의', '월요일 오전', '요일별 일정'], order=3)
    for context in ('', '월', '월요', '없는'):
        total = sum(np.exp(lm.logprob(context, c)) for c in lm.vocabulary)
        assert 0.9 < total <= 1.0 + 1e-9, (context, total)  # the rest is the add-one mass of unseen characters
    assert lm.logprob('월요', '일') > lm.logprob('월요', '회')


def test_beam_search_without_the_lm_reads_what_greedy_reads():
    charset = '가나다라 _'
    probs = frames(charset, '가_가나__다 라')
    lm = CharLM.from_texts(['다른 글'], order=3)
    assert lm_beam_search(probs, charset, lm, alpha=0.0, beta=0.0) == greedy_decode(probs[None], charset)[0]


def test_frames_where_no_class_passes_the_prune_are_passed_over():
    """An untrained model's flat outputs (every class under the prune) read as nothing, between frames that do read."""
    charset = '가나다라 _'
    probs = frames(charset, '_가__나_')
    flat = np.full((3, len(charset)), 1e-4, np.float32)
    lm = CharLM.from_texts(['가나'], order=3)
    assert lm_beam_search(np.concatenate([probs[:3], flat, probs[3:]]), charset, lm, alpha=0.0, beta=0.0) == '가나'


def test_the_lm_settles_a_close_call_between_look_alikes():
    """월요일 and 필요일 look alike: frames that lean to 필 read 월 once the LM has seen 월요일."""
    charset = '월필요일 _'
    probs = frames(charset, '_월_요_일_')
    probs[1, charset.index('월')], probs[1, charset.index('필')] = 0.4, 0.55
    assert greedy_decode(probs[None], charset) == ['필요일']
    lm = CharLM.from_texts(['다음 주 월요일에', '월요일 오전', '매주 월요일'] * 5, order=3)
    assert lm_beam_search(probs, charset, lm) == '월요일'
    assert decode_batch(probs[None], charset, lm=lm, gate=0.6) == ['월요일']


def test_the_lm_reads_only_the_lines_the_recognizer_is_unsure_of():
    """A line whose every frame has a class over the gate keeps its greedy reading; one with a frame under it
    (and only that one, in the same batch) is read with the language model."""
    from utils.lm import GATE, unsure_lines
    charset = '월필요일 _'
    lm = CharLM.from_texts(['다음 주 월요일에', '월요일 오전', '매주 월요일'] * 5, order=3)
    sure, unsure = frames(charset, '_월_요_일_'), frames(charset, '_월_요_일_')
    sure[1, charset.index('월')], sure[1, charset.index('필')] = 1 - GATE - 0.01, GATE + 0.01
    unsure[1, charset.index('월')], unsure[1, charset.index('필')] = GATE - 0.03, GATE - 0.01
    batch = np.stack([sure, unsure])
    assert list(unsure_lines(batch)) == [1]
    assert greedy_decode(batch, charset) == ['필요일', '필요일']
    assert decode_batch(batch, charset, lm=lm) == ['필요일', '월요일']
    assert decode_batch(batch, charset, lm=lm, gate=1.01) == ['월요일', '월요일']


def test_the_repo_lm_is_built_once_cached_and_kept(tmp_path):
    lm = load_lm(cache=str(tmp_path))
    assert len(list(tmp_path.iterdir())) == 1
    assert load_lm(cache=str(tmp_path)) is lm
    load_lm.cache_clear()
    again = load_lm(cache=str(tmp_path))
    assert again.counts == lm.counts and lm.logprob('계약', '서') > lm.logprob('계약', '뷁')


def _two_readings(charset, text, other, position, p_other):
    """Softmax outputs (T, C) that read ``text``, except that at character ``position`` the class of ``other``
    gets ``p_other`` of the frame (the rest going to the true character), with a blank between characters."""
    blank = len(charset) - 1
    rows = []
    for i, c in enumerate(text):
        row = np.full(len(charset), 1e-6, np.float32)
        if i == position:
            row[charset.index(other)] = p_other
            row[charset.index(c)] = 1.0 - p_other
        else:
            row[charset.index(c)] = 1.0
        rows.append(row / row.sum())
        gap = np.full(len(charset), 1e-6, np.float32)
        gap[blank] = 1.0
        rows.append(gap / gap.sum())
    return np.stack(rows)


def test_ctc_nbest_ranks_readings_by_their_ctc_probability():
    from crnn_utils import general_charset
    from utils.lm import ctc_nbest
    charset = general_charset()
    probs = _two_readings(charset, '가맹본부는', '명', 1, 0.55)
    nbest = ctc_nbest(probs, charset)
    assert [t for t, _ in nbest[:2]] == ['가명본부는', '가맹본부는']
    assert nbest[0][1] > nbest[1][1] and np.isclose(nbest[0][1] - nbest[1][1], np.log(0.55 / 0.45), atol=1e-3)


def test_kiwi_rescoring_reads_korean_where_the_image_is_unsure_and_leaves_confident_lines():
    from crnn_utils import decode_batch, general_charset, greedy_decode
    charset = general_charset()
    unsure = _two_readings(charset, '가맹본부는', '명', 1, 0.55)  # the image leans a little to the wrong syllable
    sure = _two_readings(charset, '가맹본부는', '명', 1, 0.01)
    assert greedy_decode(unsure[None], charset) == ['가명본부는']
    assert decode_batch(np.stack([unsure, sure]), charset, lm='kiwi') == ['가맹본부는', '가맹본부는']
    # a confident reading is never changed, even one Kiwi would not prefer
    wrong_but_sure = _two_readings(charset, '가명본부는', '맹', 1, 0.01)
    assert decode_batch(wrong_but_sure[None], charset, lm='kiwi') == ['가명본부는']


def test_language_models_by_name():
    from utils.lm import DEFAULT_LM, LANGUAGE_MODELS, CharLM, language_model
    assert DEFAULT_LM in LANGUAGE_MODELS
    lm = CharLM.from_texts(['가나'], 2)
    assert language_model(lm) is lm
    with pytest.raises(ValueError, match="unknown language model 'gpt'"):
        language_model('gpt')
