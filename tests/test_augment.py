"""On-the-fly augmentation: shapes, determinism per seed, fresh draws every
epoch, independence from threads and replicas, the notebook grid."""
import os

import numpy as np
import pytest

from helpers import ROOT
from crnn_data import GTUtility, InputGenerator
from crnn_lines import fitted_width, prepare_line, read_image
from crnn_utils import build_charset
from utils.train.augment import AUGMENTATIONS, PRESETS, Augmenter, parse_setting


def generator(aihub_dir, augment, batch_size=8, threads=1):
    gtu = GTUtility(aihub_dir, verbose=False)
    return InputGenerator(gtu, batch_size, build_charset(gtu.text), (256, 32), augment=augment, threads=threads,
                          verbose=False)


@pytest.fixture
def line():
    img = read_image(os.path.join(ROOT, 'printed', '00000001.png'))
    return prepare_line(img, 256, 32)[0].transpose(1, 0, 2), fitted_width(img.shape, 256, 32)[0]


@pytest.mark.parametrize('name', list(AUGMENTATIONS))
def test_each_augmentation_changes_the_line_and_keeps_the_input_shape(line, name):
    row, width = line
    out = Augmenter({name: (1.0, PRESETS['strong'][name][1])}).row(row, width, np.random.default_rng(3))
    assert out.shape == row.shape == (256, 32, 1) and out.dtype == np.uint8
    assert not np.array_equal(out, row)
    assert out.min() == 0 and out.max() == 255  # contrast normalised again, as inference does


@pytest.mark.parametrize('preset', ['light', 'strong'])
def test_batches_are_deterministic_per_seed(aihub_dir, preset):
    a = generator(aihub_dir, Augmenter.from_preset(preset, seed=5)).generate()
    b = generator(aihub_dir, Augmenter.from_preset(preset, seed=5), threads=2).generate()
    c = generator(aihub_dir, Augmenter.from_preset(preset, seed=6)).generate()
    plain = generator(aihub_dir, None).generate()
    xa, xb, xc = (s.batch(3)[0]['image_input'] for s in (a, b, c))
    assert xa.shape == (8, 256, 32, 1) and xa.dtype == np.float32
    np.testing.assert_array_equal(xa, xb)  # threads do not change the draws
    assert not np.array_equal(xa, xc)
    assert not np.array_equal(xa, plain.batch(3)[0]['image_input'])
    np.testing.assert_array_equal(a.batch(3)[0]['label_input'], plain.batch(3)[0]['label_input'])


def test_every_epoch_sees_new_versions_of_each_line(aihub_dir):
    """Batch size = data size, so batches 0 and 1 hold the same lines (passes 1 and 2)."""
    plain = generator(aihub_dir, None, batch_size=10).generate()
    aug = generator(aihub_dir, Augmenter.from_preset('strong', seed=1), batch_size=10).generate()
    first, second = plain.sample_indices(0), plain.sample_indices(1)
    assert sorted(first) == sorted(second)
    by_line = [dict(zip(idx, seq.batch(i)[0]['image_input'])) for seq in (plain, aug) for i, idx in
               ((0, first), (1, second))]
    for k in first:
        np.testing.assert_array_equal(by_line[0][k], by_line[1][k])  # no augmentation: the same row
        assert not np.array_equal(by_line[2][k], by_line[3][k])


def test_a_replica_slice_is_the_same_slice_of_the_augmented_batch(aihub_dir):
    seq = generator(aihub_dir, Augmenter.from_preset('light', seed=2)).generate()
    whole = seq.batch(4, with_source_str=False)[0]['image_input']
    parts = [seq.batch(4, with_source_str=False, part=(p, 2))[0]['image_input'] for p in range(2)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_presets_and_settings():
    assert not Augmenter.from_preset('off')
    light = Augmenter.from_preset('light', {'blur': (0.9,), 'rotate': (0.5, 2.0), 'jpeg': (0.0,)})
    assert light.settings['blur'] == (0.9, PRESETS['light']['blur'][1])
    assert light.settings['rotate'] == (0.5, 2.0) and 'jpeg' not in light.settings
    assert Augmenter.from_preset('off', {'noise': (1.0,)}).settings == {'noise': (1.0, PRESETS['light']['noise'][1])}
    assert parse_setting('0.3:2', 'blur') == (0.3, 2.0)
    with pytest.raises(ValueError, match='--aug-blur .x.: expected PROBABILITY'):
        parse_setting('x', 'blur')
    with pytest.raises(ValueError, match='probability must be in'):
        Augmenter({'blur': (1.5, 1.0)})
    with pytest.raises(ValueError, match='unknown augmentation warp'):
        Augmenter({'warp': (0.5, 1.0)})


def test_notebook_grid_shows_the_original_and_n_versions():
    from utils.plots import plot_augmentations
    fig = plot_augmentations(os.path.join(ROOT, 'printed', '00000001.png'), Augmenter.from_preset('strong'), n=5)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 6 and shown[0].get_title(loc='left') == 'original'
    grids = [ax.images[0].get_array() for ax in shown]
    assert all(g.shape == (32, 256) for g in grids)
    assert len({g.tobytes() for g in grids}) == 6
