"""Charset, label encoding and CTC decoding for the Korean CRNN.

The charset is a string; its last character ``'_'`` is the CTC blank, as in
the original project. Class ``i`` of the network is ``charset[i]``.
"""

import json
import os
import re
import string
from collections import Counter

import numpy as np

alphabet28 = string.ascii_lowercase + ' _'  # 26 is space, 27 is CTC blank char
alphabet87 = string.ascii_lowercase + string.ascii_uppercase + string.digits + ' +-*.,:!?%&$~/()[]<>"\'@#_'

BLANK = '_'
DIGITS = '0123456789'
SPACE = ' '
PUNCTUATION = '.,:()[]<>"\'_'  # '_' last: the CTC blank
HANGUL_SYLLABLE = re.compile('[가-힣]')
CHARSET_FILE = 'charset.json'

# The 2,350 Hangul syllables of KS X 1001 (those EUC-KR can encode): the
# syllables of printed Korean, and the classes of the shipped model.
KSX1001_HANGUL = ''.join(c for c in map(chr, range(0xAC00, 0xD7A4)) if len(c.encode('euc-kr', 'ignore')) == 2)
# The jamo of precomposed Hangul syllables, in Unicode's order: 19 initials, 21 medials, 27 finals and none.
INITIALS = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ'
MEDIALS = 'ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ'
FINALS = ('',) + tuple('ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ')


def jamo(c):
    """(initial, medial, final) of a precomposed Hangul syllable (final '' when it has none), else None."""
    k = ord(c) - 0xAC00 if len(c) == 1 else -1
    if not 0 <= k < 11172:
        return None
    return INITIALS[k // 588], MEDIALS[k % 588 // 28], FINALS[k % 28]


def compose_syllable(initial, medial, final=''):
    """The precomposed syllable of three jamo (jamo's inverse)."""
    return chr(0xAC00 + (INITIALS.index(initial) * 21 + MEDIALS.index(medial)) * 28 + FINALS.index(final))


# Punctuation of contracts, notices and forms ('_' is the blank, so not here).
DOCUMENT_PUNCTUATION = '.,:;!?()[]{}<>"\'-%/~·₩&+=*#@$※○●□■△▲①②③④⑤⑥⑦⑧⑨⑩「」『』×'
# What Korean documents print beyond that (v4): company and association marks, units of area, volume, weight,
# length and temperature, section and other signs, Roman numerals, circled and parenthesized numbers, circled
# jamo and syllables, bare consonants (ㄱ. ㄴ. ㄷ. enumerate items), the hanja that name a contract's parties,
# arrows, stars and brackets. All but ⑯-⑳ are KS X 1001 symbols.
DOCUMENT_SYMBOLS = ('㈜㈔㎡㎢㎥㎠㎏㎎㎞㎝㎜㎖ℓ℃㎾§°±≤≥≠÷…‰¶†№™' + ''.join(map(chr, range(0x2160, 0x216A)))
                    + ''.join(map(chr, range(0x2170, 0x217A))) + ''.join(map(chr, range(0x246A, 0x247E)))
                    + ''.join(map(chr, range(0x3260, 0x327C))) + 'ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ甲乙丙丁戊'
                    + '◎◇◆▷▶▽▼☆★☎→←↑↓↔⇒【】《》〔〕')
GENERAL = 'general'
# Look-alike characters of real documents, by the charset character they are written as (quotes: opening, closing).
LOOK_ALIKES = {'·': '․ㆍ⋅‧∙･•', '"': '“”', "'": '‘’´', '~': '∼～', '「': '｢', '」': '｣', '<': '〈', '>': '〉',
               ' ': '\u3000'}
EQUIVALENTS = str.maketrans({v: c for c, variants in LOOK_ALIKES.items() for v in variants})


def normalize_text(text):
    """``text`` with look-alike punctuation mapped to the charset's (curly
    quotes to straight ones, the many middle dots to '·')."""
    return text.translate(EQUIVALENTS)


LEADERS = re.compile(r'\s*(?:[.·…‥․ㆍ⋅‧∙･•]\s?){4,}\s*')


def drop_leaders(text):
    """``text`` with each run of leader dots (a table of contents' '제1조 ······ 3') made one space: how many
    dots a leader prints says nothing, the label and its figure do."""
    return LEADERS.sub(' ', text).strip()


def general_charset(symbols=True):
    """The shipped model's charset: all KS X 1001 syllables, digits, Latin
    letters, space, document punctuation and DOCUMENT_SYMBOLS, blank last
    (2,602 classes). ``symbols=False``: v1-v3's 2,465 classes, of which this
    one is an extension (every old class keeps its index)."""
    base = KSX1001_HANGUL + DIGITS + string.ascii_letters + SPACE + DOCUMENT_PUNCTUATION
    return base + (DOCUMENT_SYMBOLS if symbols else '') + BLANK


def _flatten_texts(texts):
    """Accept a list of strings or GTUtility.text (a list of lists of strings)."""
    for t in texts:
        if isinstance(t, str):
            yield t
        else:
            yield from t


def build_charset(texts):
    """The original notebook's charset: the Hangul syllables of ``texts`` in
    first-seen order, then digits, space and ``.,:()[]<>"'``, then any other
    printable character the texts hold (first-seen order; the original turned
    them into spaces, silent label noise), and the blank '_' last."""
    texts = list(_flatten_texts(texts))
    seen = dict.fromkeys(c for t in texts for c in t if HANGUL_SYLLABLE.match(c))
    base = ''.join(seen) + DIGITS + SPACE + PUNCTUATION[:-1]
    known = set(base) | {BLANK}
    extra = dict.fromkeys(c for t in texts for c in t if c not in known and c.isprintable() and not c.isspace())
    return base + ''.join(extra) + BLANK


def extend_charset(charset, texts):
    """``charset`` with the characters of ``texts`` it lacks, in first-seen
    order, inserted before the blank: every old character keeps its index and
    the blank stays last. Returns (new charset, the added characters)."""
    blank_index(charset)
    known = set(charset)
    added = ''.join(dict.fromkeys(c for t in _flatten_texts(texts) for c in t if c not in known))
    return charset[:-1] + added + charset[-1], added


def blank_index(charset):
    """Index of the CTC blank: always the last class."""
    if not charset or charset[-1] != BLANK:
        raise ValueError("the charset must end with the CTC blank '_' (got %r)" % charset[-8:])
    return len(charset) - 1


def save_charset(path, charset):
    """Write the charset as JSON so a trained model is always paired with it."""
    blank_index(charset)
    if os.path.isdir(path):
        path = os.path.join(path, CHARSET_FILE)
    from utils.atomic import write_text_atomic
    return write_text_atomic(path, json.dumps({'charset': charset, 'num_classes': len(charset), 'blank': BLANK},
                                              ensure_ascii=False))


def load_charset(path):
    """Read a charset written by :func:`save_charset` (a file or a run folder);
    'general' is :func:`general_charset`."""
    if path == GENERAL:
        return general_charset()
    if os.path.isdir(path):
        path = os.path.join(path, CHARSET_FILE)
    with open(path, encoding='utf-8') as f:
        try:
            charset = json.load(f)['charset']
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError('%s is not a charset file: %s' % (path, e)) from None
    blank_index(charset)
    return charset


def char_index(charset):
    """Mapping character -> class index, blank excluded (it cannot be a label)."""
    return {c: i for i, c in enumerate(charset[:-1])}


def encode_label(text, index, unknown=SPACE):
    """Class indices of ``text`` and the characters that are not in ``index``.

    Unknown characters (and '_', the blank) are replaced by ``unknown`` like the
    original, or dropped when ``unknown`` is None; the caller reports them.
    """
    ids, missing = [], []
    fallback = index.get(unknown) if unknown is not None else None
    for c in text:
        i = index.get(c)
        if i is None:
            missing.append(c)
            if fallback is None:
                continue
            i = fallback
        ids.append(i)
    return np.asarray(ids, dtype=np.int32), missing


def ctc_min_steps(ids):
    """Time steps CTC needs for a label: its length plus one blank between each
    pair of equal neighbours."""
    ids = np.asarray(ids)
    return int(len(ids) + np.count_nonzero(ids[1:] == ids[:-1])) if len(ids) else 0


def describe_chars(counter, limit=10):
    """'%' x3, '-' x2 ... for a Counter of characters."""
    items = Counter(counter).most_common()
    s = ', '.join('%r x%d' % (c, n) for c, n in items[:limit])
    if len(items) > limit:
        s += ', ... (%d distinct)' % len(items)
    return s


def decode(chars):
    """Collapse repeats and drop blanks in a sequence of per-frame characters
    (the original's decoder)."""
    new = ''
    last = BLANK
    for c in chars:
        if (last == BLANK or last != c) and c != BLANK:
            new += c
        last = c
    return new


def greedy_decode_ids(probs):
    """Greedy CTC decoding of a batch (B, T, C) without a per-frame Python loop.

    Returns a list of int arrays, one per sample (blank = last class).
    """
    probs = np.asarray(probs)
    blank = probs.shape[-1] - 1
    best = np.argmax(probs, axis=-1)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return [row[k] for row, k in zip(best, keep)]


def greedy_confidence(probs):
    """Per sample, the mean probability of the characters greedy decoding
    emits (of its best path where it emits none): a 0..1 certainty."""
    probs = np.asarray(probs)
    best = probs.max(axis=-1)
    emitted = np.argmax(probs, axis=-1) != probs.shape[-1] - 1
    return np.array([b[e].mean() if e.any() else b.mean() for b, e in zip(best, emitted)], np.float32)


def greedy_decode(probs, charset):
    """Greedy CTC decoding of a batch of softmax outputs into strings."""
    if np.shape(probs)[-1] != len(charset):
        raise ValueError('model has %d classes but the charset %d characters'
                         % (np.shape(probs)[-1], len(charset)))
    table = np.asarray(list(charset))
    return [''.join(table[ids]) for ids in greedy_decode_ids(probs)]


def edit_distance(a, b):
    """Levenshtein distance between two strings."""
    import editdistance
    return int(editdistance.eval(a, b))


def normalized_edit_distance(gt, pred):
    """The original's ed_norm: edit distance / length of the ground truth."""
    return edit_distance(gt, pred) / max(len(gt), 1)


def recognition_metrics(gts, preds):
    """CER (total edit distance / total reference length), NED (mean of edit
    distance / max(len(gt), len(pred)), in [0, 1] as in ICDAR 2019 and
    deep-text-recognition-benchmark) and ACC (exact line matches)."""
    if len(gts) != len(preds) or not len(gts):
        raise ValueError('need as many predictions as references (got %d and %d)' % (len(preds), len(gts)))
    dist = [edit_distance(g, p) for g, p in zip(gts, preds)]
    return {'cer': sum(dist) / max(sum(len(g) for g in gts), 1),
            'ned': float(np.mean([d / max(len(g), len(p), 1) for d, g, p in zip(dist, gts, preds)])),
            'acc': float(np.mean([g == p for g, p in zip(gts, preds)]))}


# The marks a symbol recall counts: DOCUMENT_SYMBOLS and the non-ASCII document punctuation (①, ※, 「, ·).
SYMBOLS = frozenset(DOCUMENT_SYMBOLS) | {c for c in DOCUMENT_PUNCTUATION if not c.isascii()}


def aligned_hits(gt, pred):
    """The positions of ``gt`` whose character a least-edit alignment pairs with the same character of ``pred``."""
    n, m = len(gt), len(pred)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (gt[i - 1] != pred[j - 1]))
    hits, i, j = set(), n, m
    while i and j:
        if gt[i - 1] == pred[j - 1] and cost[i, j] == cost[i - 1, j - 1]:
            hits.add(i - 1)
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j - 1] + 1:
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return hits


def symbol_recall(gts, preds, symbols=SYMBOLS):
    """(share of the ``symbols`` in ``gts`` read as themselves, how many there are): a symbol counts when the
    least-edit alignment of its line pairs it with the same character; (None, 0) when the lines hold none."""
    total = hits = 0
    for gt, pred in zip(gts, preds):
        at = [i for i, c in enumerate(gt) if c in symbols]
        if at:
            total += len(at)
            hits += len(aligned_hits(gt, pred).intersection(at))
    return (hits / total if total else None), total


def beam_decode(probs, charset, beam_width=10):
    """Beam-search CTC decoding (keras.ops.ctc_decode) of softmax outputs."""
    import keras
    probs = np.asarray(probs, dtype=np.float32)
    if probs.shape[-1] != len(charset):
        raise ValueError('model has %d classes but the charset %d characters' % (probs.shape[-1], len(charset)))
    lengths = np.full((probs.shape[0],), probs.shape[1], dtype=np.int32)
    decoded, _ = keras.ops.ctc_decode(np.log(probs + 1e-7), lengths, strategy='beam_search',
                                      beam_width=beam_width, top_paths=1, mask_index=len(charset) - 1)
    best = keras.ops.convert_to_numpy(decoded)[0]
    return [''.join(charset[i] for i in row if i >= 0) for row in best]


def decode_batch(probs, charset, beam_width=0, lm=None, gate=None):
    """Greedy decoding, or beam search when ``beam_width`` > 0; ``lm``: a
    language model (utils.lm.language_model: 'kiwi', 'ngram', True for the
    default, or a model) that decodes, with a beam ``beam_width`` wide (8 if
    0), the lines the recognizer is unsure of (utils.lm.unsure_lines with
    ``gate``, utils.lm.GATE if None; a gate over 1: every line)."""
    if lm:
        from utils.lm import GATE, language_model, lm_decode, unsure_lines
        probs = np.asarray(probs)
        texts = greedy_decode(probs, charset)
        unsure = unsure_lines(probs, GATE if gate is None else gate)
        if len(unsure):
            for j, text in zip(unsure, lm_decode(probs[unsure], charset, language_model(lm), beam_width or 8)):
                texts[j] = text
        return texts
    return beam_decode(probs, charset, beam_width) if beam_width else greedy_decode(probs, charset)
