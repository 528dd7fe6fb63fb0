# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Convert official NVlabs state dicts into an mmgen-ada checkpoint.

Example::

    python tools/model_converters/nvlabs_state_dict_to_mmgen_ada.py \\
        configs/stylegan2/my_config.py out.pth --g G.pt --d D.pt \\
        --g-ema G_ema.pt

Each input is a ``torch.save``d ``state_dict()`` of NVlabs'
``Generator``/``Discriminator`` (or a dict with keys ``G``, ``D``,
``G_ema`` given as ``--all``). The config must describe the same
architecture (its model is built and loaded strictly). Without ``--g-ema``
the generator is also used as G_ema. The config is stored in the checkpoint.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config

from mmgen_ada.apis import convert_nvlabs_state_dicts


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='NVlabs state dicts -> mmgen-ada checkpoint')
    parser.add_argument('config', help='mmgen-ada config of the model')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--g', help='generator state dict (.pt)')
    parser.add_argument('--d', help='discriminator state dict (.pt)')
    parser.add_argument('--g-ema', help='G_ema state dict (.pt)')
    parser.add_argument(
        '--all', help='one file with a dict of G, D and/or G_ema state dicts')
    args = parser.parse_args(argv)
    if args.all is None and args.g is None and args.g_ema is None:
        parser.error('give --g/--g-ema (and --d), or --all')
    return args


def _load(path: Optional[str]) -> Optional[dict]:
    return None if path is None else torch.load(
        path, map_location='cpu', weights_only=True)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    parts = dict(G=_load(args.g), D=_load(args.d), G_ema=_load(args.g_ema))
    if args.all is not None:
        bundle = _load(args.all)
        unknown = sorted(set(bundle) - set(parts))
        if unknown:
            raise ValueError(f'{args.all} has keys {unknown}; expected some '
                             'of G, D, G_ema')
        parts.update({k: v for k, v in bundle.items() if v is not None})
    checkpoint = convert_nvlabs_state_dicts(
        cfg.model.to_dict(),
        generator=parts['G'],
        discriminator=parts['D'],
        generator_ema=parts['G_ema'],
        source=', '.join(
            p for p in (args.all, args.g, args.d, args.g_ema) if p))
    if checkpoint['meta']['not_converted']:
        print('Not given, left at initialisation: '
              f"{checkpoint['meta']['not_converted']}")
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(checkpoint, args.dst)
    print(f'Saved {args.dst}')


if __name__ == '__main__':
    main()
