"""Language models for decoding the lines the recognizer is unsure of.

    lm = language_model('kiwi')      # Kiwi's model of Korean (kiwipiepy): rescores the CTC beam's readings
    lm = language_model('ngram')     # CharLM.from_texts(training_texts()): the repo's own text, cached
    texts = lm_decode(probs, charset, lm)

'kiwi' reads whole hypotheses: the prefix beam search without a language
model gives a line's best readings, and Kiwi's sentence score (a
morphological analyser with a model of general Korean, not of our corpora)
is added to each one's CTC log probability. 'ngram' weighs a syllable n-gram
inside the beam search.

Interpolated absolute discounting (each order's counts less a discount, the
mass freed going to the next lower order, down to an add-one unigram over the
charset): small, fast to build and good enough to tell 월요일 from 필요일.
"""
import functools
import hashlib
import math
import os
import pickle
import threading
from collections import defaultdict

import numpy as np

from utils import CACHE

DISCOUNT = 0.75
# Chosen on a development split (LibreOffice-laid-out lines of help paragraphs the LM did not learn from), never on
# the held-out sets: order 3, LM weight 0.3, a bonus of 2.0 per character (BENCHMARKS.md, section 'lm').
ORDER, ALPHA, BETA, BEAM = 3, 0.3, 2.0, 8
# The language model reads only a line the recognizer is unsure of: one with a frame whose most likely class has
# less than this probability; a confident line keeps its greedy reading. Chosen on the out-of-domain dev lines
# (utils.synth.heldout --ood: ood_dev): the best of 0.3-0.95 and of reading every line (bench_lm.py --gate-dev).
GATE = 0.6
# Weight of Kiwi's sentence score beside the CTC log probability, chosen on ood_dev (0.2-1.0; bench_lm --kiwi-dev).
KIWI_WEIGHT = 0.4
# Kiwi without its optional dictionaries (typos, multi-word expressions, the default user dictionary of names) and
# its thread pool loads in a third of the time and scores the held-out and out-of-domain lines' readings the same
# (BENCHMARKS 'lm_kiwi_load'); the rescoring reads one line at a time
KIWI_OPTIONS = dict(num_workers=1, load_typo_dict=False, load_multi_dict=False, load_default_dict=False)
NBEST_PRUNE = 1e-3  # classes under this probability at a frame are not tried in a line's n-best (bench_lm --prune-dev)


class CharLM:
    """P(next character | the ``order`` - 1 characters before it)."""

    def __init__(self, order, counts, vocabulary):
        self.order = order
        self.counts = counts  # context -> {char: count}
        self.totals = {h: sum(c.values()) for h, c in counts.items()}
        self.vocabulary = vocabulary
        self._cache = {}

    @classmethod
    def from_texts(cls, texts, order=3):
        counts = defaultdict(lambda: defaultdict(int))
        vocabulary = set()
        for text in texts:
            text = '\x02' * (order - 1) + text
            for i in range(order - 1, len(text)):
                c = text[i]
                vocabulary.add(c)
                for k in range(order):
                    counts[text[i - k:i]][c] += 1
        return cls(order, {h: dict(c) for h, c in counts.items()}, vocabulary)

    def logprob(self, context, char):
        """log P(char | context), context padded or cut to order - 1 characters."""
        context = ('\x02' * (self.order - 1) + context)[-(self.order - 1):] if self.order > 1 else ''
        key = (context, char)
        if key not in self._cache:
            self._cache[key] = math.log(self._prob(context, char))
        return self._cache[key]

    def _prob(self, context, char):
        lower = (self.counts.get('', {}).get(char, 0) + 1) / (self.totals.get('', 0) + len(self.vocabulary) + 1)
        for k in range(1, len(context) + 1):
            h = context[-k:]
            seen = self.counts.get(h)
            if not seen:
                break
            total = self.totals[h]
            lower = max(seen.get(char, 0) - DISCOUNT, 0) / total + DISCOUNT * len(seen) / total * lower
        return lower


def _logsumexp(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def lm_beam_search(probs, charset, lm, beam_width=BEAM, alpha=ALPHA, beta=BETA, prune=1e-3):
    """The best text of one line's softmax outputs (T, C) by CTC prefix beam
    search, each character scored log p_ctc + ``alpha`` log p_lm + ``beta``
    (a bonus per character against the LM's bias to short texts). Classes
    under ``prune`` at a frame are not tried there."""
    beams = _prefix_beams(probs, charset, lm, beam_width, alpha, beta, prune)
    return max(beams.items(), key=lambda kv: _logsumexp(kv[1][0], kv[1][1]) + kv[1][2])[0]


def ctc_nbest(probs, charset, beam_width=BEAM, prune=1e-3):
    """[(text, CTC log probability)] of one line's best readings by prefix
    beam search without a language model, best first."""
    beams = _prefix_beams(probs, charset, None, beam_width, 0.0, 0.0, prune)
    return sorted(((k, _logsumexp(pb, pnb)) for k, (pb, pnb, _) in beams.items()), key=lambda kv: -kv[1])


def _prefix_beams(probs, charset, lm, beam_width, alpha, beta, prune):
    """The final beams {prefix: (log p blank-ending, log p non-blank-ending,
    LM score)} of CTC prefix beam search (``lm`` None: no LM score)."""
    blank = len(charset) - 1
    probs = np.asarray(probs)
    mask = probs > prune
    frames, classes = np.nonzero(mask)
    logs = np.log(np.maximum(probs[frames, classes].astype(np.float64), 1e-12)).tolist()
    classes = classes.tolist()
    beams = {'': (0.0, -math.inf, 0.0)}  # prefix -> (log p blank-ending, log p non-blank-ending, lm score)
    start, blank_run = 0, None
    for end in np.cumsum(mask.sum(1)).tolist():
        candidates, row = classes[start:end], logs[start:end]
        start = end
        if not candidates:  # a frame with no class over the prune (an untrained model's) is passed over
            continue
        if len(candidates) == 1 and candidates[0] == blank:  # only blank: every prefix stays, ranked as before
            blank_run = row[0] if blank_run is None else blank_run + row[0]
            continue
        beams = _after_blanks(beams, blank_run)
        blank_run = None
        new = defaultdict(lambda: [-math.inf, -math.inf, 0.0])
        for prefix, (pb, pnb, lm_score) in beams.items():
            total = _logsumexp(pb, pnb)
            last = prefix[-1] if prefix else None
            for c, p in zip(candidates, row):
                if c == blank:
                    entry = new[prefix]
                    entry[0] = _logsumexp(entry[0], total + p)
                    entry[2] = lm_score
                    continue
                ch = charset[c]
                if last == ch:
                    entry = new[prefix]  # a repeat without a blank between stays the same character
                    entry[1] = _logsumexp(entry[1], pnb + p)
                    entry[2] = lm_score
                    extended = new[prefix + ch]
                    extended[1] = _logsumexp(extended[1], pb + p)
                else:
                    extended = new[prefix + ch]
                    extended[1] = _logsumexp(extended[1], total + p)
                extended[2] = lm_score + (alpha * lm.logprob(prefix, ch) + beta if lm is not None else 0.0)
        beams = dict(sorted(((k, tuple(v)) for k, v in new.items()),
                            key=lambda kv: _logsumexp(kv[1][0], kv[1][1]) + kv[1][2], reverse=True)[:beam_width])
    return _after_blanks(beams, blank_run)


def _after_blanks(beams, log_p):
    """The beams after a run of frames where only blank passes the prune, of
    summed log probability ``log_p`` (None: no such run): every prefix ends in
    blank, their order unchanged, so the run is one step however long."""
    if log_p is None:
        return beams
    return {k: (_logsumexp(pb, pnb) + log_p, -math.inf, s) for k, (pb, pnb, s) in beams.items()}


def unsure_lines(probs, gate=GATE):
    """Positions of the lines of a batch (B, T, C) with a frame whose most likely class is under ``gate``."""
    return np.flatnonzero(np.asarray(probs).max(-1).min(-1) < gate)


def lm_beam_decode(probs, charset, lm, beam_width=BEAM, alpha=ALPHA, beta=BETA):
    """lm_beam_search for each line of a batch (B, T, C)."""
    return [lm_beam_search(p, charset, lm, beam_width, alpha, beta) for p in probs]


class KiwiLM:
    """Kiwi's sentence score (kiwipiepy: a Korean morphological analyser
    whose language model was trained on large general corpora) as a
    rescorer of whole readings; loaded on first use."""

    def __init__(self, weight=KIWI_WEIGHT):
        self.weight = weight
        self._kiwi, self._scores, self._lock = None, {}, threading.Lock()

    def load(self):
        """Kiwi's analyser, loaded once (safe from several threads)."""
        with self._lock:
            if self._kiwi is None:
                try:
                    from kiwipiepy import Kiwi
                except ImportError:
                    raise ValueError("the 'kiwi' language model needs kiwipiepy and its model: pip install "
                                     "kiwipiepy (requirements.txt), or decode with --lm ngram or --no-lm") from None
                self._kiwi = Kiwi(**KIWI_OPTIONS)
        return self._kiwi

    def score(self, text):
        """log score of ``text``'s best morphological analysis (0 for blank text)."""
        if not text.strip():
            return 0.0
        if text in self._scores:
            return self._scores[text]
        kiwi = self.load()
        if len(self._scores) > 100_000:
            self._scores.clear()
        self._scores[text] = kiwi.analyze(text, top_n=1)[0][1]
        return self._scores[text]

    def best(self, nbest):
        """The reading of ``nbest`` [(text, CTC log p)], best first, with the highest log p + weight x Kiwi's
        score among those that differ from the first only in Hangul syllables and spaces (Kiwi's score falls
        with every token, so it would drop a true '②' or '·'; digits and marks stay the recognizer's)."""
        first = _skeleton(nbest[0][0])
        same = [kv for kv in nbest if _same_marks(_skeleton(kv[0]), first)]
        if len(same) == 1:
            return same[0][0]
        return max(same, key=lambda kv: kv[1] + self.weight * self.score(kv[0]))[0]


def _skeleton(text):
    return text.replace(' ', '')


def _same_marks(a, b):
    """Whether two texts (spaces removed) are alike but for Hangul syllables in the same places."""
    return len(a) == len(b) and all(x == y or ('\uac00' <= x <= '\ud7a3' and '\uac00' <= y <= '\ud7a3')
                                    for x, y in zip(a, b))


@functools.lru_cache(maxsize=None)
def load_kiwi():
    """One KiwiLM per process (its model loads once)."""
    return KiwiLM()


def training_texts():
    """The text the language model learns: the training corpora (laws, bills,
    LibreOffice's help), never the held-out documents."""
    from utils.corpus import MANUAL_CORPUS, TRAINING_CORPUS, read_corpus
    return read_corpus(TRAINING_CORPUS) + read_corpus(MANUAL_CORPUS)


@functools.lru_cache(maxsize=None)
def load_lm(order=ORDER, cache=CACHE):
    """The repo's own CharLM: built from training_texts() once, then read from
    a cache file named by the corpora's checksum (a rebuild when they change).
    One per process, so every batch of a page shares it and its logprob cache."""
    from utils.corpus import MANUAL_CORPUS, TRAINING_CORPUS
    digest = hashlib.sha1(str(order).encode())
    for path in (TRAINING_CORPUS, MANUAL_CORPUS):
        with open(path, 'rb') as f:
            digest.update(f.read())
    path = os.path.join(cache, 'charlm%d-%s.pickle' % (order, digest.hexdigest()[:16]))
    if os.path.exists(path):
        with open(path, 'rb') as f:
            order, counts, vocabulary = pickle.load(f)
        return CharLM(order, counts, vocabulary)
    lm = CharLM.from_texts(training_texts(), order)
    try:
        from utils.atomic import atomic_write
        os.makedirs(cache, exist_ok=True)
        with atomic_write(path) as tmp, open(tmp, 'wb') as f:
            pickle.dump((lm.order, lm.counts, lm.vocabulary), f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass  # a read-only home: build it each time
    return lm


# Language models by name (CRNN_predict.py --lm NAME): a new one is one entry, a loader of an object with either
# ``best`` (rescoring whole readings) or ``logprob`` (scored inside the beam search).
LANGUAGE_MODELS = {'kiwi': load_kiwi, 'ngram': load_lm}
DEFAULT_LM = 'kiwi'
# What CRNN_predict.py and crnn_reader.Reader decode with unless told: a LANGUAGE_MODELS name, or None for greedy.
DEFAULT_DECODING = 'kiwi'


def language_model(lm):
    """The language model for ``lm``: a name of LANGUAGE_MODELS, True (DEFAULT_LM), or a model object."""
    if lm is True:
        lm = DEFAULT_LM
    if isinstance(lm, str):
        if lm not in LANGUAGE_MODELS:
            raise ValueError('unknown language model %r (%s)' % (lm, ', '.join(LANGUAGE_MODELS)))
        return LANGUAGE_MODELS[lm]()
    return lm


def lm_decode(probs, charset, lm, beam_width=BEAM):
    """Each line of a batch (B, T, C) decoded with the language model ``lm`` (see language_model)."""
    lm = language_model(lm)
    if hasattr(lm, 'best'):  # rescores whole readings: each line's CTC n-best
        return [lm.best(ctc_nbest(p, charset, beam_width, NBEST_PRUNE)) for p in probs]
    return lm_beam_decode(probs, charset, lm, beam_width)
