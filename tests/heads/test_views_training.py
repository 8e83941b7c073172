"""The head learns what search compares: a clip is paired with its preset's nearest pitch view, and
validation ranks presets by their best view. Chord clips sound several shifted copies together."""

import numpy as np

from timbre.audio import pitch_shift
from timbre.heads.augment import CHORD_SHAPES, augment_clip, draw_shift
from timbre.heads.examples import build_training_data
from timbre.heads.metrics import retrieval_metrics

DIM, VIEWS = 6, 3


def _unit(rows):
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def test_a_clip_is_paired_with_the_view_of_its_preset_nearest_to_it():
    rng = np.random.default_rng(0)
    n = 40
    views = _unit(rng.normal(size=(n, VIEWS, DIM)))
    vectors = views[:, 1]
    owner = np.arange(n).repeat(2)
    nearest = rng.integers(0, VIEWS, len(owner))  # each clip is a noisy copy of one view
    clips = _unit(views[owner, nearest] + 0.05 * rng.normal(size=(len(owner), DIM)))
    data = build_training_data(vectors, [f"k{i}" for i in range(n)], None, clips, owner, views=views, seed=0)
    assert data.n_views == VIEWS and data.views_start == n + len(clips)
    np.testing.assert_array_equal(data.table[data.views_start:], views.reshape(-1, DIM))
    for examples in (data.train, data.val):
        positives = examples.pairs[examples.pair_target == 1]
        clip_index = positives[:, 0] - n
        expected = data.views_start + owner[clip_index] * VIEWS + nearest[clip_index]
        np.testing.assert_array_equal(positives[:, 1], expected)
        negatives = examples.pairs[examples.pair_target == 0]
        assert (negatives[:, 1] >= data.views_start).all()  # other presets are compared by a view too
        assert (data.owner[negatives[:, 1]] != owner[negatives[:, 0] - n]).all()


def test_without_views_the_pairs_point_at_the_preset_rows():
    rng = np.random.default_rng(1)
    vectors = _unit(rng.normal(size=(10, DIM)))
    data = build_training_data(vectors, [f"k{i}" for i in range(10)], None, vectors.repeat(2, 0), np.arange(10).repeat(2))
    assert data.n_views == 0 and len(data.table) == 30
    assert (data.train.pairs[:, 1] < 10).all()


def test_retrieval_ranks_a_preset_by_its_best_view():
    library = _unit([[[1, 0, 0], [0, 1, 0]], [[0.9, 0.1, 0], [0.8, 0.2, 0]]])  # preset 0 has a view at y
    query = _unit([[0.1, 1.0, 0.0]])
    assert retrieval_metrics(query, np.array([0]), library)["recall_at_1"] == 1.0
    assert retrieval_metrics(query, np.array([0]), library[:, 0])["recall_at_1"] == 0.0  # by row: preset 1


def test_a_chord_clip_sounds_several_shifted_copies_together():
    sr = 8000
    t = np.arange(sr) / sr
    audio = (np.sin(2 * np.pi * 220 * t) * np.exp(-t)).astype(np.float32)
    settings = {"max_semitones": 0, "chord_probability": 1.0, "loop_probability": 0.0, "fx_probability": 0.0}
    clip = augment_clip(audio, sr, settings, np.random.default_rng(3))
    spectrum = np.abs(np.fft.rfft(clip[: sr // 4], n=sr))
    peaks = {int(f) for f in np.flatnonzero(spectrum > 0.3 * spectrum.max())}
    roots = {round(220 * 2 ** (i / 12)) for shape in CHORD_SHAPES for i in shape}
    assert len({r for r in roots if any(abs(r - p) <= 3 for p in peaks)}) >= 2  # at least two notes at once
    assert np.array_equal(clip, augment_clip(audio, sr, settings, np.random.default_rng(3)))  # seeded
    assert len(pitch_shift(audio, sr, 12)) == len(audio) // 2


def test_drawing_the_shift_first_gives_the_same_clip():
    sr = 8000
    audio = (np.sin(2 * np.pi * 220 * np.arange(sr) / sr) * np.exp(-np.arange(sr) / sr)).astype(np.float32)
    settings = {"max_semitones": 12, "chord_probability": 0.3, "loop_probability": 0.5, "fx_probability": 0.0}
    for seed in range(5):
        rng = np.random.default_rng(seed)
        shift = draw_shift(settings, rng)
        assert -12 <= shift <= 12
        assert np.array_equal(augment_clip(audio, sr, settings, rng, shift),
                              augment_clip(audio, sr, settings, np.random.default_rng(seed)))


def test_not_similar_holds_for_every_view_and_similar_for_the_nearest():
    from timbre.heads.pairs import ResolvedPairs

    rng = np.random.default_rng(2)
    n = 12
    views = _unit(rng.normal(size=(n, VIEWS, DIM)))
    target = _unit(views[3, 2] + 0.01 * rng.normal(size=DIM))[None]  # a loop judged outside the index
    resolved = ResolvedPairs(pairs=[(n, 3, 1.0, 1.0), (n, 5, 0.0, 1.0)], triplets=[], missing=[])
    data = build_training_data(views[:, 0], [f"k{i}" for i in range(n)], resolved, extra=target, views=views,
                               seed=0)
    start = data.views_start
    examples = [(int(a), int(b), float(t)) for ex in (data.train, data.val)
                for (a, b), t in zip(ex.pairs, ex.pair_target)]
    assert (n, start + 3 * VIEWS + 2, 1.0) in examples  # similar: the view nearest the loop
    assert sorted(e for e in examples if e[2] == 0.0) == [(n, start + 5 * VIEWS + v, 0.0) for v in range(VIEWS)]
    assert len(data.judgments) == 2  # still two judgments of the producer's (agreement counts them once)


def _training_loss(views, clips, owner):
    """The training loss of an untrained (identity) head over every training example at once."""
    import torch

    from timbre.heads.data import encode_examples
    from timbre.heads.losses import get_loss
    from timbre.heads.model import ResidualProjection
    from timbre.heads.module import HeadModule

    n = len(views)
    data = build_training_data(views[:, 0], [f"k{i}" for i in range(n)], None, clips, owner, views=views,
                               val_fraction=0.0, seed=0)
    net = ResidualProjection(DIM, 16, 0, 0.0)
    net.reset_to_identity(data.table[:n])
    module = HeadModule(net, get_loss("infonce", temperature=0.05), data)
    with torch.no_grad():
        return float(module._loss(list(encode_examples(data.train).tensors)))


def test_training_contrasts_a_clip_with_every_view_of_the_other_presets():
    """Search scores a preset by its best view, so a clip that another preset's far view matches is a
    miss even when that preset's own clips sit elsewhere: the loss must see that view."""
    rng = np.random.default_rng(4)
    n = 8
    views = _unit(rng.normal(size=(n, VIEWS, DIM)))
    clips = _unit(views[:, 0] + 0.01 * rng.normal(size=(n, DIM)))  # each clip near its preset's first view
    owner = np.arange(n)
    hubbed = views.copy()
    hubbed[1, 2] = clips[0]  # preset 1's last view sounds exactly like preset 0's clip
    plain, with_rival = _training_loss(views, clips, owner), _training_loss(hubbed, clips, owner)
    assert with_rival > plain + 0.5 / n  # the rival view costs about log 2 on one of n clips
