"""Drives the real app for the browser tests and the benchmarks: `streamlit run server.py` on a
loopback port (harness.server), Debian's Chromium through Playwright (harness.browser), and digits
drawn with the mouse or a finger (harness.strokes)."""
