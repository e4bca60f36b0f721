"""The network learns: the real CRNN (any input width), trained from scratch
on eight rendered lines, reads them back (CER <= 0.05) within a fixed budget
of 200 steps (one to two minutes on 2 CPU cores).

Batch normalization reads with moving averages at inference; at Keras'
default momentum 0.99 they still hold about 5 % of their initial values after
300 steps, so a network trained this briefly can read right in training mode
and wrong at inference (seen on one machine: training loss 0.006, inference
CER 0.5 at 300 steps; across seeds 1-4 inference CER 0.0-0.5). So the test's
network averages at momentum 0.9: with it every seed of 1-4 read at CER 0 from
step 200 on (and at most 0.05 from step 150).

The real CLI learns too: tests/test_learning_cli.py fine-tunes through CRNN_training.py and reads a new
character with CRNN_predict.py afterwards, where shifted labels, a lost class or a wrong charset fail.
"""
import keras
import pytest

from helpers import write_aihub
from crnn_data import GTUtility, InputGenerator
from crnn_model import CRNN, CTCLoss, ctc_identity, output_steps
from crnn_utils import build_charset, decode_batch, recognition_metrics

pytestmark = pytest.mark.slow

LINES = ['계약', '갑과 을', '제3조', '대금', '손해', '12월', '을은', '500원']
STEPS, BAR, BN_MOMENTUM = 200, 0.05, 0.9


@pytest.fixture(scope='module')
def lines_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('learn'))
    write_aihub(root, [('%02d' % i, t, '문장', True) for i, t in enumerate(LINES)])
    return root


def train(root):
    """Train from scratch for STEPS steps: (prediction model, the lines as a
    batch, charset)."""
    keras.utils.set_random_seed(1)
    gtu = GTUtility(root, verbose=False)
    charset = build_charset(gtu.text)
    image = CRNN((None, 32, 1), len(charset), prediction_only=True)
    for layer in image.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    labels = keras.Input((None,), name='label_input')
    input_length = keras.Input((1,), dtype='int32', name='input_length')
    label_length = keras.Input((1,), dtype='int32', name='label_length')
    loss = CTCLoss(name='ctc', dtype='float32')(
        [labels, image.output, input_length, label_length])
    model = keras.Model([image.input, labels, input_length, label_length], {'ctc': loss})
    model.compile(loss={'ctc': ctc_identity}, optimizer=keras.optimizers.Adam(1e-3, clipnorm=5))
    gen = InputGenerator(gtu, 8, charset, (96, 32), max_string_len=output_steps(96), buckets=(96,),
                         steps=output_steps, verbose=False)
    seq = gen.generate()
    for step in range(STEPS):
        model.train_on_batch(*seq.batch(step, with_source_str=False))
    return image, seq.batch(0)[0], charset


def read(trained):
    """CER of reading the training lines back, and the readings."""
    image, inputs, charset = trained
    preds = decode_batch(keras.ops.convert_to_numpy(image.predict_on_batch(inputs['image_input'])), charset)
    return recognition_metrics(inputs['source_str'].tolist(), preds)['cer'], preds


def test_crnn_learns_to_read_its_lines(lines_dir):
    cer, preds = read(train(lines_dir))
    assert cer <= BAR, preds
