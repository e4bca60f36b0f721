import numpy as np
import pytest

from conftest import random_probs
from crnn_model import CRNN, CTC_EPSILON, CTCLoss, time_steps

ORIGINAL_SHAPES = {
    'conv1_1': [(3, 3, 1, 64), (64,)], 'conv2_1': [(3, 3, 64, 128), (128,)],
    'conv3_1': [(3, 3, 128, 256), (256,)], 'conv3_2': [(3, 3, 256, 256), (256,)],
    'conv4_1': [(3, 3, 256, 512), (512,)], 'batchnorm1': [(512,)] * 4,
    'conv5_1': [(3, 3, 512, 512), (512,)], 'batchnorm2': [(512,)] * 4,
    'conv6_1': [(2, 2, 512, 512), (512,)],
    'bidirectional_1': [(512, 1024), (256, 1024), (1024,)] * 2,
    'bidirectional_2': [(512, 1024), (256, 1024), (1024,)] * 2,
    'dense1': [(512, 40), (40,)],
}


def test_original_layer_names_and_shapes(small_model):
    model, model_pred = small_model
    shapes = {l.name: [tuple(w.shape) for w in l.weights] for l in model.layers if l.weights}
    assert shapes == ORIGINAL_SHAPES
    names = [l.name for l in model_pred.layers]
    for n in ('image_input', 'reshape_1', 'softmax'):
        assert n in names
    assert time_steps(model_pred) == 62 and model_pred.output_shape == (None, 62, 40)
    assert [i.name for i in model.inputs] == ['image_input', 'label_input', 'input_length', 'label_length']


def test_variants_build():
    m = CRNN((128, 32, 1), 10, prediction_only=True, gru=True)
    assert [tuple(w.shape) for w in m.get_layer('bidirectional_1').weights][:2] == [(512, 768), (256, 768)]
    m = CRNN((128, 32, 1), 10, prediction_only=True, cnn=True)
    assert m.get_layer('conv1d_12') is not None and m.output_shape == (None, 30, 10)


def ctc_reference(probs, label, blank):
    """Negative log-likelihood of ``label`` by the CTC forward recursion
    (Graves et al. 2006) in log space, on Keras 2's log(p + 1e-7) inputs."""
    logp = np.log(probs + CTC_EPSILON)
    logp = logp - np.logaddexp.reduce(logp, axis=1, keepdims=True)
    ext = [blank]
    for c in label:
        ext += [c, blank]
    T, S = len(logp), len(ext)
    alpha = np.full((T, S), -np.inf)
    alpha[0, 0] = logp[0, blank]
    alpha[0, 1] = logp[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            a = alpha[t - 1, s]
            if s > 0:
                a = np.logaddexp(a, alpha[t - 1, s - 1])
            if s > 1 and ext[s] != blank and ext[s] != ext[s - 2]:
                a = np.logaddexp(a, alpha[t - 1, s - 2])
            alpha[t, s] = a + logp[t, ext[s]]
    return -np.logaddexp(alpha[-1, -1], alpha[-1, -2])


def test_ctc_loss_matches_forward_recursion():
    B, T, C = 3, 12, 6
    probs = random_probs((B, T, C), seed=1)
    labels = [[0, 1, 1, 2], [4], [3, 2, 3, 0, 0]]
    padded = np.full((B, T), -1, np.float32)
    for i, l in enumerate(labels):
        padded[i, :len(l)] = l
    input_len = np.array([[12], [9], [12]])
    label_len = np.array([[len(l)] for l in labels])
    got = np.asarray(CTCLoss()([padded, probs, input_len, label_len]))[:, 0]
    want = [ctc_reference(probs[i, :input_len[i, 0]], labels[i], C - 1) for i in range(B)]
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_sgd_decay_is_keras2_inverse_time():
    from utils.optimizers import SGD, current_learning_rate
    opt = SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9, nesterov=True, clipnorm=5)
    assert opt.nesterov and opt.clipnorm == 5
    sched = opt._learning_rate
    for it in (0, 1000, 10 ** 6):
        assert float(sched(it)) == pytest.approx(1e-4 / (1 + 1e-6 * it), rel=1e-6)
    assert current_learning_rate(opt) == pytest.approx(1e-4)
    with pytest.raises(ValueError):
        SGD(learning_rate=1, lr=2)
