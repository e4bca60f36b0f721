"""Image distortions of a gray text line (uint8, dark ink on light paper).

One implementation, used by the synthetic-data generator; each function takes
a numpy Generator so results are reproducible per seed.
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
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


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
