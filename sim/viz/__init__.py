"""Figures and the browser app. The palette shared by every figure is in `sim.viz.style`."""
