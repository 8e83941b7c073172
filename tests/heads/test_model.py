"""An untrained head keeps the base ranking; the network's shape follows the config; a head's score
keeps its base share."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from synthetic import trained_like_network  # noqa: E402

from timbre.heads.model import ProjectionHead, ResidualProjection  # noqa: E402


def _ranking(queries, library):
    return np.argsort(-(queries @ library.T), axis=1, kind="stable")


def _unit(rng, shape):
    x = rng.normal(size=shape)
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("output_dim", [0, 48])
def test_untrained_head_reproduces_the_base_ranking(output_dim):
    rng = np.random.default_rng(0)
    library, queries = _unit(rng, (300, 32)), _unit(rng, (20, 32))
    head = ProjectionHead(ResidualProjection(32, hidden_dim=64, output_dim=output_dim), "fresh", "fp")
    projected = head.project(library)
    assert projected.shape == (300, output_dim or 32)
    np.testing.assert_allclose(np.linalg.norm(projected, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(_ranking(head.project(queries), projected), _ranking(queries, library))


def test_smaller_output_keeps_the_ranking_of_vectors_in_the_principal_subspace():
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.normal(size=(32, 8)))[0].T  # the library spans 8 of 32 dimensions
    library = rng.normal(size=(200, 8)) @ basis
    library = (library / np.linalg.norm(library, axis=1, keepdims=True)).astype(np.float32)
    net = ResidualProjection(32, hidden_dim=16, output_dim=8)
    net.reset_to_identity(library)
    head = ProjectionHead(net, "pca", "fp")
    queries = library[:15]
    assert np.array_equal(_ranking(head.project(queries), head.project(library)), _ranking(queries, library))


def test_project_refuses_vectors_of_another_dimension():
    from timbre.errors import HeadError

    head = ProjectionHead(ResidualProjection(16, hidden_dim=8), "h", "fp")
    with pytest.raises(HeadError, match="expects 16-d vectors"):
        head.project(np.zeros((2, 12), np.float32))


def _trained_like(input_dim=32, seed=2):
    return trained_like_network(input_dim, seed=seed)


def test_a_head_scores_by_its_network_and_its_base_share():
    rng = np.random.default_rng(3)
    a, b = _unit(rng, (40, 32)), _unit(rng, (40, 32))
    net = _trained_like()
    head = ProjectionHead(net, "mixed", "fp", {"settings": {"search": {"base_weight": 0.2}}})
    alone = ProjectionHead(net, "alone", "fp").project  # no setting: a head saved before it existed
    pa, pb = head.project(a), head.project(b)
    expected = 0.8 * np.sum(alone(a) * alone(b), axis=1) + 0.2 * np.sum(a * b, axis=1)
    np.testing.assert_allclose(np.sum(pa * pb, axis=1), expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(pa, axis=1), 1.0, atol=1e-5)
    (n0, n1), (b0, b1) = head.output_columns  # each share scored by its own best pitch view
    np.testing.assert_allclose(np.sum(pa[:, b0:b1] * pb[:, b0:b1], axis=1), 0.2 * np.sum(a * b, axis=1), atol=1e-5)
    assert (n1 - n0, b1 - b0) == (32, 32) and head.output_dim == 64


def test_a_head_saved_before_the_base_share_ranks_by_its_network_alone():
    net = _trained_like()
    head = ProjectionHead(net, "old", "fp", {"settings": {"seed": 0}})
    x = _unit(np.random.default_rng(4), (5, 32))
    assert head.base_weight == 0 and head.output_columns is None and head.output_dim == 32
    np.testing.assert_allclose(head.project(x), net(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


def test_a_head_of_several_networks_scores_by_the_normalised_sum_of_their_outputs():
    rng = np.random.default_rng(5)
    a, b = _unit(rng, (30, 32)), _unit(rng, (30, 32))
    nets = [_trained_like(seed=s) for s in (2, 3, 4)]
    head = ProjectionHead(nets, "three", "fp", {"settings": {"search": {"base_weight": 0.2}}})
    pa, pb = head.project(a), head.project(b)

    def mean_vector(x):
        total = sum(ProjectionHead(net, "one", "fp").project(x) for net in nets)
        return total / np.linalg.norm(total, axis=1, keepdims=True)

    expected = 0.8 * np.sum(mean_vector(a) * mean_vector(b), axis=1) + 0.2 * np.sum(a * b, axis=1)
    np.testing.assert_allclose(np.sum(pa * pb, axis=1), expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(pa, axis=1), 1.0, atol=1e-5)
    assert head.output_dim == 64 and head.output_columns == [(0, 32), (32, 64)]  # one network's width
    alone = ProjectionHead(nets[0], "first", "fp", head.config).project(a)
    assert not np.allclose(pa[:, :32], alone[:, :32], atol=1e-3)  # the others count


def test_a_list_of_one_network_is_the_single_network_head_bit_for_bit():
    net, x = _trained_like(), _unit(np.random.default_rng(6), (9, 32))
    settings = {"settings": {"search": {"base_weight": 0.2}}}
    assert np.array_equal(ProjectionHead([net], "l", "fp", settings).project(x),
                          ProjectionHead(net, "n", "fp", settings).project(x))
    with pytest.raises(ValueError, match="one shape"):
        ProjectionHead([net, ResidualProjection(32, hidden_dim=64, output_dim=16)], "mixed", "fp")
