# Copyright (c) mmgen-ada contributors. All rights reserved.
"""tools/analysis/benchmark_train.py: the ``--cl-autograd`` alternative."""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parents[2] / 'tools' / 'analysis'))
import benchmark_train  # noqa: E402


def _formats(model):
    """Memory format of D's first-block and G's first-conv outputs."""
    seen = {}

    def hook(name):

        def record(module, inputs, output):
            seen[name] = output.is_contiguous(
                memory_format=torch.channels_last) and \
                not output.is_contiguous()

        return record

    handles = [
        model.discriminator.b16.fromrgb.register_forward_hook(hook('D')),
        model.generator.synthesis.b8.conv0.register_forward_hook(hook('G'))
    ]
    z = torch.randn(4, model.generator.noise_size)
    img = model.generator(z)
    logits = model.discriminator(img)
    for handle in handles:
        handle.remove()
    return seen, logits


def test_cl_autograd_changes_the_layout_only_inside_the_block():
    args = argparse.Namespace(
        channel_base=256,
        channel_max=16,
        style_channels=16,
        p=0.0,
        device='cpu')
    model = benchmark_train.build_model(args, 16, 4, ada=True)
    torch.manual_seed(0)
    seen, ref = _formats(model)
    assert seen == dict(D=False, G=False)  # the library's rule with grad
    with benchmark_train.channels_last_with_autograd():
        torch.manual_seed(0)
        seen, out = _formats(model)
    assert seen == dict(D=True, G=True)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    torch.manual_seed(0)
    assert _formats(model)[0] == dict(D=False, G=False)  # restored
