"""Image distortions of a text line (uint8 gray or BGR, dark ink on light paper).

One implementation, used by the synthetic-data generator and by on-the-fly
augmentation (utils/train/augment.py); each function takes a numpy Generator so
results are reproducible per seed.
"""

import cv2
import numpy as np


def blur(img, rng, sigma=(0.3, 1.0)):
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(*sigma))


def noise(img, rng, std=(2.0, 10.0)):
    out = img.astype(np.float32) + rng.normal(0, rng.uniform(*std), img.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def rotate(img, rng, max_degrees=1.5):
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-max_degrees, max_degrees), 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def perspective(img, rng, strength=0.04):
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-strength, strength, (4, 2)) * [w * 0.25, h]
    m = cv2.getPerspectiveTransform(src, np.float32(src + jitter))
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def jpeg(img, rng, quality=(30, 80)):
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*quality))])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE if img.ndim == 2 else cv2.IMREAD_COLOR)


def paper(img):
    """The paper level: the most common value of each channel (a text line is mostly paper)."""
    pixels = img.reshape(-1, 1 if img.ndim == 2 else img.shape[2])
    return np.array([np.bincount(pixels[:, c], minlength=256).argmax() for c in range(pixels.shape[1])], np.uint8)


def shear(img, rng, max_shear=0.3):
    """Slant the line by up to ``max_shear`` (x shift per row); the canvas widens so nothing is cut."""
    h, w = img.shape[:2]
    k = rng.uniform(-max_shear, max_shear)
    extra = int(np.ceil(abs(k) * h))
    m = np.float32([[1, k, max(0.0, -k * h)], [0, 1, 0]])
    return cv2.warpAffine(img, m, (w + extra, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=paper(img).tolist())


def aspect(img, rng, jitter=0.15):
    """Stretch or narrow the line by up to ``jitter`` of its width."""
    h, w = img.shape[:2]
    new_w = max(1, int(round(w * rng.uniform(1 - jitter, 1 + jitter))))
    return cv2.resize(img, (new_w, h), interpolation=cv2.INTER_LINEAR)


def stroke(img, rng, size=2):
    """Thicker (erode the paper) or thinner (dilate it) strokes, kernel up to ``size`` pixels."""
    k = int(rng.integers(2, max(2, int(size)) + 1))
    kernel = np.ones((k, k), np.uint8)
    return cv2.erode(img, kernel) if rng.random() < 0.5 else cv2.dilate(img, kernel)


def gamma(img, rng, strength=0.4):
    """Gamma in [1 - strength, 1 + strength]: lighter or darker ink and paper
    that contrast normalisation does not undo."""
    g = rng.uniform(max(0.1, 1 - strength), 1 + strength)
    table = np.clip(255.0 * (np.arange(256) / 255.0) ** g, 0, 255).astype(np.uint8)
    return cv2.LUT(img, table)


def margins(img, rng, max_fraction=0.15):
    """Paper margins of up to ``max_fraction`` of the height on each side."""
    h = img.shape[0]
    top, bottom, left, right = (int(rng.integers(0, int(max_fraction * h) + 1)) for _ in range(4))
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=paper(img).tolist())


def rules(img, rng, ink=0):
    """An underline and/or table rule, as on forms and contracts."""
    h, w = img.shape[:2]
    out = img.copy()
    y = int(h - 1 - rng.integers(0, max(1, h // 8)))
    cv2.line(out, (0, y), (w - 1, y), int(ink), 1)
    if rng.random() < 0.5:
        x = int(rng.integers(0, max(1, w // 20)))
        cv2.line(out, (x, 0), (x, h - 1), int(ink), 1)
    return out


DISTORTIONS = {'blur': blur, 'noise': noise, 'rotate': rotate, 'perspective': perspective, 'jpeg': jpeg}


def distort(img, rng, probs, ink=0):
    """Apply each distortion with its probability in ``probs`` (name -> p);
    'rules' draws lines in the ink level. Returns (image, names applied)."""
    applied = []
    for name, p in probs.items():
        if p > 0 and rng.random() < p:
            img = rules(img, rng, ink) if name == 'rules' else DISTORTIONS[name](img, rng)
            applied.append(name)
    return img, applied
