"""On-the-fly augmentation of training lines: per sample, fresh every epoch.

The distortions are utils/synth/distort.py's, shared with the synthetic-data
generator. A sample's random draws depend only on (seed, batch index in the
training stream, position in the batch), so a run is reproducible for a seed
whatever the number of threads or replicas, and each epoch (a later part of
the stream) sees new versions of every line.
"""

import cv2
import numpy as np

from utils.synth import distort


def _rotate(img, rng, degrees):
    # paper above and below first, so the ends of a long line stay inside the crop
    w = img.shape[1]
    m = int(np.ceil(w / 2 * np.tan(np.radians(degrees))))
    img = cv2.copyMakeBorder(img, m, m, 0, 0, cv2.BORDER_CONSTANT,
                             value=distort.paper(img).tolist())
    return distort.rotate(img, rng, max_degrees=degrees)


# name -> (distortion(img, rng, strength), what the strength means); applied in this order
AUGMENTATIONS = {
    'pad': (lambda img, rng, s: distort.margins(img, rng, max_fraction=s), 'margin, fraction of the height'),
    'rotate': (_rotate, 'degrees'),
    'shear': (lambda img, rng, s: distort.shear(img, rng, max_shear=s), 'x shift per row'),
    'perspective': (lambda img, rng, s: distort.perspective(img, rng, strength=s), 'corner jitter'),
    'scale': (lambda img, rng, s: distort.aspect(img, rng, jitter=s), 'aspect ratio jitter'),
    'stroke': (lambda img, rng, s: distort.stroke(img, rng, size=s), 'erode/dilate kernel, pixels'),
    'blur': (lambda img, rng, s: distort.blur(img, rng, sigma=(min(0.3, s), s)), 'largest Gaussian sigma'),
    'noise': (lambda img, rng, s: distort.noise(img, rng, std=(min(2.0, s), s)), 'largest noise std'),
    'contrast': (lambda img, rng, s: distort.gamma(img, rng, strength=s), 'gamma 1 +- strength'),
    'jpeg': (lambda img, rng, s: distort.jpeg(img, rng, quality=(int(s), 96)), 'lowest JPEG quality'),
}

# name -> (probability, strength)
PRESETS = {
    'off': {},
    'light': {'pad': (0.3, 0.1), 'rotate': (0.3, 1.0), 'shear': (0.2, 0.15), 'perspective': (0.2, 0.03),
              'scale': (0.3, 0.1), 'stroke': (0.1, 2), 'blur': (0.2, 0.8), 'noise': (0.2, 6.0),
              'contrast': (0.3, 0.3), 'jpeg': (0.2, 60)},
    'strong': {'pad': (0.5, 0.25), 'rotate': (0.5, 3.0), 'shear': (0.4, 0.35), 'perspective': (0.4, 0.06),
               'scale': (0.5, 0.25), 'stroke': (0.3, 2), 'blur': (0.4, 1.2), 'noise': (0.4, 15.0),
               'contrast': (0.5, 0.6), 'jpeg': (0.4, 25)},
}


def parse_setting(text, name):
    """'P' or 'P:S' (probability, strength) from the command line."""
    try:
        parts = [float(x) for x in text.split(':')]
        if len(parts) not in (1, 2):
            raise ValueError
    except ValueError:
        raise ValueError('--aug-%s %r: expected PROBABILITY or PROBABILITY:STRENGTH, e.g. 0.3:2' % (name, text)) \
            from None
    return tuple(parts)


class Augmenter:
    """Distorts text lines; ``settings``: name -> (probability, strength)."""

    def __init__(self, settings, seed=0):
        unknown = sorted(set(settings) - set(AUGMENTATIONS))
        if unknown:
            raise ValueError('unknown augmentation %s (known: %s)' % (', '.join(unknown), ', '.join(AUGMENTATIONS)))
        for name, (p, s) in settings.items():
            if not 0 <= p <= 1 or not s > 0:
                raise ValueError('augmentation %s: probability must be in [0, 1] and strength > 0, got %g:%g'
                                 % (name, p, s))
        self.settings = {name: tuple(settings[name]) for name in AUGMENTATIONS if name in settings}
        self.seed = seed

    @classmethod
    def from_preset(cls, preset, overrides=None, seed=0):
        """A preset ('off', 'light', 'strong') with some settings replaced;
        an override of the probability alone keeps the preset's strength."""
        if preset not in PRESETS:
            raise ValueError('unknown augmentation preset %r (choose from %s)' % (preset, ', '.join(PRESETS)))
        settings = dict(PRESETS[preset])
        for name, value in (overrides or {}).items():
            strength = value[1] if len(value) > 1 else settings.get(name, PRESETS['light'][name])[1]
            settings[name] = (value[0], strength)
        return cls({k: v for k, v in settings.items() if v[0] > 0}, seed)

    def __bool__(self):
        return bool(self.settings)

    def describe(self):
        return ', '.join('%s %.2g:%g' % (n, p, s) for n, (p, s) in self.settings.items()) or 'off'

    def __call__(self, img, rng):
        """One line image (H, W[, C]) uint8, distorted; its size may change."""
        for name, (p, s) in self.settings.items():
            if rng.random() < p:
                img = AUGMENTATIONS[name][0](img, rng, s)
        return img

    def row(self, row, width, rng):
        """A fitted input row (W, H, C) whose line fills ``width`` columns,
        distorted and fitted again as inference fits a real image."""
        from crnn_lines import prepare_line  # here, so that the CLI's --help needs no Keras
        img = row[:max(1, width)].transpose(1, 0, 2)
        if img.shape[2] == 1:
            img = img[:, :, 0]
        line, _ = prepare_line(self(img, rng), row.shape[0], row.shape[1])
        return line.transpose(1, 0, 2)

    def batch(self, rows, widths, batch_index, positions, map_fn=map):
        """Rows of one batch; ``positions``: each row's place in the whole
        (global) batch, which with ``batch_index`` seeds its draws."""
        def one(j):
            rng = np.random.default_rng([self.seed, batch_index, int(positions[j])])
            return self.row(rows[j], int(widths[j]), rng)
        return np.stack(list(map_fn(one, range(len(rows)))))
