"""The accuracy the tests hold the shipped model to, in one place: what it measured when it was committed (CER,
characters in the set) and the bound a test allows: 1.5 times that, and at least ``extra`` more wrong characters
on a small set, so that a model that reads with twice the errors fails. Update MEASURED with every weights change,
with the commands beside each figure (docs/testing.md)."""

SHIPPED = 'CRNN_weights_korean_v8.h5'
MEASURED = {
    # python CRNN_predict.py --data-dir tests/data/heldout_lines (greedy; --lm, --precision int8 and the Keras
    # engine in bf16 read the same on this machine)
    'heldout_lines': (0.0096, 209),
    # the same with --precision int8 (its own graph; with the default decoding, as test_shipped reads it)
    'heldout_lines_int8': (0.0048, 209),
    # the light recognizer's candidate, CRNN_weights_korean_v9light_candidate.h5 (greedy, Keras float32)
    'heldout_lines_light': (0.0191, 209),
    # pages/contract_page1.jpg read by CRNN_predict.py --page (greedy), against pages/contract_page1.json
    'sample_page': (0.0078, 769),
    # pages/contract_page2.jpg saved as a PDF page (and turned 180 degrees as its second page), read by
    # CRNN_predict.py --page with the default decoding, against pages/contract_page2.json
    'sample_pdf_page': (0.0035, 846),
    # test_page's held-out document laid out by LibreOffice (seed 9302), read from its PDF
    'libreoffice_page': (0.0037, 1076),
    # test_page_layouts' held-out list document with dot leaders (seed 9501, its second document), read greedily
    'libreoffice_leaders': (0.0117, 514),
    # test_page_layouts' held-out document of ruled tables (seed 9800, its third document), read greedily
    'libreoffice_tables': (0.0, 327),
}


def bound(name, extra=1):
    """The largest CER a test accepts on the set ``name``."""
    cer, chars = MEASURED[name]
    return max(1.5 * cer, cer + extra / chars)
