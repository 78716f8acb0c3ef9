"""Tables several pages show the same way: a model's layers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.i18n import _


def layer_columns() -> dict:
    """nn.kinds' describe() rows, in a learner's words (and the session's language)."""
    return {
        "layer": st.column_config.TextColumn(_("layer")),
        "type": st.column_config.TextColumn(_("type")),
        "output shape": st.column_config.TextColumn(
            _("output per image"), help=_("What one image becomes after this layer: height×width×channels")),
        "params": st.column_config.NumberColumn(_("parameters"), help=_("The weights this layer learns")),
        "macs": st.column_config.NumberColumn(
            _("multiply-adds per image"), help=_("The multiplications (each with an addition) this layer "
                                                 "does for one image: what its time depends on")),
    }


def layers(rows: list[dict], key: str) -> None:
    """A model's layer table (nn.kinds' describe rows)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=key, column_config=layer_columns())
