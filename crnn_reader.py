"""The face of reading: ``Reader`` loads a recognizer once and reads line
images, pages and whole files (PNG/JPG/TIFF, PDF), as CRNN_predict.py does.

    from crnn_reader import Reader
    reader = Reader()                                   # the shipped model, ONNX Runtime
    print(reader.read_page('pages/contract_page1.jpg').text)
    for page in reader.read('contract.pdf'):            # pages one at a time
        print(page.number, page.text)
    [line] = reader.read_lines(['printed/00000001.png'])

Reading goes down the layers: files (utils.page_files) -> pages (crnn_photo,
crnn_page) -> line images (crnn_lines) -> recognition (the engine of
utils.weights.engine) -> decoding (crnn_utils, utils.lm). Nothing here prints;
a file or image that cannot be read raises ReadError, naming it.
"""
from dataclasses import dataclass, field
from typing import Iterator, List, Optional

import numpy as np

from utils.lm import DEFAULT_DECODING


class ReadError(ValueError):
    """An input that cannot be read: the file (or image) and what is wrong with it."""


@dataclass
class LineReading:
    """One line image as read: its text, its confidence (0..1, the mean probability of the characters read)
    and where it came from (a path, or None for an image given as an array)."""
    text: str
    confidence: float
    source: Optional[str] = None


@dataclass
class Page:
    """One page as read: its lines in reading order (crnn_page.PageLine: text, confidence, box, polygon in the
    page image's pixels, a table row's cells), the skew and the turn that made it readable, and the gray
    ``image`` it was read from."""
    source: Optional[str]
    number: int
    width: int
    height: int
    skew: float
    turn: int
    lines: List = field(default_factory=list)
    image: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def text(self):
        """The page's text, a line per line read."""
        return '\n'.join(line.text for line in self.lines)

    def record(self):
        """The JSON record of the page, as ``CRNN_predict.py --page --output x.json`` writes it."""
        from crnn_page import page_record
        return page_record(self.source, self.number, (self.height, self.width), self.lines, self.skew, self.turn)


def predict_groups(model_pred, charset, groups, texts, confidences=None, batch_size=64, beam_width=0, lm=None):
    """Fill ``texts`` (and ``confidences``) at the positions of
    crnn_lines.group_by_width's groups, batch by batch."""
    from crnn_utils import decode_batch, greedy_confidence
    for positions, rows in groups.values():
        for b in range(0, len(rows), batch_size):
            probs = model_pred.predict_on_batch(rows[b:b + batch_size])
            for j, text in zip(positions[b:b + batch_size], decode_batch(probs, charset, beam_width, lm)):
                texts[j] = text
            if confidences is not None:
                for j, c in zip(positions[b:b + batch_size], greedy_confidence(probs)):
                    confidences[j] = float(c)


def recognize(model_pred, charset, paths, input_size, batch_size=64, beam_width=0, progress=True, on_error=None,
              lm=None):
    """Texts of the line images at ``paths``, in order, batch by batch. With
    width None each line gets the narrowest input width that holds it
    (crnn_lines.INFERENCE_WIDTHS), lines of one width batched together.
    ``on_error(position, error)``: an unreadable image gets text None and is
    reported there; without it the error is raised. A blank image (no ink,
    crnn_lines.is_blank) reads as the empty text."""
    import sys
    from tqdm import tqdm
    from crnn_lines import load_inputs_any_width
    width, height = input_size
    texts = [None] * len(paths)
    bar = tqdm(total=len(paths), disable=not progress or len(paths) < 2 * batch_size, file=sys.stderr)
    chunk_size = batch_size if width else 8 * batch_size
    for start in range(0, len(paths), chunk_size):
        chunk = paths[start:start + chunk_size]
        report = None if on_error is None else (lambda j, e: on_error(start + j, e))
        blank = []
        groups = load_inputs_any_width(chunk, height, widths=(width,) if width else None, on_error=report,
                                       blank=blank)
        chunk_texts = [None] * len(chunk)
        for j in blank:
            chunk_texts[j] = ''
        predict_groups(model_pred, charset, groups, chunk_texts, batch_size=batch_size, beam_width=beam_width,
                       lm=lm)
        texts[start:start + len(chunk)] = chunk_texts
        bar.update(len(chunk))
    bar.close()
    return texts


def recognize_images(model_pred, charset, images, input_size, batch_size=64, beam_width=0, lm=None):
    """(texts, confidences) of decoded line images (gray uint8 arrays), in order; blank ones read as ''."""
    from crnn_lines import group_by_width
    width, height = input_size
    texts, confidences = [''] * len(images), [0.0] * len(images)
    groups = group_by_width(enumerate(images), height, widths=(width,) if width else None, blank=[])
    predict_groups(model_pred, charset, groups, texts, confidences, batch_size, beam_width, lm)
    return texts, confidences


def as_gray(image):
    """A line or page image as gray uint8: a path (decoded), a numpy array (gray, BGR or BGRA) or a PIL image."""
    import cv2
    from crnn_lines import ImageReadError, read_image
    if isinstance(image, (str, bytes)) or hasattr(image, '__fspath__'):
        try:
            return read_image(str(image))
        except ImageReadError as e:
            raise ReadError(str(e)) from None
    if hasattr(image, 'convert') and hasattr(image, 'size'):  # PIL
        return np.asarray(image.convert('L'))
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = cv2.cvtColor(array, cv2.COLOR_BGRA2GRAY if array.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    if array.ndim != 2 or array.size == 0:
        raise ReadError('an image of shape %s is not a gray or color image' % (array.shape,))
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return array


class Reader:
    """A recognizer loaded once, for reading from Python; the arguments are CRNN_predict.py's flags, with its
    defaults: the shipped model (or a ``run`` folder, or ``weights`` with their ``charset``), ``engine``
    ('auto', 'onnx', 'keras'), ``precision`` ('auto', 'float32', 'mixed_bfloat16', 'int8'), ``lm`` (the
    language model for the lines the recognizer is unsure of: a utils.lm.LANGUAGE_MODELS name, True for the
    default one, None or False for greedy decoding; default utils.lm.DEFAULT_DECODING), ``beam_width``,
    ``batch_size``, ``dpi`` (PDF pages), ``width``/``height`` (the input size; width None: each line its own)."""

    def __init__(self, run=None, weights=None, charset=None, engine='auto', precision='auto', lm=DEFAULT_DECODING,
                 beam_width=0, batch_size=64, dpi=150, width=None, height=32, log=None, threads=None):
        from utils.weights.engine import load_engine
        self.model, self.charset, self.size, self.engine = load_engine(engine, run, weights, charset, width, height,
                                                                       precision=precision, log=log, threads=threads)
        self.lm, self.beam_width, self.batch_size, self.dpi = lm, beam_width, batch_size, dpi
        self._args = dict(run=run, weights=weights, charset=charset, engine=engine, precision=precision, lm=lm,
                          beam_width=beam_width, batch_size=batch_size, dpi=dpi, width=width, height=height)

    @classmethod
    def from_model(cls, model, charset, height=32, lm=DEFAULT_DECODING, beam_width=0, batch_size=64, dpi=150):
        """A Reader over a prediction model already in memory (a Keras model of any width, e.g. one just
        trained in the notebook), without loading weights; decoding as the Reader's."""
        reader = cls.__new__(cls)
        reader.model, reader.charset, reader.size, reader.engine = model, charset, (None, height), 'keras'
        reader.lm, reader.beam_width, reader.batch_size, reader.dpi = lm, beam_width, batch_size, dpi
        reader._args = None  # a model in memory: read in this process only
        return reader

    def recognize(self, images):
        """(texts, confidences) of gray line images (uint8 arrays)."""
        return recognize_images(self.model, self.charset, images, self.size, self.batch_size, self.beam_width,
                                self.lm)

    def read_lines(self, images):
        """LineReadings of line images: paths, numpy arrays or PIL images, one text line each."""
        images = list(images)
        texts, confidences = self.recognize([as_gray(image) for image in images])
        return [LineReading(t, round(float(c), 4), str(image) if isinstance(image, str) or hasattr(
            image, '__fspath__') else None) for image, t, c in zip(images, texts, confidences)]

    def read_page(self, image, source=None, number=1):
        """The Page of one page image: a path (its first page), a numpy array or a PIL image."""
        from crnn_page import read_lines
        if isinstance(image, str) or hasattr(image, '__fspath__'):
            source = source or str(image)
            gray = next(self._pages(str(image)))
        else:
            gray = as_gray(image)
        lines, skew, turn = read_lines(gray, self.recognize)
        return Page(source, number, int(gray.shape[1]), int(gray.shape[0]), skew, turn, lines, gray)

    def read(self, path, notes=None) -> Iterator[Page]:
        """The Pages of a file (image, multi-page TIFF, PDF), each read when it is asked for. ``notes``: a list
        that takes what was done to read it (a downscaled page)."""
        for number, gray in enumerate(self._pages(path, notes), 1):
            yield self.read_page(gray, path, number)

    def read_files(self, paths, workers=1, images=True):
        """(path, Page or ReadError, notes) for each page of each file, in order; a file that cannot be read
        gives one ReadError and nothing more. ``workers`` > 1: pages read by that many processes at once, each
        with its own recognizer on its share of the cores (as parallel Tesseract processes share them; a Reader
        over a model in memory reads in this process). ``images``: keep each Page's image."""
        if workers <= 1 or not self._args or self.engine != 'onnx':
            for path in paths:
                notes = []
                try:
                    for page in self.read(path, notes):
                        if not images:
                            page.image = None
                        yield path, page, list(notes)
                        notes.clear()
                except ReadError as e:
                    yield path, e, notes
            return
        yield from read_in_processes(self._args, paths, workers, images)

    def _pages(self, path, notes=None):
        from utils.page_files import PageReadError, iter_pages
        pages = iter_pages(path, self.dpi, notes=notes)
        while True:
            try:
                gray = next(pages)
            except StopIteration:
                return
            except PageReadError as e:
                raise ReadError(str(e)) from None
            yield gray


AUTO_WORKERS_PAGES = 4  # from this many pages on, read_files' callers take one process per core (auto_workers)


def auto_workers(pages):
    """The processes to read ``pages`` pages with: one per core for many pages, one for a few (each process
    loads its own recognizer, which a few pages would not repay)."""
    import os
    return (os.cpu_count() or 1) if pages >= AUTO_WORKERS_PAGES else 1


def page_units(paths):
    """(path, page index or the ReadError of an unreadable file) of each page of ``paths``, in order."""
    from utils.page_files import PageReadError, count_pages
    for path in paths:
        try:
            count = count_pages(path)
        except PageReadError as e:
            yield path, ReadError(str(e))
            continue
        for index in range(count):
            yield path, index


def read_in_processes(args, paths, workers, images=True):
    """Reader.read_files's pages read by ``workers`` processes, each a Reader of ``args`` on its share of the
    cores; the results come back in order."""
    import multiprocessing
    import os
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context('spawn')  # never fork a process whose ONNX Runtime threads run
    failed = set()
    with context.Pool(workers, _start_worker, (args, threads, images)) as pool:
        for path, page, notes in pool.imap(_read_unit, page_units(paths)):
            if path in failed:
                continue
            if isinstance(page, ReadError):
                failed.add(path)
            yield path, page, notes


_WORKER = {}


def _start_worker(args, threads, images):
    _WORKER.update(reader=Reader(**args, threads=threads), images=images)


def _read_unit(unit):
    from utils.page_files import PageReadError, page_at
    path, index = unit
    if isinstance(index, ReadError):
        return path, index, []
    reader, notes = _WORKER['reader'], []
    try:
        page = reader.read_page(page_at(path, index, reader.dpi, notes=notes), path, index + 1)
    except (PageReadError, ReadError) as e:
        return path, ReadError(str(e)), notes
    if not _WORKER['images']:
        page.image = None
    return path, page, notes
