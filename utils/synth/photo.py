"""Pages as phones photograph them: a rendered page lying on a darker desk,
seen at an angle (perspective), under uneven light with a soft shadow,
slightly out of focus, with sensor noise, saved as JPEG at a phone's size.

``photograph`` returns the photo and the 3x3 homography from page pixels to
photo pixels, so that ground-truth line polygons move with it (held-out
'photo' sets, utils/synth/heldout.py); ``bend`` curls a page first (its lines
bowed, as near a book's spine).
"""

import cv2
import numpy as np

# strength: (corner shift as a share of the page side, lo..hi), shadow darkness, blur sigma at 1550 px, JPEG quality,
# the photo's long side (mild_12mp: mild at a 12-megapixel phone's 4000 x 3000)
STRENGTHS = {
    'mild': dict(corners=(0.02, 0.07), shadow=(0.15, 0.3), blur=(0.4, 0.9), quality=(75, 85), long_side=(2000, 2200)),
    'strong': dict(corners=(0.06, 0.12), shadow=(0.3, 0.5), blur=(0.8, 1.4), quality=(60, 75), long_side=(1800, 4000)),
    'mild_12mp': dict(corners=(0.02, 0.07), shadow=(0.15, 0.3), blur=(0.4, 0.9), quality=(75, 85),
                      long_side=(3900, 4100)),
}


CURL_DEPTH = (0.012, 0.03)  # a curled page's largest vertical displacement of a line, as a share of its height


def bend(gray, rng, depth=CURL_DEPTH):
    """(bent page, displacement): ``gray`` curled as a page near a book's spine or a fold, its lines bowed: a
    point (x, y) of the page moves down by displacement(x, y) (up where negative), most at the sides, the top
    half bowing the other way from the bottom half as a curled page seen from above does."""
    h, w = gray.shape
    amplitude = rng.uniform(*depth) * h * rng.choice([-1, 1])
    sag, middle = rng.uniform(0.2, 0.5), rng.uniform(0.35, 0.65)

    def displacement(x, y):
        u = (np.asarray(x, np.float32) / w - middle) / max(middle, 1 - middle)
        return amplitude * u * u * ((2 * np.asarray(y, np.float32) / h - 1) * (1 - sag) + sag)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bent = cv2.remap(gray, xx, (yy - displacement(xx, yy)).astype(np.float32), cv2.INTER_LINEAR, borderValue=255)
    return bent, displacement


def desk(shape, rng):
    """A desk top: a darker, slightly textured surface of one random tone."""
    tone = rng.uniform(40, 120)
    texture = cv2.GaussianBlur(rng.normal(0, 12, shape).astype(np.float32), (0, 0), 6)
    return np.clip(tone + texture, 0, 255).astype(np.float32)


def light(shape, rng, shadow):
    """A multiplicative light field: a gradient across the frame and a soft shadow (a blurred half-plane)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.15, 0.15, 2)
    field = 1.0 - abs(gx) / 2 - abs(gy) / 2 + gx * xx / w + gy * yy / h
    angle = rng.uniform(0, 2 * np.pi)
    edge = (xx - w * rng.uniform(0.2, 0.8)) * np.cos(angle) + (yy - h * rng.uniform(0.2, 0.8)) * np.sin(angle)
    soft = 1.0 / (1.0 + np.exp(-edge / (0.05 * max(h, w))))
    return field * (1.0 - rng.uniform(*shadow) * soft)


def photograph(gray, rng, strength='mild'):
    """(JPEG bytes, 3x3 homography page -> photo): the page ``gray`` photographed on a desk."""
    s = STRENGTHS[strength]
    h, w = gray.shape
    long_side = int(rng.uniform(*s['long_side']))
    scale = long_side / max(h, w) * rng.uniform(0.8, 0.9)  # the page fills most of the frame
    out_h, out_w = (long_side, int(long_side * w / h * 1.08)) if h >= w else (int(long_side * h / w * 1.08), long_side)
    page_w, page_h = w * scale, h * scale
    x0, y0 = (out_w - page_w) / 2, (out_h - page_h) / 2
    corners = np.float32([[x0, y0], [x0 + page_w, y0], [x0 + page_w, y0 + page_h], [x0, y0 + page_h]])
    shift = rng.uniform(*s['corners'], size=(4, 2)) * rng.choice([-1, 1], size=(4, 2)) * [page_w, page_h]
    corners = (corners + shift).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners)
    photo = desk((out_h, out_w), rng)
    page = cv2.warpPerspective(gray.astype(np.float32), matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    inside = cv2.warpPerspective(np.ones_like(gray, np.float32), matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    photo = photo * (1 - inside) + page * inside
    photo *= light((out_h, out_w), rng, s['shadow']) * rng.uniform(0.85, 1.0)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(*s['blur']) * out_w / 1550)
    photo += rng.normal(0, rng.uniform(3, 7), photo.shape)
    ok, buf = cv2.imencode('.jpg', np.clip(photo, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*s['quality']))])
    return buf.tobytes(), matrix
