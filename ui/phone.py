"""What the app does for a phone's narrow screen that Streamlit does not."""

from __future__ import annotations

import streamlit as st

NARROW = 640  # px: Streamlit's sidebar covers the page below this width

# Streamlit leaves the sidebar open over the page after a page link is tapped when the sidebar
# has content of its own (streamlit/streamlit#12065): the page chosen is hidden under it. Once a
# link is tapped on a narrow screen, the sidebar is closed as soon as the new page shows it open.
CLOSE_SIDEBAR_AFTER_A_LINK = """<script>
if (!window.__closesSidebarAfterALink) {
  window.__closesSidebarAfterALink = true;
  document.addEventListener("click", (event) => {
    if (window.innerWidth > NARROW || !event.target.closest('[data-testid="stSidebarNav"] a')) return;
    const from = location.pathname, started = performance.now();
    const close = () => {
      const open = document.querySelector('[data-testid="stSidebar"][data-collapsed="false"]');
      const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (location.pathname !== from && open && button) { button.click(); return; }
      if (performance.now() - started < 5000) setTimeout(close, 100);
    };
    setTimeout(close, 100);
  }, true);
}
</script>""".replace("NARROW", str(NARROW))


def close_sidebar_after_a_link() -> None:
    st.html(CLOSE_SIDEBAR_AFTER_A_LINK, unsafe_allow_javascript=True)
