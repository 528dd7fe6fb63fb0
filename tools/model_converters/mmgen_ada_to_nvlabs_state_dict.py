# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Export an mmgen-ada checkpoint as NVlabs-layout state dicts.

Example::

    python tools/model_converters/mmgen_ada_to_nvlabs_state_dict.py \\
        work_dirs/x/iter_10000.pth nvlabs_sd.pt

Writes ``torch.save(dict(G=..., D=..., G_ema=...))``; each entry loads with
``load_state_dict`` into the official ``Generator``/``Discriminator`` built
with the same architecture. The config comes from the checkpoint unless
``--config`` is given.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config

from mmgen_ada.apis import to_nvlabs_state_dicts
from mmgen_ada.engine.checkpoint import config_from_checkpoint, read_checkpoint


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='mmgen-ada checkpoint -> NVlabs state dicts')
    parser.add_argument('src', help='mmgen-ada checkpoint')
    parser.add_argument('dst', help='output file (.pt)')
    parser.add_argument(
        '--config', help='model config (default: the one in the checkpoint)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    checkpoint = read_checkpoint(args.src)
    if args.config is not None:
        cfg = Config.fromfile(args.config)
    else:
        cfg = config_from_checkpoint(checkpoint, args.src)
    out = to_nvlabs_state_dicts(checkpoint, cfg.model.to_dict())
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(out, args.dst)
    print(f'Saved {sorted(out)} to {args.dst}')


if __name__ == '__main__':
    main()
