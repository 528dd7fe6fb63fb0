# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Named augmentation pipelines of the ADA paper (``--augpipe`` in NVlabs).

Each preset sets the probability multiplier of its ops to 1; every other op
keeps multiplier 0. The letters read: ``b`` pixel blitting, ``g`` general
geometric, ``c`` colour, ``f`` image-space filtering, ``n`` additive noise,
``c`` (last) cutout. ``bgc`` is the paper's default.
"""
from types import MappingProxyType
from typing import Dict, Mapping

BLIT_OPS = ('xflip', 'rotate90', 'xint')
GEOM_OPS = ('scale', 'rotate', 'aniso', 'xfrac')
COLOR_OPS = ('brightness', 'contrast', 'lumaflip', 'hue', 'saturation')
FILTER_OPS = ('imgfilter', )
NOISE_OPS = ('noise', )
CUTOUT_OPS = ('cutout', )

#: Every op of the pipe, in the order it is applied.
ALL_OPS = (
    BLIT_OPS + GEOM_OPS + COLOR_OPS + FILTER_OPS + NOISE_OPS + CUTOUT_OPS)

_PRESET_OPS = {
    'blit': BLIT_OPS,
    'geom': GEOM_OPS,
    'color': COLOR_OPS,
    'filter': FILTER_OPS,
    'noise': NOISE_OPS,
    'cutout': CUTOUT_OPS,
    'bg': BLIT_OPS + GEOM_OPS,
    'bgc': BLIT_OPS + GEOM_OPS + COLOR_OPS,
    'bgcf': BLIT_OPS + GEOM_OPS + COLOR_OPS + FILTER_OPS,
    'bgcfn': BLIT_OPS + GEOM_OPS + COLOR_OPS + FILTER_OPS + NOISE_OPS,
    'bgcfnc': ALL_OPS,
}

#: Preset name -> read-only ``{op: 1.0}`` multiplier mapping.
AUGMENT_PRESETS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    name:
    MappingProxyType({op: 1.0
                      for op in ops})
    for name, ops in _PRESET_OPS.items()
})


def preset_multipliers(name: str) -> Dict[str, float]:
    """Probability multipliers of a named preset.

    Args:
        name (str): One of ``blit, geom, color, filter, noise, cutout, bg,
            bgc, bgcf, bgcfn, bgcfnc``.

    Returns:
        dict[str, float]: ``{op: 1.0}`` for the ops of the preset (a new
        dict the caller may modify).
    """
    if name not in AUGMENT_PRESETS:
        raise ValueError(f'Unknown augmentation preset {name!r}; valid '
                         f'presets are {sorted(AUGMENT_PRESETS)}.')
    return dict(AUGMENT_PRESETS[name])
