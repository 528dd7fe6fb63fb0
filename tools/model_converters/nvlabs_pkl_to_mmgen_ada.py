# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Convert an official NVlabs network pickle into an mmgen-ada checkpoint.

Example::

    python tools/model_converters/nvlabs_pkl_to_mmgen_ada.py \\
        metfaces.pkl metfaces.pth
    python tools/generate.py metfaces.pth --seeds 85,265 --outdir out

Reads stylegan2-ada-pytorch and stylegan3 snapshots (G, D, G_ema) WITHOUT
running the code they carry: a restricted unpickler accepts only tensors,
plain data and ``torch_utils.persistence`` records (see
``mmgen_ada/apis/nvlabs_pickle.py``). The model config is derived from the
pickled init kwargs and stored in the checkpoint as plain data
(``meta['cfg']``); print it
with ``--print-config``.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config

from mmgen_ada.apis import convert_nvlabs_pickle, load_nvlabs_pickle


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='NVlabs network pickle -> mmgen-ada checkpoint')
    parser.add_argument('src', help='NVlabs .pkl (local file)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--print-config',
        action='store_true',
        help='print the derived model config')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    data = load_nvlabs_pickle(args.src)
    found = [k for k in ('G', 'D', 'G_ema') if data[k] is not None]
    print(f'Loaded {found} from {args.src}')
    checkpoint = convert_nvlabs_pickle(data, source=osp.basename(args.src))
    if args.print_config:
        print(Config(checkpoint['meta']['cfg']).pretty_text)
    if checkpoint['meta']['not_converted']:
        print('Not in the pickle, left at initialisation: '
              f"{checkpoint['meta']['not_converted']}")
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(checkpoint, args.dst)
    print(f'Saved {args.dst}')


if __name__ == '__main__':
    main()
