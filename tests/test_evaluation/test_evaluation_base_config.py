# Copyright (c) mmgen-ada contributors. All rights reserved.
import os.path as osp

from mmengine.config import Config

from mmgen_ada.registry import LOOPS, METRICS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_evaluation_base_config_states_the_paper_protocol():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'evaluation.py'))
    assert LOOPS.get(cfg.val_cfg.type) is not None
    assert LOOPS.get(cfg.test_cfg.type) is not None
    assert cfg.val_cfg.noise_mode == 'random'  # NVlabs metrics' default
    assert 'default_hooks' not in cfg  # bases may not both define it
    val = [METRICS.build(m) for m in cfg.val_evaluator.metrics]
    test = [METRICS.build(m) for m in cfg.test_evaluator.metrics]
    assert [m.prefix for m in val] == ['FID-Full']
    assert [m.prefix for m in test] == ['FID-Full', 'KID-Full', 'PR-Full']
    for m in val + test:
        assert (m.fake_nums, m.real_nums, m.sample_model) == (50000, -1, 'ema')
        assert m.feature_extractor_cfg == dict(type='InceptionV3TorchScript')
    assert (test[1].num_subsets, test[1].max_subset_size) == (100, 1000)
    assert test[2].nhood_size == 3
