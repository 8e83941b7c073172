"""Who embeds the clips that ``timbre.index.clip_feed`` makes."""

from types import SimpleNamespace

import pytest

from timbre.index.clip_feed import embedding_processes


@pytest.mark.parametrize("parallel_safe, items, expected", [(True, 100, 2), (False, 100, 1), (True, 10, 1)])
def test_only_a_parallel_safe_embedder_fed_through_a_pool_embeds_in_several_processes(parallel_safe, items,
                                                                                          expected):
    model = SimpleNamespace(parallel_safe=parallel_safe)
    assert embedding_processes(model, items, workers=2, min_pooled=32) == expected
