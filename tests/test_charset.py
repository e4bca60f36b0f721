import numpy as np
import pytest

from crnn_utils import (blank_index, build_charset, char_index, ctc_min_steps, decode, encode_label,
                        greedy_decode, greedy_decode_ids, load_charset, save_charset)


def test_charset_order_and_blank_last():
    cs = build_charset([['나다 가'], ['가나라 12'], 'ABC 마!'])
    assert cs == '나다가라마' + '0123456789' + ' ' + '.,:()[]<>"\'' + 'ABC!' + '_'
    assert blank_index(cs) == len(cs) - 1 and cs[-1] == '_'
    assert build_charset(['가나 1.']) == '가나' + '0123456789' + ' ' + '.,:()[]<>"\'_'  # the original's, for such data


def test_data_this_repo_makes_fits_its_default_charset():
    """No silent label noise: the bundled sample (and utils.synth, which wrote
    it) hold '-', which the original's charset turned into a space."""
    from crnn_gt import GTUtility
    from helpers import ROOT
    from crnn_utils import char_index, encode_label
    gtu = GTUtility(ROOT, types='all', verbose=False)
    index = char_index(build_charset(gtu.text))
    assert any('-' in t for t in gtu.texts())
    assert not [c for t in gtu.texts() for c in encode_label(t, index)[1]]


def test_charset_round_trip(tmp_path):
    cs = build_charset(['계약 "갑"'])
    save_charset(str(tmp_path), cs)
    assert load_charset(str(tmp_path)) == cs
    with pytest.raises(ValueError, match='must end with the CTC blank'):
        save_charset(str(tmp_path / 'x.json'), 'abc')


def test_encode_label_reports_unknown():
    cs = build_charset(['가나'])
    idx = char_index(cs)
    ids, missing = encode_label('가-나_', idx)
    assert missing == ['-', '_']
    assert ids.tolist() == [0, cs.index(' '), 1, cs.index(' ')]
    ids, missing = encode_label('가-나', idx, unknown=None)
    assert ids.tolist() == [0, 1] and missing == ['-']


def test_ctc_min_steps_counts_repeats():
    assert ctc_min_steps([1, 2, 3]) == 3
    assert ctc_min_steps([1, 1, 2, 2, 2]) == 5 + 3
    assert ctc_min_steps([]) == 0


def test_decode_collapses_repeats_and_blanks():
    assert decode(list('__가가_가나__다')) == '가가나다'


def test_greedy_decode_matches_per_frame_decode():
    cs = '가나다_'
    probs = np.zeros((2, 6, 4), np.float32)
    for b, frames in enumerate([[0, 0, 3, 0, 1, 1], [3, 2, 2, 3, 3, 2]]):
        probs[b, np.arange(6), frames] = 1
    assert greedy_decode(probs, cs) == ['가가나', '다다']
    for p, ids in zip(probs, greedy_decode_ids(probs)):
        assert ''.join(cs[i] for i in ids) == decode([cs[i] for i in p.argmax(-1)])
    with pytest.raises(ValueError, match='4 classes but the charset 3'):
        greedy_decode(probs, '가나_')


def test_general_charset_covers_ksx1001_and_documents():
    from crnn_utils import KSX1001_HANGUL, general_charset, normalize_text
    cs = general_charset()
    assert len(cs) == len(set(cs)) == 2602 and blank_index(cs) == 2601
    v3 = general_charset(symbols=False)  # v1-v3's classes: the same indices, the symbols before the blank
    assert len(v3) == 2465 and cs.startswith(v3[:-1]) and set('㈜㎡甲乙Ⅲ⑳㉠ㄱ§℃') <= set(cs)
    assert set(KSX1001_HANGUL) <= set(cs) and set('0123456789AZaz ') <= set(cs)
    assert set('.,:()[]<>"\'-%/~·₩&+') <= set(cs) and cs.count('_') == 1
    assert load_charset('general') == cs
    assert normalize_text('“갑”ㆍ을 ‘병’ ∼ ｢정｣') == '"갑"·을 \'병\' ~ 「정」'
    assert all(c in cs for c in normalize_text('“갑”ㆍ을 ‘병’ ∼ ｢정｣'))
