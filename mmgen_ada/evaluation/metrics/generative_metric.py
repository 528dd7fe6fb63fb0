# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Base class of metrics that compare features of real and generated images."""
import hashlib
import json
import os
import os.path as osp
import uuid
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmgen_ada.registry import MODELS
from mmgen_ada.visualization import to_uint8
from .mmagic_metric_args import (check_sample_keys, label_source,
                                 sampling_from_kwargs)
from .real_stats_file import load_real_stats, save_real_stats

DEFAULT_FEATURE_EXTRACTOR = dict(type='InceptionV3TorchScript')
#: Real statistics are cached here unless a metric says otherwise.
DEFAULT_CACHE_DIR = osp.join(
    os.environ.get('MMGEN_ADA_CACHE', osp.join('~', '.cache', 'mmgen_ada')),
    'real_stats')
SAMPLE_MODELS = ('ema', 'orig')


class GenerativeMetric(BaseMetric):
    """Metric on features of real images against features of generated ones.

    The evaluation loop (:class:`mmgen_ada.engine.runner.GenValLoop`) builds
    one feature extractor per distinct ``feature_extractor`` config, so FID,
    KID and precision/recall with the same extractor see each image once; it
    calls :meth:`load_real_cache` / :meth:`feed_real` / :meth:`feed_fake` and
    finally :meth:`evaluate` through the mmengine ``Evaluator``. Used on its
    own with an ``Evaluator``, :meth:`process` takes images instead.

    Under DDP every rank feeds its share of items in the order of mmengine's
    ``DefaultSampler`` (rank r holds items r, r + world_size, ...);
    :meth:`evaluate` gathers them with ``collect_results``, keeps the first
    ``real count`` / ``fake_nums`` items, computes on rank 0 and broadcasts.

    Args:
        fake_nums (int): Number of generated images. 50000 in the papers.
        real_nums (int): Number of real images, the first ones of the
            dataset; -1 (default) means the whole dataset (NVlabs ``_full``).
        feature_extractor (dict, optional): MODELS config of the extractor:
            a module mapping uint8 (N, C, H, W) to float (N, D) with a
            ``cache_name`` attribute. Defaults to None, meaning
            ``dict(type='InceptionV3TorchScript')``.
        sample_model (str): Generator to sample: 'ema' (G_ema, default) or
            'orig'.
        real_cache_dir (str, optional): Folder of cached real statistics
            (npz). None disables caching. Defaults to
            ``$MMGEN_ADA_CACHE/real_stats`` (``~/.cache/mmgen_ada``).
        collect_device (str): 'cpu' or 'gpu', for ``collect_results``.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the result keys. Defaults to the
            class's ``default_prefix``, plus '-Full' when ``real_nums`` is -1
            (e.g. 'FID-Full').
        fake_key (str, optional): MMagic's key of the generated image;
            only None or 'fake_img' (the generator's output). Defaults to
            None.
        real_key (str, optional): MMagic's key of the real image; only
            'gt_img', 'img' or None (the dataset's ``inputs``). Defaults to
            'gt_img'.
        need_cond_input (bool, optional): Labels of conditional generators:
            None (default) or True take labels of random real images (as
            NVlabs and MMagic's True), False draws a uniform random class
            (MMagic's False). Ignored by unconditional generators.
        sample_kwargs (dict, optional): MMagic's generator arguments:
            ``truncation`` (psi, default 1), ``randomize_noise`` (True:
            'random' noise, False: 'const'), ``add_noise`` (False: 'none').
            Without a noise key the loop's ``noise_mode`` is used.
        inception_pkl (str, optional): MMagic's file of real statistics: read
            if it exists (a pickle of numpy arrays or an npz; see
            :mod:`~mmgen_ada.evaluation.metrics.real_stats_file`), else
            computed and written there. It replaces the file in
            ``real_cache_dir``. Defaults to None.
    """

    default_prefix = 'Generative'

    def __init__(self,
                 fake_nums: int,
                 real_nums: int = -1,
                 feature_extractor: Optional[dict] = None,
                 sample_model: str = 'ema',
                 real_cache_dir: Optional[str] = DEFAULT_CACHE_DIR,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: Optional[bool] = None,
                 sample_kwargs: Optional[dict] = None,
                 inception_pkl: Optional[str] = None) -> None:
        if prefix is None:  # NVlabs' '_full' means all real images
            prefix = self.default_prefix + ('-Full' if real_nums == -1 else '')
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(fake_nums, int) or fake_nums < 2:
            raise ValueError(f'fake_nums must be an int >= 2, got '
                             f'{fake_nums!r}.')
        if not isinstance(real_nums, int) or (real_nums < 2
                                              and real_nums != -1):
            raise ValueError(f'real_nums must be -1 (whole dataset) or an '
                             f'int >= 2, got {real_nums!r}.')
        if sample_model not in SAMPLE_MODELS:
            raise ValueError(f'sample_model must be one of {SAMPLE_MODELS}, '
                             f'got {sample_model!r}.')
        if feature_extractor is None:
            feature_extractor = DEFAULT_FEATURE_EXTRACTOR
        if not isinstance(feature_extractor, dict) or \
                'type' not in feature_extractor:
            raise TypeError('feature_extractor must be a MODELS config dict '
                            f'with a "type", got {feature_extractor!r}.')
        name = type(self).__name__
        check_sample_keys(name, fake_key, real_key)
        # MMagic keys (validated; the loop passes images directly).
        self.fake_image_key, self.real_image_key = fake_key, real_key
        self.label_source = label_source(name, need_cond_input)
        self.truncation_psi, self.noise_mode = sampling_from_kwargs(
            name, sample_kwargs)
        if inception_pkl is not None and not isinstance(inception_pkl, str):
            raise TypeError(f'{name}: inception_pkl must be a path (str), '
                            f'got {type(inception_pkl).__name__}.')
        if inception_pkl is not None and \
                inception_pkl.startswith(('http://', 'https://', 's3://')):
            raise ValueError(
                f'{name}: inception_pkl={inception_pkl!r} is a URL; it must '
                'be a local file (statistics are never downloaded). Download '
                'it and give its path.')
        self.inception_pkl = (None if inception_pkl is None else
                              osp.expanduser(inception_pkl))
        self.fake_nums = fake_nums
        self.real_nums = real_nums
        self.feature_extractor_cfg = dict(feature_extractor)
        self.sample_model = sample_model
        self.real_cache_dir = (None if real_cache_dir is None else
                               osp.expanduser(real_cache_dir))
        self.real_results: List[np.ndarray] = []
        self.fake_results: List[np.ndarray] = []
        self.real_target: Optional[int] = None
        self.real_payload: Optional[Dict[str, np.ndarray]] = None
        self._cache_file: Optional[str] = None
        # (key, payload) of the last real statistics, reused by later rounds
        # (periodic evaluation during training) on rank 0.
        self._memo: Optional[tuple] = None
        self._real_key: Optional[str] = None
        self._extractor: Optional[nn.Module] = None

    # ----------------------------------------------------------- bookkeeping
    @property
    def sampling_key(self) -> tuple:
        """How fakes are drawn; metrics with equal keys share one pass.

        ``(sample_model, truncation_psi, noise_mode, label_source)``; a None
        noise mode means the loop's.
        """
        return (self.sample_model, self.truncation_psi, self.noise_mode,
                self.label_source)

    @property
    def extractor_key(self) -> str:
        """Canonical text of the extractor config; equal keys share one."""
        return json.dumps(self.feature_extractor_cfg, sort_keys=True)

    @property
    def real_done(self) -> bool:
        """Whether no more real features are needed on this rank."""
        return self.real_payload is not None

    def reset(self, num_real_available: int) -> None:
        """Start a new evaluation round.

        Args:
            num_real_available (int): Size of the real dataset; the metric
                uses ``min(real_nums, num_real_available)`` real images
                (all of them when ``real_nums`` is -1).
        """
        if num_real_available < 2:
            raise ValueError('Need at least 2 real images, the dataset has '
                             f'{num_real_available}.')
        self.real_target = (
            num_real_available if self.real_nums == -1 else min(
                self.real_nums, num_real_available))
        self.real_results.clear()
        self.fake_results.clear()
        self.real_payload = None
        self._cache_file = None
        self._real_key = None

    def feed_real(self, feats: torch.Tensor) -> None:
        """Add features (N, D) of real images held by this rank."""
        self.real_results.extend(feats.detach().float().cpu().numpy())

    def feed_fake(self, feats: torch.Tensor) -> None:
        """Add features (N, D) of generated images made by this rank."""
        self.fake_results.extend(feats.detach().float().cpu().numpy())

    # ----------------------------------------------------------- real cache
    def real_key(self, dataset_fingerprint: str, resolution: Union[int, str],
                 extractor_name: str) -> str:
        """Digest naming this metric's real statistics.

        It hashes the dataset content fingerprint, the resolution, the number
        of real images, the extractor (its ``cache_name`` and config) and the
        kind of statistics (:attr:`payload_kind`).
        """
        key = json.dumps(
            dict(
                dataset=dataset_fingerprint,
                resolution=resolution,
                real_nums=self.real_target,
                extractor=extractor_name,
                extractor_cfg=self.feature_extractor_cfg,
                payload=self.payload_kind),
            sort_keys=True)
        return hashlib.sha1(key.encode('utf-8')).hexdigest()[:20]

    def cache_file(self, dataset_fingerprint: str,
                   resolution: Union[int, str],
                   extractor_name: str) -> Optional[str]:
        """Path of this metric's real statistics, or None (no caching).

        ``inception_pkl`` when given, else an npz in ``real_cache_dir``.
        """
        if self.inception_pkl is not None:
            return self.inception_pkl
        if self.real_cache_dir is None:
            return None
        digest = self.real_key(dataset_fingerprint, resolution, extractor_name)
        return osp.join(
            self.real_cache_dir,
            f'{self.payload_kind}-{extractor_name}-{self.real_target}-'
            f'{resolution}px-{digest}.npz')

    def load_real_cache(self, dataset_fingerprint: str,
                        resolution: Union[int, str],
                        extractor_name: str) -> bool:
        """Reuse real statistics from memory or disk; all ranks agree.

        Rank 0 looks for statistics of the previous round (same key) and then
        for the npz cache file; its answer is broadcast.

        Returns:
            bool: True if loaded (then no real features need feeding).
        """
        if self.real_target is None:
            raise RuntimeError(f'{type(self).__name__}.reset(num_real) must '
                               'be called before load_real_cache().')
        self._real_key = self.real_key(dataset_fingerprint, resolution,
                                       extractor_name)
        path = self.cache_file(dataset_fingerprint, resolution, extractor_name)
        self._cache_file = path
        payload = None
        if is_main_process():
            if self._memo is not None and self._memo[0] == self._real_key:
                payload = self._memo[1]
            elif path is not None and path == self.inception_pkl and \
                    osp.isfile(path):
                payload = load_real_stats(path, self.payload_kind)
                print_log(
                    f'{self.prefix}: loaded real statistics from '
                    f'inception_pkl {path}',
                    logger='current')
            elif path is not None and osp.isfile(path):
                with np.load(path, allow_pickle=False) as npz:
                    payload = {k: npz[k] for k in npz.files}
                print_log(
                    f'{self.prefix}: loaded real statistics from '
                    f'{path}',
                    logger='current')
        found = [payload is not None]
        broadcast_object_list(found)
        if not found[0]:
            return False
        # Only rank 0 computes the metric; others just skip the real pass.
        self.real_payload = payload if payload is not None else {}
        return True

    def _save_real_cache(self, payload: Dict[str, np.ndarray]) -> None:
        if self._cache_file is None:
            return
        if self._cache_file == self.inception_pkl:
            save_real_stats(self._cache_file, payload)
            print_log(
                f'{self.prefix}: saved real statistics to '
                f'{self._cache_file}',
                logger='current')
            return
        os.makedirs(osp.dirname(self._cache_file), exist_ok=True)
        tmp = f'{self._cache_file}.{uuid.uuid4().hex}.npz'
        np.savez(tmp, **payload)
        os.replace(tmp, self._cache_file)  # atomic on one file system
        print_log(
            f'{self.prefix}: saved real statistics to '
            f'{self._cache_file}',
            logger='current')

    # ------------------------------------------------------- subclass hooks
    @property
    def payload_kind(self) -> str:
        """Names the kind of cached real statistics.

        'features' (all real features) by default, so metrics that keep the
        same thing (KID, precision/recall) share one cache file.
        """
        return 'features'

    def summarize_real(self, real_feats: np.ndarray) -> Dict[str, np.ndarray]:
        """What is kept (and cached) of the real features (N, D).

        Defaults to all of them; FID keeps only mean and covariance.
        """
        return dict(features=real_feats)

    @abstractmethod
    def compute(self, real: Dict[str, np.ndarray],
                fake_feats: np.ndarray) -> Dict[str, float]:
        """Compute the scores from real statistics and fake features (N, D)."""

    # ------------------------------------------------ mmengine BaseMetric API
    def build_extractor(self, device: torch.device) -> nn.Module:
        """The metric's own extractor (used by :meth:`process`)."""
        if self._extractor is None:
            self._extractor = MODELS.build(self.feature_extractor_cfg).eval()
        return self._extractor.to(device)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Extract and add features of images given as evaluator samples.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict]): Each with ``'fake_img'`` or
                ``'real_img'``: an image (C, H, W), uint8 or float in
                [-1, 1]. Call :meth:`reset` first.
        """
        if self.real_target is None:
            raise RuntimeError(f'{type(self).__name__}.reset(num_real) must '
                               'be called before process().')
        for kind in ('real_img', 'fake_img'):
            imgs = [s[kind] for s in data_samples if kind in s]
            if not imgs:
                continue
            imgs = to_uint8(torch.stack(imgs))
            feats = self.build_extractor(imgs.device)(imgs)
            if kind == 'real_img':
                self.feed_real(feats)
            else:
                self.feed_fake(feats)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``results`` is ``[real statistics dict, fake features (N, D)]``."""
        real, fake_feats = results
        return self.compute(real, fake_feats)

    def _collect(self, items: List[np.ndarray], size: int) -> Optional[list]:
        if self.collect_device == 'cpu':
            return collect_results(items, size, 'cpu', tmpdir=self.collect_dir)
        return collect_results(items, size, self.collect_device)

    def evaluate(self, size: Optional[int] = None) -> Dict[str, float]:
        """Gather features from all ranks and compute on rank 0.

        Args:
            size: Ignored; the sizes are ``real count`` and ``fake_nums``.

        Returns:
            dict: ``{'<prefix>/<name>': value}``, identical on every rank.
        """
        if self.real_target is None:
            raise RuntimeError(f'{type(self).__name__}: nothing to evaluate, '
                               'reset() was never called.')
        real_payload = self.real_payload
        if real_payload is None:
            reals = self._collect(self.real_results, self.real_target)
            if is_main_process():
                if len(reals) < self.real_target:
                    raise RuntimeError(
                        f'{self.prefix}: got {len(reals)} real features, '
                        f'expected {self.real_target}.')
                real_payload = self.summarize_real(np.stack(reals))
                self._save_real_cache(real_payload)
                self.real_payload = real_payload
                if self._real_key is not None:
                    self._memo = (self._real_key, real_payload)
        fakes = self._collect(self.fake_results, self.fake_nums)
        if is_main_process():
            if len(fakes) < self.fake_nums:
                raise RuntimeError(f'{self.prefix}: got {len(fakes)} fake '
                                   f'features, expected {self.fake_nums}.')
            scores = self.compute_metrics([real_payload, np.stack(fakes)])
            scores = {f'{self.prefix}/{k}': v for k, v in scores.items()}
        else:
            scores = None
        out = [scores]
        broadcast_object_list(out)
        self.real_results.clear()
        self.fake_results.clear()
        return out[0]
