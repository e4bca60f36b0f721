"""Shared fixtures: tiny AI-Hub-style datasets with real PNG files."""
import json
import os
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('MPLBACKEND', 'Agg')
FONT = os.path.join(ROOT, 'NanumBarunGothic.ttf')
# CLI runs about plumbing use the original's exact speed setting; the 'auto' choice has its own tests
ORIGINAL_SPEED = ['--precision', 'float32', '--jit-compile', 'off']


def render_line(path, text, size=24):
    font = ImageFont.truetype(FONT, size)
    l, t, r, b = font.getbbox(text)
    img = Image.new('L', (r - l + 8, size + 12), 255)
    ImageDraw.Draw(img).text((4 - l, 4), text, font=font, fill=0)
    img.save(path)
    return img.size


def write_aihub(root, entries, json_name='korean_printed_sentence.json', image_dir='printed',
                shuffle_annotations=True):
    """entries: (id, text, type, has_file). Annotations are written in reverse
    order so a reader must join by image_id, not by position."""
    os.makedirs(os.path.join(root, image_dir), exist_ok=True)
    images, anns = [], []
    for img_id, text, kind, has_file in entries:
        name = '%s.png' % img_id
        w, h = 100, 32
        if has_file:
            w, h = render_line(os.path.join(root, image_dir, name), text)
        images.append({'id': img_id, 'width': w, 'height': h, 'file_name': name})
        anns.append({'id': img_id, 'image_id': img_id, 'text': text,
                     'attributes': {'font': 'NanumBarunGothic', 'type': kind, 'is_aug': False}})
    if shuffle_annotations:
        anns = anns[::-1]
    gt = {'info': {'name': 'test'}, 'images': images, 'annotations': anns, 'licenses': []}
    with open(os.path.join(root, json_name), 'w', encoding='utf-8') as f:
        json.dump(gt, f, ensure_ascii=False)
    return gt


SENTENCES = ['계약기간은 1년', '갑은 을에게', '대금을 지급한다.', '제3조 (목적)', '본 계약은 유효',
             '서명 날인한다.', '위약금 100,000원', '잔금 지급일', '임대인 김철수', '보증금 500원']


@pytest.fixture
def aihub_dir(tmp_path):
    """10 sentences, 2 words, 1 syllable, 2 sentences without image files."""
    entries = [('%08d' % (i + 1), t, '문장', True) for i, t in enumerate(SENTENCES)]
    entries += [('00000101', '계약서', '단어(어절)', True), ('00000102', '갑', '글자(음절)', True),
                ('00000103', '날인', '단어(어절)', True),
                ('00000201', '없는 파일', '문장', False), ('00000202', '사라진 이미지', '문장', False)]
    write_aihub(str(tmp_path), entries)
    return str(tmp_path)


@pytest.fixture(scope='session')
def small_model():
    """The real default CRNN at 256x32 with a small charset (built once)."""
    from crnn_model import CRNN
    return CRNN((256, 32, 1), 40)


def random_probs(shape, seed=0):
    x = np.random.default_rng(seed).random(shape).astype(np.float32)
    return x / x.sum(-1, keepdims=True)
