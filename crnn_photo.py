"""Pages in photographs: find the page on its background and undo the
perspective (find_page, unwarp), even out light and shadow (flatten_light),
and straighten lines bowed by a curled page (line_field, straighten), before
crnn_page finds the lines. A flat scan, whose page fills the image, has no page
outline to find and no bowed lines, and passes unchanged.
"""

import cv2
import numpy as np

FIND_SIZE = 800  # the long side the page outline is looked for at (pixels)
MIN_PAGE_AREA, MAX_PAGE_AREA = 0.2, 0.97  # share of the image a found page covers; more: a scan, nothing to warp
PAGE_CONTRAST = 25  # the page is at least this much brighter than what surrounds it (gray levels)
UNEVEN_LIGHT = 0.12  # paper brightness that varies more than this share across the page is flattened
STRIPS, BANDS = 24, 4  # a bowed line's height is followed in this many vertical strips, in this many page bands
MAX_STEP = 0.25  # the most a line rises or falls from one strip to the next, as a share of the strip's width
MIN_BOW = 4.0  # lines that bow less than this (pixels, beyond a straight slope) are left as they are
# a page photographed larger than this (pixels, long side; an A4 page at about 250 dpi) is read averaged down to it:
# as accurate on 12-megapixel photos, and faster (BENCHMARKS 'photos')
MAX_PAGE_SIDE = 3000
PAGE_RIM = 0.01  # the page's outermost share (of its longer side) painted over once seen flat: desk, not text


def order_corners(points):
    """Four corners of a convex quadrilateral clockwise (in image coordinates) from the top-left one."""
    points = np.asarray(points, np.float32).reshape(4, 2)
    centre = points.mean(axis=0)
    points = points[np.argsort(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]))]
    return np.roll(points, -int(np.argmin(points.sum(axis=1))), axis=0)


def _intersection(a, b):
    """Where the lines through the segments ``a`` and ``b`` cross (None when parallel)."""
    (x1, y1), (x2, y2) = a
    (x3, y3), (x4, y4) = b
    d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(d) < 1e-6:
        return None
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d
    return x1 + t * (x2 - x1), y1 + t * (y2 - y1)


def _quad(contour, shape):
    """Four corners of a contour's convex hull when it covers MIN_PAGE_AREA..MAX_PAGE_AREA of an image of
    ``shape``: where its four longest sides cross, leaving out sides along the frame (a page the frame cuts
    gets its corner outside the frame back); None when it has fewer than four or they make no convex quad."""
    h, w = shape
    hull = cv2.convexHull(contour)
    if not MIN_PAGE_AREA <= cv2.contourArea(hull) / float(h * w) <= MAX_PAGE_AREA:
        return None
    poly = cv2.approxPolyDP(hull, 0.01 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float64)
    sides = [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]
    on_frame = lambda a, b: any(abs(a[k] - v) < 3 and abs(b[k] - v) < 3 for k, v in ((0, 0), (0, w - 1), (1, 0),
                                                                                      (1, h - 1)))
    sides = [(i, s) for i, s in enumerate(sides) if not on_frame(*s)]
    if len(sides) < 4:
        return None
    longest = sorted(sorted(sides, key=lambda item: -np.linalg.norm(item[1][1] - item[1][0]))[:4])
    corners = [_intersection(longest[k - 1][1], longest[k][1]) for k in range(4)]
    if any(c is None for c in corners):
        return None
    quad = np.float32(corners)
    return quad if cv2.isContourConvex(quad.reshape(-1, 1, 2)) else None


def find_page(gray):
    """The four corners (image pixels, clockwise from the top-left) of a page lying on a darker background, or
    None: no convex quadrilateral covering MIN_PAGE_AREA..MAX_PAGE_AREA of the image and clearly brighter than
    its surroundings (a scan, a page that fills the frame, a dark page). The outline is the largest closed edge
    (a shadow's edge is soft and has none); a page cut by the frame is closed by the frame's edge, and its
    corner outside the frame estimated."""
    h, w = gray.shape
    scale = FIND_SIZE / max(h, w)
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    edges = cv2.dilate(cv2.Canny(small, 30, 90), np.ones((3, 3), np.uint8))
    cv2.rectangle(edges, (0, 0), (edges.shape[1] - 1, edges.shape[0] - 1), 255, 1)  # closes a page the frame cuts
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    quads = [q for q in (_quad(c, small.shape) for c in sorted(contours, key=cv2.contourArea, reverse=True)[:20])
             if q is not None]
    for quad in sorted(quads, key=cv2.contourArea, reverse=True):
        inside = np.zeros_like(small)
        cv2.fillConvexPoly(inside, quad.astype(np.int32), 1)
        if np.median(small[inside == 1]) - np.median(small[inside == 0]) >= PAGE_CONTRAST:
            return order_corners(quad / scale)
    return None


def unwarp(gray, corners):
    """(the page seen flat, the 3x3 homography from its pixels to the image's): the quadrilateral ``corners``
    warped to an upright rectangle as large as its longer opposite edges, at most MAX_PAGE_SIDE on its long
    side (averaged down, INTER_AREA), its rim (PAGE_RIM) painted with the paper just inside it."""
    tl, tr, br, bl = corners
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    flat = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    to_flat = cv2.getPerspectiveTransform(np.float32(corners), flat)
    page = cv2.warpPerspective(gray, to_flat, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    to_image = np.linalg.inv(to_flat)
    scale = MAX_PAGE_SIDE / max(width, height)
    if scale < 1:
        width, height = max(1, int(round(width * scale))), max(1, int(round(height * scale)))
        page = cv2.resize(page, (width, height), interpolation=cv2.INTER_AREA)
        to_image = to_image @ np.diag([1 / scale, 1 / scale, 1.0])
    # a corner found a pixel or two off leaves a sliver of desk along the rim, which the reading order would take
    # for a narrow column level with every line (crnn_layout.rows_across); printed text keeps a wider margin
    rim = max(1, int(round(PAGE_RIM * max(width, height))))
    if min(width, height) > 4 * rim:
        page[:rim] = np.median(page[rim:2 * rim], axis=0)
        page[-rim:] = np.median(page[-2 * rim:-rim], axis=0)
        page[:, :rim] = np.median(page[:, rim:2 * rim], axis=1, keepdims=True)
        page[:, -rim:] = np.median(page[:, -2 * rim:-rim], axis=1, keepdims=True)
    return page, to_image


def paper_light(gray):
    """The paper's brightness at every pixel: the page with its ink removed (a max filter wider than glyphs, on
    a reduced copy), smoothed at page scale."""
    h, w = gray.shape
    scale = min(1.0, 400.0 / max(h, w))
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(small.shape[1] / 25)) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper.astype(np.float32), (0, 0), k)
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def flatten_light(gray):
    """``gray`` with its paper made evenly bright where light and shadow vary across the page by more than
    UNEVEN_LIGHT; otherwise ``gray`` itself."""
    paper = paper_light(gray)
    lo, hi = np.percentile(paper, (5, 95))
    if hi <= 0 or (hi - lo) / hi <= UNEVEN_LIGHT:
        return gray
    return np.clip(gray.astype(np.float32) / np.maximum(paper, 1.0) * 245.0, 0, 255).astype(np.uint8)


def map_polygon(polygon, matrix):
    """A polygon's points moved by a 3x3 homography (from the flat page to the photo)."""
    points = cv2.perspectiveTransform(np.float32(polygon).reshape(-1, 1, 2), matrix).reshape(-1, 2)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]


def _strip_offsets(ink, rows, edges, max_lag):
    """The height of the lines in each strip (columns ``edges``) of ``rows`` relative to the inkiest middle
    strip, followed strip to strip by the shift that best aligns their row profiles; and each strip's ink."""
    profiles = [cv2.GaussianBlur(ink[rows, a:b].sum(1, dtype=np.float32).reshape(-1, 1), (1, 0), 2).ravel()
                for a, b in zip(edges[:-1], edges[1:])]
    weights = np.array([p.sum() for p in profiles])
    shifts = np.zeros(len(profiles))
    for i in range(1, len(profiles)):
        a, b = profiles[i - 1], profiles[i]
        if min(weights[i - 1], weights[i]) < 0.2 * weights.max():
            continue  # a margin or gutter: nothing to follow across
        scores = [float(np.dot(a[max(0, -s):len(a) - max(0, s)], b[max(0, s):len(b) - max(0, -s)]))
                  for s in range(-max_lag, max_lag + 1)]
        k = int(np.argmax(scores))
        if 0 < k < len(scores) - 1:  # the peak between pixels: the parabola through it and its neighbours
            left, peak, right = scores[k - 1:k + 2]
            k += 0.5 * (left - right) / min(left - 2 * peak + right, -1e-9)
        shifts[i] = k - max_lag
    offsets = np.cumsum(shifts)
    middle = len(profiles) // 4 + int(np.argmax(weights[len(profiles) // 4: 3 * len(profiles) // 4]))
    return offsets - offsets[middle], weights


def line_field(gray):
    """Where the page's lines bow (a curled page, a fold): the vertical displacement (h, w) of its lines from
    straight rows (a line's point at (x, y) lies at (x, y + field[y, x])), followed in STRIPS strips within
    BANDS bands of the page and fitted by a parabola in each band; None unless at least two bands bow by
    MIN_BOW pixels or more, clearly (3x) beyond how far the strips stray from their parabola: a flat or merely
    skewed page (which crnn_page deskews) passes as it is."""
    h, w = gray.shape
    ink = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    edges = np.linspace(0, w, STRIPS + 1).astype(int)
    centers, max_lag = (edges[:-1] + edges[1:]) / 2.0, max(2, int(MAX_STEP * w / STRIPS))
    xs, band_centers, curves, bowed = np.arange(w, dtype=np.float32), [], [], 0
    for k in range(BANDS):
        rows = slice(int(k * h / BANDS), int((k + 1) * h / BANDS))
        offsets, weights = _strip_offsets(ink, rows, edges, max_lag)
        used = weights >= 0.2 * weights.max() if weights.max() > 0 else np.zeros(len(weights), bool)
        if used.sum() < 6:
            continue
        fit = np.polyfit(centers[used], offsets[used], 2, w=np.sqrt(weights[used]))
        stray = float(np.sqrt(np.mean((offsets[used] - np.polyval(fit, centers[used])) ** 2)))
        span = centers[used].max() - centers[used].min()
        bow = abs(fit[0]) * span * span / 4  # the parabola's rise over its span beyond the straight slope
        bowed += bow >= MIN_BOW and bow >= 3 * stray
        band_centers.append((rows.start + rows.stop) / 2.0)
        curves.append(np.polyval(fit, np.clip(xs, centers[used].min(), centers[used].max())))
    if bowed < 2:
        return None
    curves = np.array(curves)
    # the slope the bands share is the page's skew: left in, crnn_page's deskew turns text and rules alike
    skew = np.median([np.polyfit(xs, curve, 1)[0] for curve in curves])
    curves -= skew * (xs - w / 2)
    weights_y = np.array([np.interp(np.arange(h), band_centers, np.eye(len(curves))[j]) for j in range(len(curves))])
    return (weights_y.T @ curves).astype(np.float32)


def straighten(gray, field):
    """``gray`` with its bowed lines (line_field) made straight rows."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(gray, xx, yy + field, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def unstraighten_polygon(polygon, field):
    """A polygon of the straightened page in the pixels of the page before straightening."""
    h, w = field.shape
    return [[x, round(float(y + field[min(max(int(y), 0), h - 1), min(max(int(x), 0), w - 1)]), 1)]
            for x, y in polygon]
