"""Loss curves of a run folder (log.csv, history.csv) and Korean text in plots."""

import csv
import os

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from utils.atomic import atomic_write

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED_FONT = os.path.join(ROOT, 'NanumBarunGothic.ttf')


def use_korean_font(path=BUNDLED_FONT):
    """Register the bundled NanumBarunGothic with matplotlib and use it, so
    Hangul renders without an installed 'NanumGothic'. Returns the family."""
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    matplotlib.rcParams['font.family'] = family
    matplotlib.rcParams['axes.unicode_minus'] = False
    return family


def read_csv(path):
    """{column: float array} of a CSV file written by utils.training.Logger."""
    with open(path, encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    cols = {}
    for key in (rows[0].keys() if rows else []):
        vals = []
        for r in rows:
            try:
                vals.append(float(r[key]))
            except (TypeError, ValueError):
                vals.append(np.nan)
        cols[key] = np.asarray(vals)
    return cols


def smooth(y, window):
    """Moving average with a Hann window; shorter series are returned as is."""
    if window is None or len(y) <= window or window < 3:
        return np.arange(len(y)), y
    w = np.hanning(window)
    half = window // 2
    return np.arange(half, half + len(y) - window + 1), np.convolve(w / w.sum(), y, mode='valid')


def plot_history(run_dir, names=('loss',), ax=None):
    """Training and validation curves per epoch from ``run_dir/history.csv``."""
    h = read_csv(os.path.join(run_dir, 'history.csv'))
    ax = ax or plt.figure(figsize=(12, 5)).gca()
    for name in names:
        for key, style in ((name, 'r'), ('val_' + name, 'b')):
            if key in h:
                ax.plot(h['epoch'], h[key], style, label=key)
    ax.set_xlabel('epoch')
    ax.set_title(os.path.basename(os.path.normpath(run_dir)))
    ax.legend()
    ax.grid(True)
    return ax


def plot_log(run_dir, name='loss', window=50, ax=None):
    """Per-iteration ``name`` from ``run_dir/log.csv``, raw and smoothed."""
    log = read_csv(os.path.join(run_dir, 'log.csv'))
    ax = ax or plt.figure(figsize=(12, 5)).gca()
    x, y = log['iteration'], log[name]
    ax.plot(x, y, alpha=0.3, label=name)
    i, ys = smooth(y, window)
    if len(i) != len(y):
        ax.plot(x[i], ys, label='%s (smoothed)' % name)
    ax.set_xlabel('iteration')
    ax.legend()
    ax.grid(True)
    return ax


def save_loss_plot(history, path):
    """Training and validation loss per epoch as a PNG (``history``: dict of lists)."""
    fig = plt.figure(figsize=(10, 6))
    epochs = np.arange(1, len(history.get('loss', [])) + 1)
    plt.plot(epochs, history.get('loss', []), 'r', label='Training loss')
    if history.get('val_loss'):
        plt.plot(epochs, history['val_loss'], 'b', label='Validation loss')
    plt.title('Training and validation loss')
    plt.xlabel('epoch')
    plt.legend()
    plt.grid(True)
    try:
        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=80)
    finally:
        plt.close(fig)
    return path


def plot_predictions(images, gts, preds, max_lines=8):
    """Each line image (W, H, 1 model input) with GT, prediction and its
    normalized edit distance, like the original's test cell; one figure."""
    from crnn_utils import normalized_edit_distance
    n = min(len(images), max_lines)
    fig, axes = plt.subplots(n, 1, figsize=(10, 1.1 * n), squeeze=False)
    for ax, img, gt, pred in zip(axes[:, 0], images, gts, preds):
        ax.imshow(img[:, :, 0].T, cmap='gray', vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title('GT: %s    RT: %s    %.2f' % (gt, pred, normalized_edit_distance(gt, pred)), fontsize=9, loc='left')
    fig.tight_layout()
    return fig


def plot_augmentations(path, augmenter, input_size=(256, 32), n=8, columns=2, seed=0):
    """The line image at ``path`` fitted to the input as training sees it,
    then ``n`` augmented versions; one figure (``augmenter``: utils.augment.Augmenter)."""
    from crnn_lines import fitted_line
    row, cols = fitted_line(path, *input_size)
    rows = [row] + [augmenter.row(row, cols, np.random.default_rng([seed, k])) for k in range(n)]
    lines = -(-len(rows) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 0.75 * lines), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < len(rows):
            ax.imshow(rows[k][:, :, 0].T, cmap='gray', vmin=0, vmax=255)
            ax.set_title('original' if k == 0 else '#%d' % k, fontsize=8, loc='left')
        else:
            ax.axis('off')
    fig.tight_layout()
    return fig
