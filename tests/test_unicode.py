"""Any Unicode text: the annotation reader returns it unchanged, the label encoder never emits the blank."""
import json
import os

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from crnn_data import GTUtility
from crnn_utils import build_charset, char_index, encode_label

texts = st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(texts, min_size=1, max_size=8))
def test_json_reader_returns_any_unicode_text_unchanged(tmp_path_factory, lines):
    root = str(tmp_path_factory.mktemp('uni'))
    os.makedirs(os.path.join(root, 'printed'))
    images = [{'id': 'img%d' % k, 'file_name': '%d.png' % k, 'width': 10, 'height': 10} for k in range(len(lines))]
    anns = [{'id': k, 'image_id': 'img%d' % k, 'text': t, 'attributes': {'type': '문장'}} for k, t in enumerate(lines)]
    for img in images:
        open(os.path.join(root, 'printed', img['file_name']), 'wb').close()
    with open(os.path.join(root, 'korean_printed_sentence.json'), 'w', encoding='utf-8') as f:
        json.dump({'images': images, 'annotations': anns[::-1]}, f, ensure_ascii=False)
    assert GTUtility(root, verbose=False).texts() == lines


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_label_encoder_on_any_unicode(known, text):
    charset = build_charset([known])
    ids, missing = encode_label(text, char_index(charset))
    assert len(ids) == len(text) and ids.dtype == np.int32
    assert np.all((ids >= 0) & (ids < len(charset) - 1))  # never the blank
    assert ''.join(c if c in charset[:-1] else ' ' for c in text) == ''.join(charset[i] for i in ids)
    assert missing == [c for c in text if c not in charset[:-1]]
    dropped, _ = encode_label(text, char_index(charset), unknown=None)
    assert len(dropped) == len(text) - len(missing)
