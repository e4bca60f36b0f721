"""Pages as phones photograph them (crnn_photo): the page found on its desk and seen flat, light evened out,
and never turned unless it lies on its side; real JPEG photos made from the bundled sample page."""
import json
import os

import cv2
import numpy as np
import pytest

from helpers import ROOT, run_tool
from crnn_page import match_lines
from crnn_photo import find_page, flatten_light, line_field, map_polygon, straighten
from crnn_utils import edit_distance
from utils.synth.photo import STRENGTHS, bend, photograph

PAGES = os.path.join(ROOT, 'pages')


def sample(name='contract_page1'):
    gray = cv2.imread(os.path.join(PAGES, name + '.jpg'), cv2.IMREAD_GRAYSCALE)
    return gray, json.load(open(os.path.join(PAGES, name + '.json'), encoding='utf-8'))


def photo_of(gray, seed, strength):
    """(photo, its page corners): the page photographed by utils.synth.photo."""
    jpeg, matrix = photograph(gray, np.random.default_rng(seed), strength)
    h, w = gray.shape
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE), np.float32(
        map_polygon([[0, 0], [w, 0], [w, h], [0, h]], matrix)), matrix


@pytest.mark.parametrize('strength', sorted(STRENGTHS))
def test_the_page_is_found_on_the_desk_and_flat_pages_pass_unchanged(strength):
    gray, _ = sample()
    for seed in range(3):
        photo, corners, _ = photo_of(gray, seed, strength)
        inside = (corners >= 0).all() and (corners <= [photo.shape[1], photo.shape[0]]).all()
        found = find_page(photo)
        assert found is not None, (strength, seed)
        # corners in the frame within 1 % of the photo's long side; one the frame cut off, within 4 %
        assert np.abs(found - corners).max() < (0.01 if inside else 0.04) * max(photo.shape), (strength, seed)
    for name in ('contract_page1', 'contract_page2'):
        assert find_page(sample(name)[0]) is None
    assert find_page(np.full((900, 700), 255, np.uint8)) is None and find_page(np.zeros((900, 700), np.uint8)) is None


def test_uneven_light_is_flattened_and_even_light_left_alone():
    gray, _ = sample()
    assert flatten_light(gray) is gray
    shade = np.linspace(1.0, 0.45, gray.shape[1], dtype=np.float32)[None, :]
    shaded = (gray * shade).astype(np.uint8)
    flat = flatten_light(shaded)

    def paper(img):  # the paper's brightness at the left and the right edge
        return np.percentile(img[:, :img.shape[1] // 5], 90), np.percentile(img[:, -img.shape[1] // 5:], 90)
    left, right = paper(shaded)
    assert right < 0.7 * left
    left, right = paper(flat)
    assert abs(left - right) < 0.05 * left


def test_curled_lines_are_followed_and_flat_pages_have_none():
    """A page bent as near a book's spine: line_field finds how its lines bow, and straightening undoes the
    bend to within a pixel or two along the text; the flat sample pages and a merely skewed one have no field."""
    for name in ('contract_page1', 'contract_page2'):
        assert line_field(sample(name)[0]) is None, name
    gray, truth = sample()
    h, w = gray.shape
    skewed = cv2.warpAffine(gray, cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0), (w, h), borderValue=255)
    assert line_field(skewed) is None
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ink = gray < 128
    for seed in range(3):
        bent, displacement = bend(gray, np.random.default_rng(seed))
        field = line_field(bent)
        assert field is not None, seed
        true = displacement(xx, yy)  # how far each pixel of the flat page moved
        found = field[np.clip(yy + true, 0, h - 1).astype(int), xx.astype(int)]
        bows, errors = [], []
        for line in truth['lines']:  # the field holds each line's bow up to the shift and slope deskew takes
            mask = np.zeros_like(gray)
            cv2.fillPoly(mask, [np.int32(line['polygon'])], 1)
            at = (mask > 0) & ink
            a = np.c_[xx[at], np.ones(at.sum())]
            bow = lambda e: np.percentile(np.abs(e - a @ np.linalg.lstsq(a, e, rcond=None)[0]), 95)
            bows.append(bow(true[at]))
            errors.append(bow(found[at] - true[at]))
        assert max(bows) > 3.0 and max(errors) < 1.5, (seed, max(bows), max(errors))
        assert straighten(bent, field).shape == bent.shape


def read_with_cli(tmp_path, images, truth):
    """(page records, CER of each against ``truth``) of ``images`` ({file name: image}) written to ``tmp_path``
    and read greedily by CRNN_predict.py --page in one call; a table row's cells each a line, as the truth has
    them."""
    paths = [str(tmp_path / name) for name in images]
    for path, image in zip(paths, images.values()):
        cv2.imwrite(path, image)
    out = str(tmp_path / 'pages.json')
    r = run_tool('CRNN_predict.py', '--page', *paths, '--output', out, '--no-lm')
    assert r.returncode == 0, r.stderr[-2000:]
    records = json.load(open(out, encoding='utf-8'))['pages']
    return records, [edit_distance(truth['text'], '\n'.join(c['text'] for l in rec['lines']
                                                             for c in l.get('cells', [l]))) / len(truth['text'])
                     for rec in records]


def test_photos_read_almost_as_well_as_the_flat_page_and_are_not_turned(tmp_path):
    """The sample page photographed (mild), that photo turned on its side, and the page curled: read with the
    CLI, the photo is not turned and the turned one is turned back; all read within a small margin of the flat
    page, their line boxes in the image's own pixels."""
    gray, truth = sample()
    photo, _, matrix = photo_of(gray, 7, 'mild')
    curled, displacement = bend(gray, np.random.default_rng(9))
    records, cers = read_with_cli(tmp_path, {'flat.png': gray, 'photo.jpg': photo,
                                             'sideways.jpg': np.rot90(photo, 1), 'curled.png': curled}, truth)
    assert [rec['turn'] for rec in records] == [0, 0, 270, 0]
    assert max(cers[1:]) <= cers[0] + 0.01, cers  # the curled page unstraightened misreads 0.1 or more
    moved = [map_polygon(t['polygon'], matrix) for t in truth['lines']]
    found = [c['polygon'] for line in records[1]['lines'] for c in line.get('cells', [line])]
    recall, precision = match_lines(found, moved)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)
    bowed = [[[x, y + float(displacement(x, y))] for x, y in t['polygon']] for t in truth['lines']]
    found = [c['polygon'] for line in records[3]['lines'] for c in line.get('cells', [line])]
    recall, precision = match_lines(found, bowed)
    assert recall >= 0.95 and precision >= 0.95, (recall, precision)


def test_photos_on_their_side_either_way_are_turned_back(tmp_path):
    """A phone photo of the second sample page held either way on its side, whose columns project no sharper
    than its rows (is_sideways says no: its syllables line up in columns too): the recognizer's confidence in
    the other orientations finds it (crnn_page.other_turns), and it reads within a small margin of the flat
    page; the photo upright is not turned."""
    gray, truth = sample('contract_page2')
    photo, _, _ = photo_of(gray, 0, 'mild')
    records, cers = read_with_cli(tmp_path, {'flat.png': gray, 'upright.jpg': photo, 'left.jpg': np.rot90(photo, 1),
                                             'right.jpg': np.rot90(photo, 3)}, truth)
    assert [rec['turn'] for rec in records] == [0, 0, 270, 90]
    # measured 0.037-0.038 for the three photos (this page's small type defocused; the flat page 0.001); read
    # sideways, or with the lines of its tight paragraphs run together (before split_stacked), 0.45 or more
    assert max(cers[1:]) <= 0.06, cers


def test_a_sliver_of_desk_along_the_page_s_edge_is_not_ink():
    """Corners found a few pixels outside the page leave a sliver of dark desk along the flat page's edge, which
    the reading order took for a narrow column level with every line (a two-column photo read across): unwarp
    paints the rim (crnn_photo.PAGE_RIM) with the paper inside it, so no ink is left there."""
    from crnn_page import binarize, remove_specks
    from crnn_photo import PAGE_RIM, unwarp
    gray, _ = sample()
    photo, corners, _ = photo_of(gray, 3, 'mild')
    outside = corners + 4 * np.sign(corners - corners.mean(axis=0))
    page, _ = unwarp(photo, outside)
    ink = remove_specks(binarize(page))
    rim = int(round(PAGE_RIM * max(page.shape)))
    edges = np.concatenate([ink[:rim].ravel(), ink[-rim:].ravel(), ink[:, :rim].ravel(), ink[:, -rim:].ravel()])
    assert edges.sum() == 0 and ink[rim:-rim, rim:-rim].mean() > 0.01


def test_a_12_megapixel_photo_is_read_at_most_max_page_side():
    """A page photographed at 12 megapixels is seen flat averaged down to MAX_PAGE_SIDE on its long side (as
    accurate and faster, BENCHMARKS 'photos'), and the homography still takes the flat page's corners to the
    page's corners in the photo."""
    from crnn_photo import MAX_PAGE_SIDE, unwarp
    gray, _ = sample()
    photo, corners, _ = photo_of(gray, 5, 'mild_12mp')
    assert max(photo.shape) >= 3900
    found = find_page(photo)
    page, to_image = unwarp(photo, found)
    h, w = page.shape
    assert max(h, w) == MAX_PAGE_SIDE
    back = np.float32(map_polygon([[0, 0], [w, 0], [w, h], [0, h]], to_image))
    assert np.abs(back - found).max() < 2.0, (back, found)
