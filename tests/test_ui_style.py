"""The Style transfer tab's glue, without a browser: streamed errors, per-session stop flags, slider values."""

from __future__ import annotations

import gradio as gr
import pytest

from gan_demo.ui.style_support import PRESETS, StopFlags, model_stream, preset_values, settings_from_controls


def test_an_error_while_streaming_becomes_a_readable_message_and_the_handler_is_closed():
    closed = []

    @model_stream
    def handler():
        try:
            yield "first picture"
            raise ValueError("style-image weights are all 0: at least one must be above 0")
        finally:
            closed.append(True)

    stream = handler()
    assert next(stream) == "first picture"
    with pytest.raises(gr.Error, match="all 0"):
        next(stream)
    assert closed == [True]


def test_stop_ends_only_the_run_of_its_own_session():
    flags = StopFlags()
    mine, theirs = flags.start("me"), flags.start("them")
    flags.stop("me")
    assert mine.is_set() and not theirs.is_set()
    flags.finish("me", mine)
    flags.stop("me")  # nothing running for this session any more: nothing to do, no error
    newer = flags.start("them")
    flags.finish("them", theirs)  # an old run finishing late must not drop the newer run's flag
    flags.stop("them")
    assert newer.is_set()


def test_log_sliders_become_weights_and_presets_grow_stronger():
    options = {"steps": 10, "size": 128, "optimiser": "adam", "init": "noise", "colour": "luminance", "coarse": False}
    settings = settings_from_controls([0, 2, -1], [1, 0.5, 1, 1, 1], options)
    assert (settings.weights.content, settings.weights.style, settings.weights.tv) == pytest.approx((1, 100, 0.1))
    assert settings.weights.layers == (1, 0.5, 1, 1, 1) and settings.preserve_colour == "luminance"
    style_weights = [preset_values(name)[1] for name in ("subtle", "balanced", "strong")]
    assert style_weights == sorted(style_weights) and len(preset_values("balanced")) == 3 + 5 == len(PRESETS) + 5
