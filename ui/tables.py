"""Tables several pages show the same way: a model's layers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

LAYER_COLUMNS = {  # nn.kinds' describe() rows, in a learner's words
    "output shape": st.column_config.TextColumn(
        "output per image", help="What one image becomes after this layer: height×width×channels"),
    "params": st.column_config.NumberColumn("parameters", help="The weights this layer learns"),
    "macs": st.column_config.NumberColumn(
        "multiply-adds per image", help="The multiplications (each with an addition) this layer does "
                                        "for one image: what its time depends on"),
}


def layers(rows: list[dict], key: str) -> None:
    """A model's layer table (nn.kinds' describe rows)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=key, column_config=LAYER_COLUMNS)
