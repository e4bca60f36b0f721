import hashlib
import json
import os

import numpy as np
import pytest

from helpers import ROOT, run_tool
from test_page import needs_fonts, needs_libreoffice
from crnn_data import GTUtility
from crnn_lines import read_image
from utils.synth.lines import BUNDLED_FONT, Renderer, SampleMaker, font_coverage, generate, typeset
from utils.synth.text import KSX1001_HANGUL, TextSource


def make(out, count=24, seed=3, append=False, workers=1, kinds=(('문장', 0.8), ('단어(어절)', 0.1), ('글자(음절)', 0.1)),
         source=(('contract', 0.5), ('random', 0.5)), lines=None, drop=0, look_alikes=0.0, wide_spaces=0.0):
    renderer = Renderer([BUNDLED_FONT], distortions={'blur': 0.3, 'noise': 0.3, 'rotate': 0.2, 'jpeg': 0.2,
                                                     'perspective': 0.2, 'rules': 0.2})
    maker = SampleMaker(seed, kinds, TextSource(source, lines), renderer, look_alikes, wide_spaces)
    return generate(str(out), count, maker, append=append, drop_images=drop, workers=workers, progress=False)


def digest(folder):
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            h.update(f.encode())
            h.update(open(os.path.join(root, f), 'rb').read())
    return h.hexdigest()


def test_ksx1001_has_2350_syllables():
    assert len(KSX1001_HANGUL) == 2350 and '가' in KSX1001_HANGUL and '똠' not in KSX1001_HANGUL


def test_gtutility_reads_what_the_generator_writes(tmp_path):
    stats = make(tmp_path, drop=2)
    gt = json.load(open(tmp_path / 'korean_printed_sentence.json', encoding='utf-8'))
    assert set(gt) == {'info', 'images', 'annotations', 'licenses'}
    assert [i['id'] for i in gt['images']] == ['%08d' % k for k in range(1, 25)]
    assert all(a['image_id'] == a['id'] and set(a['attributes']) == {'font', 'type', 'is_aug'}
               for a in gt['annotations'])
    assert any(a['attributes']['is_aug'] for a in gt['annotations'])
    gtu = GTUtility(str(tmp_path), types='all')
    assert gtu.num_samples == 22 == stats['total'] - stats['missing_image']
    for name, (w, h) in zip(gtu.image_names, gtu.image_sizes):
        assert read_image(os.path.join(gtu.image_path, name)).shape == (h, w)


def test_same_seed_same_bytes_in_any_number_of_processes(tmp_path):
    make(tmp_path / 'a', workers=1)
    make(tmp_path / 'b', workers=2)
    make(tmp_path / 'c', seed=4)
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b') != digest(tmp_path / 'c')


def test_append_keeps_ids_unique(tmp_path):
    make(tmp_path, count=5)
    with pytest.raises(ValueError, match='--append'):
        make(tmp_path, count=5)
    make(tmp_path, count=7, seed=9, append=True)
    gt = json.load(open(tmp_path / 'korean_printed_sentence.json', encoding='utf-8'))
    ids = [i['id'] for i in gt['images']]
    assert len(ids) == len(set(ids)) == 12 and ids[-1] == '00000012'
    assert len(os.listdir(tmp_path / 'printed')) == 12


def test_text_a_font_lacks_is_never_drawn(tmp_path):
    cov = font_coverage(BUNDLED_FONT)
    assert ord('가') in cov and ord('ก') not in cov  # no Thai in NanumBarunGothic
    lines = ['ก 계약', '계약서 제1조']
    stats = make(tmp_path, count=10, source=(('file', 1.0),), lines=lines, kinds=(('문장', 1.0),))
    assert stats['redrawn_for_font'] > 0
    gt = json.load(open(tmp_path / 'korean_printed_sentence.json', encoding='utf-8'))
    assert {a['text'] for a in gt['annotations']} == {'계약서 제1조'}


def test_lines_drawn_typeset_or_justified_are_labelled_with_the_charsets_characters(tmp_path):
    cov = font_coverage(BUNDLED_FONT)
    rng = np.random.default_rng(0)
    assert typeset("(이하 '갑'이라 한다)", cov, rng) == '(이하 \u2018갑\u2019이라 한다)'
    assert typeset('"11년도 예산"', cov, rng) == '\u201c11년도 예산\u201d'
    dots = typeset('가·나·다 1~2', cov, rng)
    assert dots[1] == dots[3] != '·' and dots[7] != '~' and dots[::2] == '가나다12' and dots[5] == ' '
    assert typeset('가 나', cov, rng) == '가 나'
    assert typeset("a'b", frozenset(map(ord, "a'b")), rng) == "a'b"  # a font without the curled quote
    lines = ["'갑'·'을' 계약"]
    for name, shares in (('plain', (0, 0)), ('typeset', (1, 0)), ('justified', (0, 1))):
        make(tmp_path / name, count=3, source=(('file', 1.0),), lines=lines, kinds=(('문장', 1.0),), look_alikes=shares[0],
             wide_spaces=shares[1])
        gt = json.load(open(tmp_path / name / 'korean_printed_sentence.json', encoding='utf-8'))
        assert [a['text'] for a in gt['annotations']] == lines * 3
    for k in range(1, 4):
        plain, drawn, wide = (read_image(str(tmp_path / name / 'printed' / ('%08d.png' % k)))
                              for name in ('plain', 'typeset', 'justified'))
        assert plain.shape != drawn.shape or (plain != drawn).any()
        assert wide.shape[0] == plain.shape[0] and wide.shape[1] > plain.shape[1]  # same size and padding, wider gaps


def test_cli_smoke(tmp_path):
    text = tmp_path / 'lines.txt'
    text.write_text('갑은 을에게 지급한다\n계약 기간\n', encoding='utf-8')
    r = run_tool('-m utils.synth', '--out', tmp_path / 'ds', '--count', 6, '--source', 'file', '--text-file', text,
                 '--no-system-fonts', '--workers', 2, '--no-progress', timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'wrote' in r.stdout and '6 entries' in r.stdout
    r = run_tool('-m utils.synth', '--out', tmp_path / 'ds', '--count', 1, '--source', 'nope', timeout=60)
    assert r.returncode == 2 and "unknown text source 'nope'" in r.stderr
    r = run_tool('-m utils.synth', '--out', tmp_path / 'ds2', '--count', 1, '--source', 'words', '--dictionary',
                 tmp_path / 'none.dic', timeout=60)
    assert r.returncode == 2 and 'none.dic not found' in r.stderr and 'hunspell-ko' in r.stderr
    assert not (tmp_path / 'ds2').exists()


def test_bundled_sample_is_consistent():
    gt = json.load(open(os.path.join(ROOT, 'korean_printed_sentence.json'), encoding='utf-8'))
    images = {i['id']: i for i in gt['images']}
    present = set(os.listdir(os.path.join(ROOT, 'printed')))
    kinds = {a['attributes']['type'] for a in gt['annotations']}
    assert kinds == {'문장', '단어(어절)', '글자(음절)'}
    sentences = [a for a in gt['annotations'] if a['attributes']['type'] == '문장']
    missing = [a for a in sentences if images[a['image_id']]['file_name'] not in present]
    assert 950 <= len(sentences) - len(missing) <= 1100 and 0 < len(missing) < 20
    for a in gt['annotations']:
        img = images[a['image_id']]
        if img['file_name'] in present:
            h, w = read_image(os.path.join(ROOT, 'printed', img['file_name'])).shape
            assert (w, h) == (img['width'], img['height']), img['file_name']
    widths = np.array([32 * images[a['image_id']]['width'] / images[a['image_id']]['height'] for a in sentences])
    assert np.mean(widths <= 256) >= 0.9


def test_text_sources_aim_at_the_length_range():
    from utils.synth.text import make_rng
    src = TextSource((('corpus', 1), ('manual', 1), ('numbers', 1), ('random', 1)), max_chars=30, min_chars=2)
    drawn = [src.draw(make_rng(5, k), k) for k in range(300)]
    assert {name for _, name in drawn} == {'corpus', 'manual', 'numbers', 'random'}
    lengths = [len(t) for t, _ in drawn]
    assert max(lengths) <= 30 and min(lengths) >= 1 and np.mean(lengths) > 8
    assert any(c.isdigit() for t, n in drawn if n == 'numbers' for c in t)
    assert drawn == [src.draw(make_rng(5, k), k) for k in range(300)]
    with pytest.raises(ValueError, match='need 1 <= min <= max'):
        TextSource(max_chars=3, min_chars=5)


def test_symbols_source_draws_every_document_mark_about_as_often():
    """'symbols': running text with marks of crnn_utils.SYMBOLS drawn uniformly, so the rare enumerators
    (⑰, ㉳, ⅷ) come up about as often as ①; the 'marks' source draws them by family and misses some."""
    from collections import Counter
    from crnn_utils import SYMBOLS
    from utils.synth.text import make_rng
    counts = {}
    for name in ('symbols', 'marks'):
        src = TextSource(((name, 1),), max_chars=30, min_chars=6)
        texts = [src.draw(make_rng(3, k), k)[0] for k in range(1500)]
        counts[name] = Counter(c for t in texts for c in t if c in SYMBOLS)
    rarest = {name: min(c[m] for m in SYMBOLS) / (sum(c.values()) / len(SYMBOLS)) for name, c in counts.items()}
    assert rarest['symbols'] > 0.25 and rarest['marks'] == 0


def test_words_source_draws_whole_dictionary_words(tmp_path):
    import unicodedata
    from utils.synth.text import make_rng, read_dictionary
    # hunspell-ko's layout: a count line, then word/flags, stored as jamo (NFD); '똠' is not KS X 1001, '1루' not Hangul
    entries = ['결혼/12', '결혼식', '혼인/3', '계약서', '똠방각하', '1루']
    dic = tmp_path / 'ko.dic'
    dic.write_text('\n'.join([str(len(entries))] + [unicodedata.normalize('NFD', e) for e in entries]) + '\n',
                   encoding='utf-8')
    assert read_dictionary(str(dic)) == ['결혼', '결혼식', '혼인', '계약서']
    src = TextSource((('words', 1),), max_chars=12, min_chars=4, dictionary=str(dic))
    drawn = [src.draw(make_rng(9, k), k) for k in range(200)]
    lengths = [len(t) for t, _ in drawn]
    assert max(lengths) <= 12 and min(lengths) >= 2 and np.mean(lengths) > 6
    assert {w for t, _ in drawn for w in t.split()} == {'결혼', '결혼식', '혼인', '계약서'}
    assert drawn == [src.draw(make_rng(9, k), k) for k in range(200)]
    (tmp_path / 'digits.dic').write_text('1\n1루\n', encoding='utf-8')
    with pytest.raises(ValueError, match='digits.dic has no word of KS X 1001'):
        TextSource((('words', 1),), dictionary=str(tmp_path / 'digits.dic'))
    with pytest.raises(ValueError, match='missing.dic not found'):
        TextSource((('words', 1), ('random', 1)), dictionary=str(tmp_path / 'missing.dic'))


def test_confusable_source_sets_words_beside_one_jamo_twins(tmp_path):
    from crnn_utils import KSX1001_HANGUL, compose_syllable as compose, jamo as decompose
    from utils.synth.confusable import CONFUSABLE_PAIRS, twins
    from utils.synth.text import make_rng
    assert decompose('값') == ('ㄱ', 'ㅏ', 'ㅄ') and compose('ㄱ', 'ㅏ', 'ㅄ') == '값' and compose('ㅎ', 'ㅗ', 'ㄴ') == '혼'
    assert set(twins('혼')) == {'온', '훈', '흔'} and twins('A') == []
    pairs = {frozenset(p) for p in CONFUSABLE_PAIRS}
    for c in KSX1001_HANGUL[::7]:
        for t in twins(c):
            assert t in KSX1001_HANGUL
            assert [frozenset((a, b)) for a, b in zip(decompose(c), decompose(t)) if a != b][0] in pairs
    words = ['결혼', '계약서', '혼인', '정산']
    dic = tmp_path / 'ko.dic'
    dic.write_text('%d\n%s\n' % (len(words), '\n'.join(words)), encoding='utf-8')
    src = TextSource((('confusable', 1),), max_chars=20, min_chars=4, dictionary=str(dic))
    drawn = [src.draw(make_rng(3, k), k)[0] for k in range(200)]
    assert drawn == [src.draw(make_rng(3, k), k)[0] for k in range(200)]
    assert max(map(len, drawn)) <= 20 and all(c in KSX1001_HANGUL for t in drawn for c in t.replace(' ', ''))
    drawn_words = [w for t in drawn for w in t.split()]
    strangers = [w for w in drawn_words if w not in words]
    assert 0.2 < len(strangers) / len(drawn_words) < 0.5
    for w in strangers:  # each a dictionary word with exactly one syllable made its twin
        assert any(len(w) == len(d) and sum(a != b for a, b in zip(w, d)) == 1
                   and all(a == b or b in twins(a) for a, b in zip(d, w)) for d in words)


def test_heldout_text_and_fonts_are_never_training_ones():
    from crnn_utils import general_charset
    from utils.synth.lines import HELDOUT_FONTS, find_fonts
    from utils.synth.text import HELDOUT_CORPUS, MANUAL_CORPUS, TRAINING_CORPUS, read_corpus
    train, held = read_corpus(TRAINING_CORPUS) + read_corpus(MANUAL_CORPUS), read_corpus(HELDOUT_CORPUS)
    assert len(''.join(train)) > 500_000 and len(''.join(held)) > 8000
    long_held = [p for p in held if len(p) > 30]
    assert long_held and not any(p in ''.join(train) for p in long_held)
    charset = set(general_charset())
    assert all(c in charset for p in train + held for c in p)
    assert not {os.path.basename(f) for f in find_fonts()} & set(HELDOUT_FONTS)
    assert all(os.path.basename(f) in HELDOUT_FONTS for f in find_fonts(heldout=True))


def test_hanja_source_gives_corpus_nouns_their_hanja(tmp_path):
    """The 'hanja' source on a dictionary in libhangul's format: nouns the
    dictionary knows, followed by a particle or not, get their hanja in
    parentheses or instead; the classes are the hanja the corpus's nouns use."""
    import random
    from utils.synth.hanja import HanjaText, read_hanja_table, split_noun
    path = tmp_path / 'hanja.txt'
    path.write_text('# comment\n계약:契約:\n계약:繼約:\n전차금:前借金:\n근로:勤勞:\n근로자:勤勞者:\n甲:甲:\n가:可:\n'
                    '계약ab:契約ab:\n', encoding='utf-8')
    table = read_hanja_table(str(path))
    assert table == {'계약': '契約', '전차금': '前借金', '근로': '勤勞', '근로자': '勤勞者'}
    assert split_noun('근로자는', table) == ('근로자', '는') and split_noun('계약', table) == ('계약', '')
    assert split_noun('계약서', table) is None
    text = HanjaText(table, ['근로자는 계약을 지킨다.', '근로자의 계약'], limit=5)
    assert text.chars[:2] in ('勤勞', '契約') and len(text.chars) == 5 and '前' not in text.chars
    assert '전차금' not in text.table  # 前借金 uses hanja outside the classes
    rng = random.Random(3)
    lines = [text.line(rng, '근로자는 계약을 지킨다.'.split()) for _ in range(40)]
    assert all(any(h in line for h in ('勤勞者', '契約')) for line in lines)
    assert any('근로자(勤勞者)는' in line for line in lines) and any('勤勞者는' in line for line in lines)
    assert all(set(c for c in line if '\u4e00' <= c <= '\u9fff') <= set(text.chars) for line in lines)
    plain = text.line(rng, ['오늘'])  # no known noun: one is put in, with its hanja
    assert '오늘' in plain and any(h in plain for h in ('勤勞', '契約'))
    with pytest.raises(ValueError, match='libhangul-data'):
        read_hanja_table(str(tmp_path / 'missing.txt'))


def test_letter_spaced_lines_are_wider_and_keep_their_labels():
    """--letter-spacing: the same sample drawn letter-spaced is wider, its label has no extra spaces, and a
    maker without letter spacing draws exactly what it drew before (the layout draw comes last)."""
    renderer = Renderer([BUNDLED_FONT])
    source = TextSource((('contract', 1.0),))
    kinds = (('문장', 1.0),)
    plain, spaced = (SampleMaker(11, kinds, source, renderer, 0.0, 0.0, share) for share in (0.0, 1.0))
    for k in range(4):
        a, b = plain(k), spaced(k)
        assert a['text'] == b['text'] and '  ' not in b['text']
        assert b['width'] >= a['width'] + 2 * (len(a['text']) - 1)  # at least 0.15 em of the 20 px glyphs a gap
    assert plain(0)['png'] == SampleMaker(11, kinds, source, renderer)(0)['png']


def test_out_of_domain_lines_are_whole_wrapped_lines_split_by_half(tmp_path):
    """utils.synth.heldout --ood: whole lines of the document (8-30 characters, half Hangul), its first half for
    dev and its second for test; a missing document is one error naming the package."""
    import gzip
    import random
    from utils.synth.heldout import DocumentLines, ood_halves
    doc = tmp_path / 'faq.txt.gz'
    lines = ['1.1. 데비안은 무엇인가요?', 'x', 'apt-get install foo bar baz', '패키지를 설치하려면 어떻게 하나요?',
             '아주 긴 줄입니다 ' * 5, '데비안 FAQ 의 두 번째 절반입니다']
    with gzip.open(doc, 'wt', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    dev, test = ood_halves(str(doc))
    assert dev == lines[:3] and test == lines[3:]
    source = DocumentLines(test)
    assert source.lines == ['패키지를 설치하려면 어떻게 하나요?', '데비안 FAQ 의 두 번째 절반입니다']
    assert source.draw(random.Random(1), 0)[0] in source.lines
    with pytest.raises(ValueError, match='debian-faq-ko'):
        ood_halves(str(tmp_path / 'missing.txt.gz'))


def test_out_of_domain_pages_take_the_mostly_korean_paragraphs():
    """utils.synth.heldout --ood --pages: a wrapped paragraph is one clause text; English ones are left out."""
    from utils.synth.heldout import ood_paragraphs
    lines = ['    데비안 패키지는 실제로 "설치"될 수 없으며,', '    바이너리 패키지를 만들어 설치합니다.', '',
             '    The Package field gives the package name.', '', '', '    짧음', '', '    dpkg 와 apt 는 패키지 도구입니다.']
    assert ood_paragraphs(lines, shortest=8) == ['데비안 패키지는 실제로 "설치"될 수 없으며, 바이너리 패키지를 만들어 설치합니다.',
                                                 'dpkg 와 apt 는 패키지 도구입니다.']


def test_heldout_symbol_lines_put_document_marks_into_heldout_text():
    """utils.synth.heldout --symbols: held-out running text with one to three marks of crnn_utils.SYMBOLS, units
    after a number and bracket pairs closed; the same seed draws the same lines."""
    import random
    from crnn_utils import SYMBOLS
    from utils.synth.heldout import HeldoutSymbols
    from utils.synth.text import HELDOUT_CORPUS
    source = HeldoutSymbols(8, 22)
    held = open(HELDOUT_CORPUS, encoding='utf-8').read()
    rng = random.Random(4)
    lines = [source.draw(rng, k)[0] for k in range(200)]
    assert lines[:5] == [source.draw(r, k)[0] for r in [random.Random(4)] for k in range(5)]
    marks = [[c for c in line if c in SYMBOLS] for line in lines]
    assert all(marks) and 1.8 < sum(map(len, marks)) / len(marks) < 3.5  # 1-3 a line, a bracket pair two
    assert len({c for m in marks for c in m}) > 100
    for line in lines:  # what is not a mark (or a unit's number) is held-out text
        pieces = ''.join(' ' if c in SYMBOLS else c for c in line).split()
        assert sum(p in held for p in pieces) >= len(pieces) - 3 and sum(p in held for p in pieces) >= 1, line
        for unit in HeldoutSymbols.UNITS & set(line):
            assert line[line.index(unit) - 1].isdigit(), line
        for left, right in HeldoutSymbols.OPENING.items():
            assert line.count(left) == line.count(right), line


def test_heldout_cli_writes_the_symbol_set(tmp_path):
    """python -m utils.synth.heldout --symbols: an AI-Hub-format set in <out>/symbols, its lines in held-out fonts."""
    from utils.synth.lines import HELDOUT_FONTS
    r = run_tool('-m utils.synth.heldout', '--out', tmp_path, '--symbols', '--count', 6, '--workers', 1)
    assert r.returncode == 0, r.stderr[-2000:]
    gtu = GTUtility(str(tmp_path / 'symbols'), verbose=False)
    assert len(gtu.texts()) == 6 and 'symbols: 6 lines' in r.stdout
    with open(tmp_path / 'symbols' / 'korean_printed_sentence.json', encoding='utf-8') as f:
        assert all(a['attributes']['font'] in HELDOUT_FONTS for a in json.load(f)['annotations'])


def test_a_crop_takes_a_line_s_text_only_when_it_spans_the_line():
    """utils.synth.doc.spans: a found line reaching both ends of the true one (to within a syllable) is that line;
    a list row's figure with its leader dots, found apart from its label, is not."""
    from utils.synth.doc import spans
    true = [[100, 50], [900, 50], [900, 80], [100, 80]]
    assert spans([[110, 48], [905, 48], [905, 82], [110, 82]], true)
    assert not spans([[420, 48], [905, 48], [905, 82], [420, 82]], true)


@needs_libreoffice
@needs_fonts
def test_doc_crops_of_list_documents(tmp_path):
    """python -m utils.synth.doc --crops --kind lists: an AI-Hub-format training set of the rows of LibreOffice list
    documents (every second one with dot leaders, dropped from the labels as the reader drops them)."""
    out = run_tool('-m utils.synth.doc', '--out', tmp_path, '--count', 4, '--seed', 7003, '--kind', 'lists', '--crops',
                   timeout=600)
    assert out.returncode == 0, out.stderr
    texts = GTUtility(str(tmp_path), verbose=False).texts()
    assert sum(t.endswith(('원', '%')) for t in texts) >= 5 and not any('...' in t or '··' in t for t in texts), texts
