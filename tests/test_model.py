import numpy as np
import pytest

from helpers import random_probs
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


@pytest.mark.parametrize('sparse', [True, False])
def test_ctc_loss_paths_match_forward_recursion_with_gradient(sparse):
    """TensorFlow's sparse op (the training default) and keras.ops.ctc_loss give
    the reference values, and gradients that agree."""
    import tensorflow as tf
    B, T, C = 2, 10, 7
    probs = tf.constant(random_probs((B, T, C), seed=4))
    labels = np.array([[1, 2, 2, -1], [5, 0, 3, 1]], np.float32)
    input_len, label_len = np.array([[10], [8]]), np.array([[3], [4]])
    with tf.GradientTape() as tape:
        tape.watch(probs)
        loss = CTCLoss(sparse=sparse)([labels, probs, input_len, label_len])
    want = [ctc_reference(probs.numpy()[0], [1, 2, 2], C - 1), ctc_reference(probs.numpy()[1, :8], [5, 0, 3, 1], C - 1)]
    np.testing.assert_allclose(loss.numpy()[:, 0], want, rtol=1e-4)
    grad = tape.gradient(loss, probs).numpy()
    assert np.all(np.isfinite(grad)) and np.allclose(grad[1, 8:], 0)
    if sparse:
        with tf.GradientTape() as tape:
            tape.watch(probs)
            dense = CTCLoss(sparse=False)([labels, probs, input_len, label_len])
        np.testing.assert_allclose(grad, tape.gradient(dense, probs).numpy(), rtol=1e-3, atol=1e-5)


def test_any_width_model_has_the_steps_of_each_width():
    from crnn_model import output_steps
    model = CRNN((None, 32, 1), 9, prediction_only=True)
    for width in (64, 100, 256, 384, 777):
        assert model.predict_on_batch(np.zeros((1, width, 32, 1), 'float32')).shape == (1, output_steps(width), 9)
        assert CRNN((width, 32, 1), 9, prediction_only=True).output_shape[1] == output_steps(width)


def test_warmup_cosine_schedule():
    from utils.train.optimizers import Adam, warmup_cosine
    sched = warmup_cosine(1e-3, 1000, 100)
    assert float(sched(0)) == 0 and float(sched(50)) == pytest.approx(5e-4, rel=1e-4)
    assert float(sched(100)) == pytest.approx(1e-3, rel=1e-4)
    assert float(sched(550)) == pytest.approx(1e-3 * (0.01 + 0.99 * 0.5), rel=1e-3)
    assert float(sched(1000)) == pytest.approx(1e-5, rel=1e-3)
    assert Adam(learning_rate=sched)._learning_rate is sched
    with pytest.raises(ValueError, match='decay or a learning-rate schedule'):
        Adam(learning_rate=sched, decay=1e-6)
    with pytest.raises(ValueError, match='none after'):
        warmup_cosine(1e-3, 100, 100)


def test_time_cosine_sets_the_rate_by_elapsed_time_each_epoch():
    import keras
    from utils.train.optimizers import TimeCosine, cosine_at, current_learning_rate
    ticks = iter([0.0, 0.0, 30.0, 60.0])  # train begin, then each epoch's start: 0, 0.5 and 1.0 of a minute
    schedule = TimeCosine(1e-3, minutes=1, warmup=0.05, clock=lambda: next(ticks))
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(
        current_learning_rate(model.optimizer)))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss='mse')
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=3, verbose=0, callbacks=[schedule, record])
    assert seen == pytest.approx([1e-5, cosine_at(0.5, 1e-3, 0.05), 1e-5], rel=1e-5)
    assert 1e-5 < cosine_at(0.5, 1e-3, 0.05) < 1e-3
    assert cosine_at(0.025, 1e-3, 0.05) == pytest.approx(5e-4) and cosine_at(0.05, 1e-3, 0.05) == pytest.approx(1e-3)


def test_sgd_decay_is_keras2_inverse_time():
    from utils.train.optimizers import SGD, current_learning_rate
    opt = SGD(learning_rate=1e-4, decay=1e-6, momentum=0.9, nesterov=True, clipnorm=5)
    assert opt.nesterov and opt.clipnorm == 5
    sched = opt._learning_rate
    for it in (0, 1000, 10 ** 6):
        assert float(sched(it)) == pytest.approx(1e-4 / (1 + 1e-6 * it), rel=1e-6)
    assert current_learning_rate(opt) == pytest.approx(1e-4)
    with pytest.raises(ValueError):
        SGD(learning_rate=1, lr=2)


def test_light_arch_has_the_crnn_time_steps_at_a_fraction_of_its_weights():
    from crnn_model import ARCHS, arch_of_layers, output_steps
    light = CRNN((None, 32, 1), 2602, prediction_only=True, arch='light')
    crnn = CRNN((None, 32, 1), 2602, prediction_only=True)
    for width in (64, 100, 256, 777):
        assert light.predict_on_batch(np.zeros((1, width, 32, 1), 'float32')).shape == (1, output_steps(width), 2602)
    assert light.count_params() < 0.3 * crnn.count_params()
    assert arch_of_layers([l.name for l in light.layers]) == 'light'
    assert arch_of_layers([l.name for l in crnn.layers]) == 'crnn'
    assert arch_of_layers(['dense1']) is None and set(ARCHS) == {'crnn', 'light'}
    with pytest.raises(ValueError, match="unknown architecture 'vgg'"):
        CRNN((None, 32, 1), 9, arch='vgg')


def test_distillation_adds_the_weighted_kl_from_the_teacher():
    """CTCLoss(distill=w) with the teacher's probabilities: the CTC loss of the
    labels plus w times the KL divergence summed over the steps."""
    import keras
    probs, teacher = random_probs((2, 12, 6), seed=1), random_probs((2, 12, 6), seed=2)
    labels = np.array([[1, 2, 2, 0], [3, 4, 0, 0]], 'float32')
    inputs = [labels, probs, np.full((2, 1), 12, 'int32'), np.array([[3], [2]], 'int32')]
    plain = keras.ops.convert_to_numpy(CTCLoss(sparse=False)(inputs))[:, 0]
    both = keras.ops.convert_to_numpy(CTCLoss(sparse=False, distill=0.5)(inputs + [teacher]))[:, 0]
    kl = (teacher * (np.log(teacher + CTC_EPSILON) - np.log(probs + CTC_EPSILON))).sum(axis=(1, 2))
    np.testing.assert_allclose(plain, [ctc_reference(probs[0], [1, 2, 2], 5), ctc_reference(probs[1], [3, 4], 5)],
                               rtol=1e-4)
    np.testing.assert_allclose(both, plain + 0.5 * kl, rtol=1e-4)
    model, _ = CRNN((None, 32, 1), 6, arch='light', distill=1.0)
    assert [i.name for i in model.inputs][-1] == 'teacher_probs'
