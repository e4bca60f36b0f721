"""Page files as gray pages: PNG, JPEG, BMP, every page of a TIFF or a PDF,
with the size of what is decoded bounded (crnn_page reads the pages these give)."""
import os
import re

import cv2
import numpy as np

MAX_PIXELS = 40_000_000  # larger scans are downscaled (an A4 page at 600 dpi has 35 MP)
DECODE_FACTOR = 4  # an image over 4 x max_pixels is decoded reduced (JPEG) or refused, never decoded whole
PDF_DPI = 150
PAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.pdf')


class PageReadError(ValueError):
    """A page file that cannot be read: missing, not an image, a PDF without pages."""


def _downscale(gray, max_pixels, notes):
    pixels = gray.shape[0] * gray.shape[1]
    if pixels <= max_pixels:
        return gray
    f = (max_pixels / pixels) ** 0.5
    size = (max(1, int(gray.shape[1] * f)), max(1, int(gray.shape[0] * f)))
    notes.append('page of %dx%d px downscaled to %dx%d (over %d MP)' % (gray.shape[1], gray.shape[0], size[0],
                                                                       size[1], max_pixels // 1_000_000))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def read_page(path, dpi=PDF_DPI, max_pixels=MAX_PIXELS, notes=None):
    """Gray uint8 pages of an image file (one, or each frame of a TIFF) or a
    PDF (each page rendered at ``dpi``). Pages over ``max_pixels`` are
    downscaled, with a line added to ``notes``. Raises PageReadError."""
    return list(iter_pages(path, dpi, max_pixels, notes))


def iter_pages(path, dpi=PDF_DPI, max_pixels=MAX_PIXELS, notes=None):
    """read_page's pages one at a time: a PDF's pages are rendered as they are
    asked for, so a long document never sits in memory whole."""
    notes = [] if notes is None else notes
    if not os.path.isfile(path):
        raise PageReadError('%s: no such file' % path)
    pages = _iter_pdf(path, dpi, max_pixels) if path.lower().endswith('.pdf') else _read_image(path, max_pixels, notes)
    for page in pages:
        yield _downscale(page, max_pixels, notes)


def page_at(path, index, dpi=PDF_DPI, max_pixels=MAX_PIXELS, notes=None):
    """Page ``index`` (from 0) of a page file as iter_pages gives it; a PDF renders that page alone."""
    notes = [] if notes is None else notes
    if not path.lower().endswith('.pdf'):
        for k, page in enumerate(iter_pages(path, dpi, max_pixels, notes)):
            if k == index:
                return page
        raise PageReadError('%s: has no page %d' % (path, index + 1))
    pdf = _open_pdf(path)
    if not 0 <= index < len(pdf):
        raise PageReadError('%s: has no page %d' % (path, index + 1))
    return _downscale(_render(pdf[index], dpi, max_pixels), max_pixels, notes)


def count_pages(path):
    """How many pages a page file holds (a PDF's page count, a TIFF's frames), without rendering them."""
    if not os.path.isfile(path):
        raise PageReadError('%s: no such file' % path)
    if path.lower().endswith('.pdf'):
        return len(_open_pdf(path))
    from PIL import Image
    bomb_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as image:
            return getattr(image, 'n_frames', 1)
    except (OSError, ValueError):
        raise PageReadError('%s: not a readable image (PNG, JPG, TIFF, BMP or PDF)' % path) from None
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit


def _read_image(path, max_pixels, notes):
    """Gray pages of an image file, each frame of a multi-page TIFF: alpha
    laid on white paper (text drawn in the alpha channel reads), 16-bit and
    CMYK images made 8-bit gray; an image over DECODE_FACTOR x ``max_pixels``
    is decoded reduced (JPEG, in the DCT) or refused with a PageReadError,
    never decoded whole."""
    from PIL import Image, ImageSequence, UnidentifiedImageError
    bomb_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the size is checked here, before decoding
    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError):
        raise PageReadError('%s: not a readable image (PNG, JPG, TIFF, BMP or PDF)' % path) from None
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit
    pages = []
    try:
        for frame in ImageSequence.Iterator(image):
            w, h = frame.size
            if w * h > DECODE_FACTOR * max_pixels:
                if frame.format != 'JPEG':
                    raise PageReadError('%s: %dx%d px is too large to read (over %d MP): scale it down first'
                                        % (path, w, h, DECODE_FACTOR * max_pixels // 1_000_000))
                f = (max_pixels / (w * h)) ** 0.5
                frame.draft('L', (int(w * f) + 1, int(h * f) + 1))
                notes.append('%s: %dx%d px JPEG decoded reduced to %dx%d' % (path, w, h, *frame.size))
            pages.append(_gray(frame))
    except PageReadError:
        raise
    except (OSError, SyntaxError, ValueError) as e:
        raise PageReadError('%s: not a readable image (%s)' % (path, e)) from None
    if not pages:
        raise PageReadError('%s: the image has no frames' % path)
    return pages


def _gray(frame):
    """8-bit gray of one PIL frame, transparency composited on white."""
    from PIL import Image
    if frame.mode in ('RGBA', 'LA', 'PA') or (frame.mode == 'P' and 'transparency' in frame.info):
        paper = Image.new('RGBA', frame.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(paper, frame.convert('RGBA')).convert('L'))
    if frame.mode.startswith('I') or frame.mode == 'F':
        values = np.asarray(frame, dtype=np.float64)
        top = 65535.0 if values.max() > 255 else 255.0
        return np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return np.asarray(frame.convert('L'))


def _open_pdf(path):
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as e:
        with open(path, 'rb') as f:
            head = f.read(1 << 20)
        if head.startswith(b'%PDF') and re.search(rb'/Type\s*/Pages\b[^>]*/Count\s+0\b', head):
            raise PageReadError('%s: the PDF has no pages' % path) from None  # PDFium refuses empty page trees
        if 'password' in str(e).lower():
            raise PageReadError('%s: the PDF is encrypted (it needs a password): decrypt it first' % path) from None
        raise PageReadError('%s: not a readable PDF (%s)' % (path, e)) from None
    if len(pdf) == 0:
        raise PageReadError('%s: the PDF has no pages' % path)
    return pdf


def _iter_pdf(path, dpi, max_pixels):
    for page in _open_pdf(path):
        yield _render(page, dpi, max_pixels)


def _render(page, dpi, max_pixels):
    w, h = page.get_size()  # points, 1/72 inch
    scale = min(dpi / 72.0, (max_pixels / max(1.0, w * h)) ** 0.5)
    return np.asarray(page.render(scale=scale, grayscale=True).to_pil().convert('L'))
