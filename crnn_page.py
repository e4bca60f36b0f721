"""Text lines of a printed page: deskew, binarize, drop ruling lines, cut the
page into lines in reading order, and crop each line for the CRNN.

A classical line finder for clean printed documents (contracts, forms): no
training, pure functions of numpy images. The stages, each usable alone:

    gray = read_page(path)[0]                # utils.page_files: PNG/JPG/TIFF, or PDF pages
    mask = binarize(gray)                    # ink = 1, uneven background removed
    angle = estimate_skew(mask)              # degrees, within +-5
    lines = find_lines(gray)                 # [PageLine] in reading order
    crops = [crop_line(g, l) for l in lines] # line images for the recognizer

Reading order comes from crnn_layout (ruling lines, recursive XY-cut).
"""
from dataclasses import dataclass, field

import cv2
import numpy as np

from crnn_layout import find_rules, split_stacked, xy_cut
from crnn_utils import drop_leaders
from crnn_photo import (find_page, flatten_light, line_field, map_polygon, straighten, unstraighten_polygon,
                        unwarp)


MAX_SKEW = 5.0
SIDEWAYS_MARGIN = 1.5  # columns this much sharper than rows: the page lies on its side
UNSURE_PAGE_CONFIDENCE = 0.8  # a page read with a lower mean line confidence is tried in the other orientations
TURN_MARGIN = 0.1  # a page is turned only when it reads this much more confidently turned (mean line confidence)
SAMPLE_LINES = 8  # the widest lines read both ways to decide whether a page lies on its side


@dataclass
class PageLine:
    """One text line: its box in the deskewed page, the same box as a polygon
    in the page's own pixels, and (once recognized) its text and confidence."""
    box: tuple  # x0, y0, x1, y1 in the deskewed page
    polygon: list  # 4 [x, y] corners in page pixels, clockwise from top-left
    text: str = ''
    confidence: float = 0.0
    row: int = -1  # the table row the line is a cell of (ruling lines between cells); -1: not in a table
    cells: list = field(default_factory=list)  # a table row's cells (PageLine), left to right


CELL_SEPARATOR = ' '  # between the cells of a table row read as one line, as a PDF's text layer has them
CELL_MARK = ' | '  # between the cells where they are asked for (CRNN_predict.py --cells, the correction page)


def binarize(gray, background_kernel=31):
    """Ink mask (uint8 0/1): each pixel against its local paper brightness (a
    max filter wider than any stroke), so shading and uneven scans drop out,
    then Otsu's threshold, never above 75% of the paper's brightness."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (background_kernel, background_kernel))
    background = cv2.dilate(gray, kernel).astype(np.float32)
    norm = np.clip(gray.astype(np.float32) / np.maximum(background, 1.0) * 255.0, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return (norm <= min(otsu, 0.75 * 255)).astype(np.uint8)  # Otsu's dark class: <= its threshold


def remove_specks(mask, min_area=4):
    """The mask without connected components of fewer than ``min_area`` pixels (scan noise)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[labels]


def estimate_skew(mask, max_angle=MAX_SKEW):
    """Skew of the text lines in degrees (positive: turned counter-clockwise,
    as cv2.getRotationMatrix2D turns): the angle whose row projection of the
    ink is the sharpest, found coarse (0.25 deg) then fine (0.02 deg)."""
    return skew_and_sharpness(mask, max_angle)[0]


def skew_and_sharpness(mask, max_angle=MAX_SKEW):
    """(estimate_skew's angle, how sharp the row projection is there per ink pixel): rows of text give sharp
    projections, the same page turned sideways flat ones."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 50:
        return 0.0, 0.0
    if len(xs) > 200_000:
        pick = np.random.default_rng(0).choice(len(xs), 200_000, replace=False)
        xs, ys = xs[pick], ys[pick]
    # whole-pixel centre: with a half-pixel one (odd sizes) every row lands on .5 and rounding folds rows together
    xs = xs - mask.shape[1] // 2
    ys = ys - mask.shape[0] // 2

    def sharpness(deg):
        t = np.deg2rad(deg)
        rows = np.round(ys * np.cos(t) + xs * np.sin(t)).astype(np.int64)
        step = np.diff(np.bincount(rows - rows.min()).astype(np.float64))
        return float(np.dot(step, step))  # sharp line edges: the rows' ink changes most at the right angle

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.25)
    best = coarse[int(np.argmax([sharpness(a) for a in coarse]))]
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.02)
    scores = [sharpness(a) for a in fine]
    return float(np.round(fine[int(np.argmax(scores))], 2)), max(scores) / len(xs)


def scan_ink(gray, max_skew=MAX_SKEW):
    """(ink mask without specks, skew, row sharpness) of a page: what is_sideways and find_lines both start
    from, so that a page read as it lies computes it once."""
    mask = remove_specks(binarize(gray))
    return (mask,) + skew_and_sharpness(mask, max_skew)


def is_sideways(gray, ink=None):
    """Whether the page's text lines run up or down (scanned at 90 or 270 degrees): its columns project
    sharper than its rows. ``ink``: the page's scan_ink, if known."""
    mask, _, rows = ink or scan_ink(gray)
    return skew_and_sharpness(mask.T)[1] > SIDEWAYS_MARGIN * rows


def turn_polygon(polygon, shape, turns):
    """A polygon of the image np.rot90(image, turns), in the pixels of the image of ``shape`` (h, w) itself,
    clockwise from its top-left corner."""
    h, w = shape[:2]
    points = [list(map(float, p)) for p in polygon]
    for k in range(turns % 4, 0, -1):  # undo the quarter turns, last first
        width_before = w if (k - 1) % 2 == 0 else h
        points = [[width_before - y, x] for x, y in points]
    first = min(range(len(points)), key=lambda i: points[i][0] + points[i][1])
    return [[round(x, 1), round(y, 1)] for x, y in points[first:] + points[:first]]


def rotation(shape, angle):
    """The 2x3 affine that undoes a skew of ``angle`` degrees of an image of ``shape`` (about its centre)."""
    h, w = shape[:2]
    return cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -angle, 1.0)


def deskew(img, angle, border=255, nearest=False):
    """``img`` turned back by its skew of ``angle`` degrees about its centre, same size, ``border`` outside;
    ``nearest`` for masks, whose pixels must stay 0 or 1."""
    if angle == 0:
        return img
    return cv2.warpAffine(img, rotation(img.shape, angle), (img.shape[1], img.shape[0]), borderValue=border,
                          flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR)


def text_height(mask):
    """Typical glyph height in pixels: the median height of the ink's
    components that look like glyphs or glyph parts (0 without ink)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    glyph = (h >= 4) & (h < 200) & (w < 5 * h)
    return float(np.median(h[glyph])) if glyph.any() else 0.0


def box_polygon(box, matrix):
    """The corners of ``box`` (x0, y0, x1, y1) moved by a 2x3 affine ``matrix``: 4 [x, y], clockwise from top-left."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float64)
    return np.round(corners @ matrix.T, 1).tolist()


def find_lines(gray, max_skew=MAX_SKEW, ink=None):
    """(lines, angle): the page's text lines in reading order and its skew in degrees. ``ink``: the page's
    scan_ink, if known."""
    mask, angle, _ = ink or scan_ink(gray, max_skew)
    upright = deskew(mask, angle, border=0, nearest=True)
    height = text_height(upright)
    if height == 0:
        return [], angle
    h_rules, v_rules = find_rules(upright, height)
    text = np.where(h_rules | v_rules, 0, upright).astype(np.uint8)
    text = remove_specks(text, min_area=max(4, int(0.01 * height * height)))
    # what is left of rules where text touched them is thinner or flatter than any glyph
    boxes = level_cells(split_stacked(text, [b for b in xy_cut(text, h_rules, v_rules, 1.5 * height,
                                                               max(2, 0.3 * height))
                                             if b[3] - b[1] >= 0.5 * height and b[2] - b[0] >= 0.3 * height]),
                        2 * height)
    inverse = cv2.invertAffineTransform(rotation(gray.shape, angle))
    pad = max(2, int(0.15 * height))
    lines = []
    for x0, y0, x1, y1, row in boxes:
        padded = (max(0, x0 - pad), max(0, y0 - pad), min(gray.shape[1], x1 + pad), min(gray.shape[0], y1 + pad))
        lines.append(PageLine(box=padded, polygon=box_polygon(padded, inverse), row=row))
    return lines, angle


def level_cells(boxes, tallest):
    """Boxes (x0, y0, x1, y1, row) with the cells of a table row that print on one line given that line's
    height: a cell of figures alone ('2030. 9. 9.', '71.3%') is shorter than its Hangul neighbours, and cropped
    that tight it reads as larger type than it is. Only boxes up to ``tallest`` are lines."""
    cells = [b for b in boxes if b[4] >= 0 and b[3] - b[1] <= tallest]
    out = []
    for x0, y0, x1, y1, row in boxes:
        if (x0, y0, x1, y1, row) in cells:
            peers = [b for b in cells if b[4] == row
                     and min(y1, b[3]) - max(y0, b[1]) > 0.5 * min(y1 - y0, b[3] - b[1])]
            y0, y1 = min(b[1] for b in peers), max(b[3] for b in peers)
        out.append((x0, y0, x1, y1, row))
    return out


def crop_line(upright_gray, line):
    """The line's image (gray uint8) from the deskewed page."""
    x0, y0, x1, y1 = line.box
    return upright_gray[y0:y1, x0:x1]


def page_text(lines):
    """The page as text: one line per detected line, in reading order."""
    return '\n'.join(line.text for line in lines)


def polygon_iou(a, b):
    """Intersection over union of two convex polygons ([[x, y], ...])."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = cv2.contourArea(a) + cv2.contourArea(b) - inter
    return float(inter / union) if union > 0 else 0.0


def match_lines(found, truth, threshold=0.5):
    """(recall, precision) of found line polygons against true ones: a one-to-one
    greedy matching of pairs with IoU >= ``threshold``, best pairs first."""
    pairs = sorted(((polygon_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)
                    if abs(np.mean(np.asarray(f)[:, 1]) - np.mean(np.asarray(t)[:, 1])) < 200), reverse=True)
    used_f, used_t = set(), set()
    for iou, i, j in pairs:
        if iou >= threshold and i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return (len(used_t) / len(truth) if truth else 1.0), (len(used_f) / len(found) if found else 1.0)


def read_upright(gray, recognize, max_skew=MAX_SKEW, ink=None):
    """(lines with text and confidence, skew in degrees) of a page whose text
    runs left to right: find_lines, each line cropped from the deskewed page,
    then ``recognize(images) -> (texts, confidences)``, leader dots made one
    space (crnn_utils.drop_leaders). Lines read as empty (specks, stray marks)
    are left out. Lines bowed by a curled page are straightened first
    (crnn_photo.line_field); polygons stay in ``gray``'s pixels. ``ink``: the page's scan_ink, if known."""
    field = line_field(gray)
    if field is not None:
        gray, ink = straighten(gray, field), None
    lines, angle = find_lines(gray, max_skew, ink)
    if not lines:
        return [], angle
    upright = deskew(gray, angle)
    texts, confidences = recognize([crop_line(upright, line) for line in lines])
    for line, text, confidence in zip(lines, texts, confidences):
        line.text, line.confidence = drop_leaders(text), round(float(confidence), 4)
        if field is not None:
            line.polygon = unstraighten_polygon(line.polygon, field)
    return join_table_rows([line for line in lines if line.text]), angle


def join_table_rows(lines):
    """The cells of each table row as one line: texts joined by CELL_SEPARATOR in reading order, the box
    around them all, the mean confidence; the cells kept in ``cells``."""
    out = []
    for line in lines:
        if line.row >= 0 and out and out[-1].row == line.row:
            row = out[-1]
            if not row.cells:
                row.cells = [PageLine(row.box, row.polygon, row.text, row.confidence, row.row)]
            row.cells.append(line)
            row.text = CELL_SEPARATOR.join(c.text for c in row.cells)
            row.confidence = round(float(np.mean([c.confidence for c in row.cells])), 4)
            first, last = row.cells[0].polygon, line.polygon  # corners clockwise from the top-left
            row.polygon = [first[0], last[1], last[2], first[3]]
            row.box = tuple(f(a, b) for f, a, b in zip((min, min, max, max), row.box, line.box))
        else:
            out.append(line)
    return out


def marked_cells(line):
    """A line's text with CELL_MARK between a table row's cells (other lines as they are)."""
    return CELL_MARK.join(cell.text for cell in line.cells) if line.cells else line.text


def mean_confidence(lines):
    return float(np.mean([line.confidence for line in lines])) if lines else 0.0


def rotated(gray, turns):
    """``gray`` turned ``turns`` quarters counter-clockwise, contiguous for OpenCV."""
    return np.ascontiguousarray(np.rot90(gray, turns))


def sample_confidence(gray, recognize, max_skew=MAX_SKEW, ink=None):
    """The mean confidence of the page's SAMPLE_LINES widest lines as read (0 without lines)."""
    lines, angle = find_lines(gray, max_skew, ink)
    if not lines:
        return 0.0
    widest = sorted(lines, key=lambda line: line.box[2] - line.box[0], reverse=True)[:SAMPLE_LINES]
    upright = deskew(gray, angle)
    return float(np.mean(recognize([crop_line(upright, line) for line in widest])[1]))


def most_confident_turn(gray, recognize, max_skew, turns):
    """(quarter turns, sample_confidence) of the orientation among ``turns`` whose widest lines read most
    confidently."""
    confidence = {t % 4: sample_confidence(rotated(gray, t), recognize, max_skew) for t in turns}
    best = max(confidence, key=confidence.get)
    return best, confidence[best]


def sideways_turns(gray, recognize, max_skew=MAX_SKEW, ink=None):
    """1 or 3 (counter-clockwise quarter turns) when the page lies on its side: its columns project sharper than
    its rows (is_sideways) and its widest lines read clearly more confidently (TURN_MARGIN) turned that way, the
    better of the two quarter turns; else 0. Both are tried, since a quarter turn one way leaves a page that lay
    on its side the other way upside down, whose lines may read no better than sideways. The recognizer's word
    keeps perspective, shadows and pictures from turning an upright page. ``ink``: the page's scan_ink, if
    known."""
    if not is_sideways(gray, ink):
        return 0
    best, confidence = most_confident_turn(gray, recognize, max_skew, (1, 3))
    return best if confidence > sample_confidence(gray, recognize, max_skew, ink) + TURN_MARGIN else 0


def read_lines(gray, recognize, max_skew=MAX_SKEW):
    """(lines, skew in degrees, turn in degrees) of a gray page in any of the
    four orientations, flat or photographed: a page on a darker background is
    found and seen flat (crnn_photo), uneven light evened out, a page on its
    side (sideways_turns) turned a quarter, and a page read with a mean
    confidence under UNSURE_PAGE_CONFIDENCE tried in the other three
    orientations (other_turns). The turn is counter-clockwise, what was done
    to read the page; polygons stay in the image's own pixels."""
    corners = find_page(gray)
    page, to_image = unwarp(gray, corners) if corners is not None else (gray, None)
    page = flatten_light(page)
    ink = scan_ink(page, max_skew)
    turns = sideways_turns(page, recognize, max_skew, ink)
    (lines, angle), turns = other_turns(page, recognize, max_skew, turns,
                                        read_upright(rotated(page, turns), recognize, max_skew, None if turns else ink))
    for line in lines:
        for part in [line] + line.cells:
            if turns:
                part.polygon = turn_polygon(part.polygon, page.shape, turns)
            if to_image is not None:
                part.polygon = map_polygon(part.polygon, to_image)
    return lines, angle, 90 * turns


def other_turns(page, recognize, max_skew, turns, reading):
    """(reading, turns): ``reading`` (read_upright's, of ``page`` turned ``turns`` quarters) when its mean
    confidence is UNSURE_PAGE_CONFIDENCE or more; else the page's widest lines are read in the other three
    orientations too, and the most confident one read whole and kept if it reads clearly (TURN_MARGIN) more
    confidently. The photo of a page on its side often projects no sharper across than along (its syllables
    line up in columns too), so is_sideways alone does not find it."""
    confidence = mean_confidence(reading[0])
    if confidence >= UNSURE_PAGE_CONFIDENCE:
        return reading, turns
    best, sampled = most_confident_turn(page, recognize, max_skew, (turns + 1, turns + 2, turns + 3))
    if sampled <= confidence + TURN_MARGIN:
        return reading, turns
    other = read_upright(rotated(page, best), recognize, max_skew)
    return (other, best) if mean_confidence(other[0]) > confidence + TURN_MARGIN else (reading, turns)


def page_record(source, number, shape, lines, angle, turn=0):
    """The JSON record of one page: its size (``shape``: the page image's (height, width)), skew, the turn that
    made it readable and its lines (polygon in page pixels, text, confidence)."""
    return dict(source=source, page=number, width=int(shape[1]), height=int(shape[0]), skew=angle, turn=turn,
                lines=[line_record(line) for line in lines])


def line_record(line, column=None):
    """A line's JSON: polygon, text, confidence; a table row's number (from 0, ``row``) and its cells, each with
    its ``column``."""
    out = dict(polygon=line.polygon, text=line.text, confidence=line.confidence)
    if line.cells:
        out['row'] = line.row
        out['cells'] = [line_record(cell, k) for k, cell in enumerate(line.cells)]
    if column is not None:
        out['column'] = column
    return out


def draw_overlay(gray, lines, font_path, color=(220, 0, 0)):
    """An RGB picture for a person to check a reading: the page with each line's box on the left, and on the
    right, at each line's height and about its size, the text read there (low-confidence lines in red)."""
    from PIL import Image, ImageDraw, ImageFont
    h, w = gray.shape[:2]
    img = Image.new('RGB', (2 * w, h), (255, 255, 255))
    img.paste(Image.fromarray(gray).convert('RGB'), (0, 0))
    draw = ImageDraw.Draw(img)
    for line in lines:
        poly = [tuple(p) for p in line.polygon]
        draw.polygon(poly, outline=color)
        top, bottom = min(p[1] for p in poly), max(p[1] for p in poly)
        font = ImageFont.truetype(font_path, max(10, int(0.7 * (bottom - top))))
        x = w + max(0.0, min(p[0] for p in poly))
        fill = (0, 60, 220) if line.confidence >= 0.8 else (220, 0, 0)
        draw.text((x, top), line.text, font=font, fill=fill)
    return img
