"""The StarGAN tab's controls as label vectors: a row of sliders (one per attribute or domain, a group giving
way to the one moved), values typed by name, and the label and one-line help of each slider."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gan_demo.tasks.attributes import AttributeSpace, move_slider


def slider_values(space: AttributeSpace, values: Sequence[float], *, moved: int | None = None) -> list[float]:
    """The label vector of a row of sliders (the first len(space.names); the rest are hidden), each checked;
    with `moved`, that slider's group gives way to it (move_slider)."""
    if len(values) < len(space.names):
        raise ValueError(f"expected {len(space.names)} values ({', '.join(space.names)}), got {len(values)}")
    vector = [space.check(name, value) for name, value in zip(space.names, values, strict=False)]
    if moved is None:
        return vector
    if not 0 <= moved < len(space.names):
        raise ValueError(f"slider {moved + 1} is not used: this model has {', '.join(space.names)}")
    return move_slider(space, vector, space.names[moved], vector[moved])


def parse_values(text: str) -> dict[str, float]:
    """ "flat=0.3, modern=0.7" (commas, semicolons or spaces between) → {"flat": 0.3, "modern": 0.7}.

    Names and ranges are checked against a model later (AttributeSpace.check); a malformed pair names itself.
    """
    return collect_values(pair for pair in re.split(r"[,;\s]+", re.sub(r"\s*=\s*", "=", text.strip())) if pair)


def collect_values(pairs: Iterable[str]) -> dict[str, float]:
    """["flat=1", "modern=0.5"] → {"flat": 1.0, "modern": 0.5}; a malformed or repeated pair names itself."""
    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not name:
            raise ValueError(f"{pair!r}: expected NAME=VALUE, e.g. flat=1")
        if name in values:
            raise ValueError(f"{name} is given twice")
        try:
            values[name] = float(value)
        except ValueError:
            raise ValueError(f"{pair!r}: {value!r} is not a number") from None
    return values


def slider_label(name: str) -> str:
    """ "Black_Hair" → "Black hair", "high-contrast" → "High-contrast"."""
    return name[:1].upper() + name[1:].replace("_", " ").lower()


def slider_help(space: AttributeSpace, name: str) -> str:
    """One line under a slider: what 0 and 1 mean, its group, and the range beyond them."""
    if space.exclusive:
        return f"How much of the {name} style: the styles share 1, so raising one lowers the others."
    group = [slider_label(other).lower() for other in space.group_of(name) if other != name]
    text = "0 = no, 1 = yes" + (", beyond them exaggerates" if space.low < 0 or space.high > 1 else "")
    return text + (f"; raising it lowers {' and '.join(group)}." if group else ".")
