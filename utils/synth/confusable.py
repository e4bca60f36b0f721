"""Confusable syllables: dictionary words beside twins that differ from them by
one jamo printed Korean is misread by (혼/훈, 정/성, 현/연, ...), so that the
pixels of a line, not the prior of familiar words, decide between them."""

from crnn_utils import FINALS, INITIALS, KSX1001_HANGUL, MEDIALS, compose_syllable, jamo

# The jamo pairs of the misreadings in issue 24 and BENCHMARKS.md (section 'confusions'), each read both ways.
CONFUSABLE_PAIRS = ('ㅁㅇ', 'ㅎㅇ', 'ㅐㅕ', 'ㅗㅡ', 'ㄱㅈ', 'ㅊㅈ', 'ㅗㅜ', 'ㅈㅅ', 'ㅓㅣ', 'ㄷㄴ', 'ㅕㅓ', 'ㅘㅚ', 'ㅔㅖ',
                    'ㅏㅣ', 'ㅑㅏ', 'ㄷㅌ', 'ㄹㅌ')


def _partners():
    partners = {}
    for a, b in CONFUSABLE_PAIRS:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    return partners


PARTNERS = _partners()
_HANGUL = frozenset(KSX1001_HANGUL)


def twins(syllable):
    """The KS X 1001 syllables one confusable jamo away from ``syllable`` (lead, vowel or tail swapped)."""
    if syllable not in _HANGUL:
        return []
    parts = jamo(syllable)
    out = []
    for k, table in enumerate((INITIALS, MEDIALS, FINALS)):
        for other in PARTNERS.get(parts[k], ()):
            if other in table:
                swapped = list(parts)
                swapped[k] = other
                twin = compose_syllable(*swapped)
                if twin in _HANGUL:
                    out.append(twin)
    return out


def twin_word(rng, word):
    """``word`` with one syllable made a random twin of it, or None when no syllable has one."""
    options = [(i, t) for i, c in enumerate(word) for t in twins(c)]
    if not options:
        return None
    i, t = rng.choice(options)
    return word[:i] + t + word[i + 1:]


def confusable_line(rng, words, length):
    """Dictionary words, each followed by its twin half the time (결혼 결훈 계약서 ...), as many
    as fit in ``length`` characters (at least one word)."""
    out = []
    size = -1
    while True:
        word = rng.choice(words)
        group = [word]
        twin = twin_word(rng, word) if rng.random() < 0.5 else None
        if twin:
            group.append(twin)
            rng.shuffle(group)
        for w in group:
            if out and size + 1 + len(w) > length:
                return ' '.join(out)
            out.append(w)
            size += 1 + len(w)
