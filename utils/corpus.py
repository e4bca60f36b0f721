"""The bundled text corpora (utils/synth/corpus): the public documents and LibreOffice's Korean help that training
text and the language model come from, and the held-out documents that neither ever sees. Data, read here by both
the synthetic-data package and decoding (utils.lm), so that decoding never imports the synthesizer."""
import os

CORPUS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'synth', 'corpus')
TRAINING_CORPUS = os.path.join(CORPUS_DIR, 'public_documents.txt')
HELDOUT_CORPUS = os.path.join(CORPUS_DIR, 'heldout_documents.txt')
# Everyday written Korean: LibreOffice's Korean help (MPL-2.0), many times the documents above.
MANUAL_CORPUS = os.path.join(CORPUS_DIR, 'libreoffice_help_ko.txt')


def read_corpus(path):
    """Paragraphs of a UTF-8 text file (one per line), whitespace collapsed."""
    with open(path, encoding='utf-8') as f:
        return [' '.join(line.split()) for line in f if line.strip()]
