"""The table of training families. A new family is one module defining `FAMILY` plus one row here."""

from __future__ import annotations

from gan_demo.training import cyclegan, gan, pix2pix, stargan
from gan_demo.training.family import Family

FAMILIES: dict[str, Family] = {
    family.name: family for family in (gan.FAMILY, pix2pix.FAMILY, cyclegan.FAMILY, stargan.FAMILY)
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown training family {name!r}; choose one of {', '.join(FAMILIES)}") from None
